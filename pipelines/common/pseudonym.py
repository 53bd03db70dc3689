"""Case keys are the district's pseudonym, hashed again with a secret key before they are stored.

The key comes from ``SWH_CASE_KEY`` or from ``<data dir>/secrets/case_key`` (created on first use,
readable by the owner only). Hashing is set-based in DuckDB: sha256(key | district | Fall-ID).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import duckdb
import polars as pl


def load_case_key(key_file: Path) -> str:
    env = os.environ.get("SWH_CASE_KEY")
    if env:
        return env
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32), encoding="ascii")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="ascii").strip()


def hash_case_keys(bezirk_nr: pl.Series, fall_id: pl.Series, key: str) -> pl.Series:
    """Keyed SHA-256 of district and trimmed Fall-ID, as hex text, for a whole column at once."""
    frame = pl.DataFrame({"b": bezirk_nr.cast(pl.String), "f": fall_id.cast(pl.String).str.strip_chars()})  # noqa: F841 (read by DuckDB by name)
    out = duckdb.sql("SELECT sha256($key || '|' || b || '|' || f) AS h FROM frame",
                     params={"key": key}).pl()
    return out["h"].alias("fall_key")
