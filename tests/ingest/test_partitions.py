"""Workbooks are loaded in the Dagster partition of their district and quarter (from the Meta sheet)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from dagster import DagsterInstance, SkipReason, build_sensor_context

from pipelines.ingest.erhebungsbogen import read_submission_key
from pipelines.ingest.partitions import bezirk_quartal, full_range_tags, quarters_of
from pipelines.ingest.registry import discover
from tests.ingest.workbooks import valid_sheets, write_sheets

def test_submission_key_comes_from_meta(tmp_path: Path):
    # district written by name, quarter of 2024 Q2: the file name says nothing
    path = write_sheets(tmp_path / "irgendwas.xlsx", valid_sheets(Bezirk="Neukölln"))
    assert read_submission_key(path, path.name) == ("08", 2024, 2)

@pytest.mark.parametrize("meta", [{"Bezirk": "Atlantis"}, {"Quartal": 5}, {"Jahr": None}])
def test_invalid_meta_has_no_partition(tmp_path: Path, meta):
    path = write_sheets(tmp_path / "bogen.xlsx", valid_sheets(**meta))
    assert read_submission_key(path, path.name) is None

def test_unreadable_file_has_no_partition(tmp_path: Path):
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(b"PK\x03\x04 kein Excel")
    assert read_submission_key(path, path.name) is None

def test_quarters_in_order_of_arrival(tmp_path: Path):
    raw = tmp_path / "raw"
    for i, (bezirk, quartal) in enumerate([("01", 3), ("02", 1), ("03", 3)]):
        path = write_sheets(raw / f"b{i}.xlsx", valid_sheets(Bezirk=bezirk, Quartal=quartal, rk_rows=[], zr_rows=[]))

        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))
    assert quarters_of(discover(raw)) == ["2024Q3", "2024Q1"]

def test_full_range_covers_every_district_quarter():
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("quartal", ["2024Q3", "2024Q1"])
    keys = bezirk_quartal.get_partition_keys(dynamic_partitions_store=instance)
    assert len(keys) == 24
    tags = full_range_tags(["2024Q3", "2024Q1"])
    assert tags["dagster/asset_partition_range_start"] == keys[0] == "01|2024Q3"
    assert tags["dagster/asset_partition_range_end"] == keys[-1] == "12|2024Q1"

def test_sensor_adds_new_quarters_and_requests_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SWH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SWH_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    from pipelines.ingest.sensors import raw_files_sensor

    write_sheets(tmp_path / "raw" / "bogen_05.xlsx", valid_sheets(Bezirk="05"))
    instance = DagsterInstance.ephemeral()
    context = build_sensor_context(instance=instance)
    result = raw_files_sensor(context)
    assert [(r.partitions_def_name, list(r.partition_keys)) for r in result.dynamic_partitions_requests] == [("quartal", ["2024Q2"])]
    (run,) = result.run_requests
    assert run.job_name == "swh_full"
    assert run.tags["dagster/asset_partition_range_start"] == "01|2024Q2"
    assert run.tags["dagster/asset_partition_range_end"] == "12|2024Q2"
    # nothing changed since: the next evaluation skips
    assert set(json.loads(context.cursor)) == {"bogen_05.xlsx"}
    again = raw_files_sensor(build_sensor_context(instance=instance, cursor=context.cursor))
    assert isinstance(again, SkipReason)
