"""Access to the DuckDB warehouse. DuckDB allows one writing process: open, write, close."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import polars as pl

from pipelines.ingest.raw_tables import RAW_SCHEMA, columns


@contextmanager
def connect(warehouse: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def append_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Append a polars frame to ``raw.<table>``; missing columns are null, extra columns are an error."""
    cols = columns(table)
    extra = set(frame.columns) - set(cols)
    if extra:
        raise ValueError(f"raw.{table} has no columns {sorted(extra)}")
    if frame.is_empty():
        return 0
    frame = frame.with_columns([pl.lit(None).alias(c) for c in cols if c not in frame.columns]).select(cols)
    con.register("_append_frame", frame.to_arrow())
    try:
        con.execute(f'INSERT INTO {RAW_SCHEMA}.{table} ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
                    f"SELECT * FROM _append_frame")
    finally:
        con.unregister("_append_frame")
    return frame.height


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table]).fetchall()[0][0])
