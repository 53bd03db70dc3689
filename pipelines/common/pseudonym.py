"""Case keys are the district's pseudonym, hashed again with a secret key before they are stored.

The key comes from ``SWH_CASE_KEY`` or from ``<data dir>/secrets/case_key`` (created on first use,
readable by the owner only). Hashing is set-based in DuckDB: sha256(key | district | Fall-ID), one
query per call on an in-memory connection that is opened once per process (a query on DuckDB's
shared default connection, with a polars frame to scan, cost several times the hashing itself).
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

_lock = threading.Lock()
_connection: tuple[int, duckdb.DuckDBPyConnection] | None = None


def load_case_key(key_file: Path) -> str:
    env = os.environ.get("SWH_CASE_KEY")
    if env:
        return env
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32), encoding="ascii")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="ascii").strip()


def _hash(sql: str, params: dict[str, str], hash_input: pa.Table) -> pl.Series:
    """Run a hashing query over ``hash_input`` (found by DuckDB under that name) on the process's
    connection (a new one after a fork)."""
    global _connection
    with _lock:
        if _connection is None or _connection[0] != os.getpid():
            _connection = (os.getpid(), duckdb.connect(":memory:", config={"threads": 1}))
        hashed = _connection[1].execute(sql, params).fetchnumpy()["h"]
    return pl.Series("fall_key", hashed, pl.String)


def hash_case_keys(bezirk_nr: pl.Series, fall_id: pl.Series, key: str) -> pl.Series:
    """Keyed SHA-256 of district and trimmed Fall-ID, as hex text, for a whole column at once."""
    hash_input = pa.table({"b": bezirk_nr.cast(pl.String).to_arrow(),
                           "f": fall_id.cast(pl.String).str.strip_chars().to_arrow()})
    return _hash("SELECT sha256($key || '|' || b || '|' || f) AS h FROM hash_input", {"key": key}, hash_input)


def hash_trimmed_case_keys(bezirk_nr: str, fall_id: pl.Series, key: str) -> pl.Series:
    """:func:`hash_case_keys` of Fall-IDs of one district that are trimmed already (the same keys)."""
    hash_input = pa.table({"f": fall_id.cast(pl.String).to_arrow()})
    return _hash("SELECT sha256($prefix || f) AS h FROM hash_input", {"prefix": f"{key}|{bezirk_nr}|"}, hash_input)
