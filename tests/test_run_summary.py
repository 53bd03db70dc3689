"""The summary of `swh run`: rejected files are listed, and a warehouse still held does not crash it."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.ingest.raw_tables import create_raw_tables
from pipelines.run_summary import rejected_files_if_readable
from pipelines.settings import Paths


def _paths(tmp_path) -> Paths:
    return Paths(data_dir=tmp_path, warehouse=tmp_path / "warehouse.duckdb", dagster_home=tmp_path / "dagster")


def test_no_rejected_files_in_a_fresh_warehouse(tmp_path):
    paths = _paths(tmp_path)
    with duckdb.connect(str(paths.warehouse)) as con:
        create_raw_tables(con)
    assert rejected_files_if_readable(paths, datetime(2020, 1, 1)) == []


def test_a_warehouse_held_for_writing_in_this_process_gives_none_not_an_error(tmp_path):
    """As after Ctrl-C in the dbt step: dbt's threads still hold the warehouse with a writing connection."""
    paths = _paths(tmp_path)
    with duckdb.connect(str(paths.warehouse)) as held:
        create_raw_tables(held)
        assert rejected_files_if_readable(paths, datetime(2020, 1, 1)) is None
