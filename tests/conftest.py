"""Shared fixtures. Every test works in its own temporary directories: no shared state."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.common.warehouse import append_frame
from pipelines.ingest.raw_tables import create_raw_tables
from pipelines.settings import DBT_PROJECT_DIR

# no warm process of `swh run` outlives a test (tests/test_warm_start.py switches it on for itself)
os.environ["SWH_WARM_MINUTES"] = "0"


class TestWarehouse:
    """A throw-away warehouse with the raw schema, rows inserted by hand, and dbt run against it."""

    __test__ = False

    def __init__(self, root: Path):
        self.root = root
        self.path = root / "warehouse.duckdb"
        self.target = root / "dbt_target"
        with duckdb.connect(str(self.path)) as con:
            create_raw_tables(con)

    def insert(self, table: str, rows: list[dict] | pl.DataFrame) -> None:
        frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows)
        with duckdb.connect(str(self.path)) as con:
            append_frame(con, table, frame)

    def fill_calendar(self, start_year: int = 2015, end_year: int = 2027) -> None:
        from pipelines.ingest.arbeitskalender import build_arbeitskalender

        self.insert("arbeitskalender", build_arbeitskalender(start_year, end_year))

    def dbt(self, *args: str) -> None:
        """Run dbt in-process (``build``, ``--select`` …) against this warehouse; fail the test on error."""
        from dbt.cli.main import dbtRunner

        os.environ["SWH_WAREHOUSE"] = str(self.path)
        res = dbtRunner().invoke([*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
                                  str(DBT_PROJECT_DIR), "--target-path", str(self.target),
                                  "--log-path", str(self.root / "dbt_logs"), "--quiet"])
        if not res.success:
            failures = []
            if res.result is not None and hasattr(res.result, "results"):
                failures = [f"{r.node.name}: {r.status} {r.message}" for r in res.result.results
                            if str(r.status) not in ("success", "pass")]
            raise AssertionError(f"dbt {' '.join(args)} failed: {res.exception or failures}")

    def query(self, sql: str) -> pl.DataFrame:
        # dbt-duckdb, run in-process, keeps the file open for writing: a read-only connection to the
        # same file from this process would be refused, so this one opens it the same way
        with duckdb.connect(str(self.path)) as con:
            return con.sql(sql).pl()

    def execute(self, sql: str) -> None:
        with duckdb.connect(str(self.path)) as con:
            con.execute(sql)


@pytest.fixture
def test_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestWarehouse:
    monkeypatch.setenv("SWH_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    return TestWarehouse(tmp_path)
