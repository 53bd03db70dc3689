"""Case keys are the district's pseudonym, hashed again with a secret key before they are stored.

The key comes from ``SWH_CASE_KEY`` or from ``<data dir>/secrets/case_key`` (created on first use,
readable by the owner only). The loader hashes set-based in DuckDB while it writes the case rows
(:mod:`pipelines.ingest.registry`), with :data:`FALL_KEY_SQL`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# keyed hash of district and trimmed Fall-ID, as hex, evaluated in the INSERT that writes the case rows
# (``$key``: the case key): what the warehouse keeps of a case's identity
FALL_KEY_SQL = "sha256($key || '|' || bezirk_nr || '|' || fall_id)"


def load_case_key(key_file: Path) -> str:
    env = os.environ.get("SWH_CASE_KEY")
    if env:
        return env
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32), encoding="ascii")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="ascii").strip()
