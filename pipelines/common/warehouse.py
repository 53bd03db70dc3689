"""Access to the DuckDB warehouse. DuckDB allows one writing process: open, write, close."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Mapping

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


def append_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, *,
                 computed: Mapping[str, str] | None = None, inputs: Iterable[str] = (),
                 params: Mapping[str, object] | None = None) -> int:
    """Append a polars frame to ``raw.<table>``; missing columns are null, extra columns are an error.

    ``computed``: column -> SQL expression over the frame's columns, evaluated in the INSERT itself (with
    ``params``); ``inputs``: frame columns that only such expressions read, never written as they are.
    """
    cols, computed, inputs = columns(table), dict(computed or {}), set(inputs)
    extra = set(frame.columns) - (set(cols) - set(computed)) - inputs
    if extra:
        raise ValueError(f"raw.{table} has no columns {sorted(extra)}")
    if missing := inputs - set(frame.columns):
        raise ValueError(f"raw.{table}: the frame lacks the columns {sorted(missing)}")
    if frame.is_empty():
        return 0
    values = [computed[c] if c in computed else f'"{c}"' if c in frame.columns else "NULL" for c in cols]
    con.register("_append_frame", frame.to_arrow())
    try:
        con.execute(f'INSERT INTO {RAW_SCHEMA}.{table} ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
                    f'SELECT {", ".join(values)} FROM _append_frame', dict(params or {}))
    finally:
        con.unregister("_append_frame")
    return frame.height


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table]).fetchall()[0][0])
