"""Prepare the dbt manifest: once at setup, again only when the dbt project changed.

``dbt parse`` costs seconds; the Dagster definitions only read the resulting manifest.json and
never parse at import. A fingerprint of every file of the dbt project decides whether the manifest
is stale (``make setup``, ``swh run`` and the test fixtures call :func:`prepare_manifest`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from pipelines.settings import DBT_PROJECT_DIR

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
FINGERPRINT_PATH = DBT_PROJECT_DIR / "target" / "swh_fingerprint.txt"
PARTIAL_PARSE_PATH = MANIFEST_PATH.parent / "partial_parse.msgpack"   # dbt's Manifest object, for dbt_inprocess
_PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
_PROJECT_DIRS = ("models", "seeds", "macros", "tests")


def dbt_executable() -> str:
    """dbt from this interpreter's environment, found even when the venv is not activated."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def project_fingerprint() -> str:
    h = hashlib.sha256()
    files = [DBT_PROJECT_DIR / f for f in _PROJECT_FILES]
    for d in _PROJECT_DIRS:
        files += sorted(p for p in (DBT_PROJECT_DIR / d).rglob("*") if p.is_file())
    for p in files:
        if p.exists():
            h.update(p.relative_to(DBT_PROJECT_DIR).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


@cache
def load_manifest() -> dict[str, Any]:
    """manifest.json, parsed once per process (the run plan and the Dagster definitions both read it)."""
    if not MANIFEST_PATH.exists():
        raise RuntimeError(
            f"Das dbt-Manifest fehlt ({MANIFEST_PATH}). Bitte zuerst `make setup` oder `swh prepare` ausführen.")
    return json.loads(MANIFEST_PATH.read_text())


def manifest_is_current() -> bool:
    return (MANIFEST_PATH.exists() and FINGERPRINT_PATH.exists()
            and FINGERPRINT_PATH.read_text().strip() == project_fingerprint())


def prepare_manifest(force: bool = False) -> Path:
    """Run ``dbt parse`` if the manifest is missing or stale; return its path."""
    if not force and manifest_is_current():
        return MANIFEST_PATH
    fingerprint = project_fingerprint()
    env = dict(os.environ)
    # parsing does not open the warehouse, but the profile needs an absolute path to render
    env.setdefault("SWH_WAREHOUSE", str(Path(tempfile.gettempdir()) / "swh_parse_only" / "warehouse.duckdb"))
    proc = subprocess.run(
        [dbt_executable(), "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
         str(DBT_PROJECT_DIR), "--target-path", str(MANIFEST_PATH.parent), "--quiet"],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"dbt parse ist fehlgeschlagen:\n{proc.stdout}\n{proc.stderr}")
    FINGERPRINT_PATH.write_text(fingerprint)
    return MANIFEST_PATH
