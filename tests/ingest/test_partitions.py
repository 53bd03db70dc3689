"""Workbooks are loaded in the Dagster partition of their district and quarter (from the Meta sheet)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, SkipReason, build_sensor_context

from pipelines.ingest.erhebungsbogen import read_submission_key
from pipelines.ingest.partitions import bezirk_quartal, partitions_of, plan_partitions, quarters_of
from pipelines.ingest.registry import discover
from tests.ingest.workbooks import valid_sheets, write_sheets

def test_submission_key_comes_from_meta(tmp_path: Path):
    # district written by name, quarter of 2024 Q2: the file name says nothing
    path = write_sheets(tmp_path / "irgendwas.xlsx", valid_sheets(Bezirk="Neukölln"))
    assert read_submission_key(path, path.name) == ("08", 2024, 2)

@pytest.mark.parametrize("meta", [{"Bezirk": "Atlantis"}, {"Quartal": 5}, {"Jahr": None}, {"Stand": "0000-01-01"}])
def test_invalid_meta_has_no_partition(tmp_path: Path, meta):
    path = write_sheets(tmp_path / "bogen.xlsx", valid_sheets(**meta))
    assert read_submission_key(path, path.name) is None

def test_unreadable_file_has_no_partition(tmp_path: Path):
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(b"PK\x03\x04 kein Excel")
    assert read_submission_key(path, path.name) is None

def _workbooks(raw: Path, specs: list[tuple[str, int]]) -> None:
    for i, (bezirk, quartal) in enumerate(specs):
        path = write_sheets(raw / f"b{i}.xlsx", valid_sheets(Bezirk=bezirk, Quartal=quartal, rk_rows=[], zr_rows=[]))
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))


def test_partitions_and_quarters_in_order_of_arrival(tmp_path: Path):
    _workbooks(tmp_path / "raw", [("01", 3), ("02", 1), ("03", 3)])
    keys = partitions_of(discover(tmp_path / "raw"))
    assert keys == ["01|2024Q3", "02|2024Q1", "03|2024Q3"]
    assert quarters_of(keys) == ["2024Q3", "2024Q1"]


def test_run_covers_exactly_the_range_of_the_new_workbooks(tmp_path: Path):
    """Dagster's own order of the partition keys decides what a range holds: the planned range must
    hold every partition with a new workbook and, for one workbook, nothing else."""
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("quartal", ["2024Q3", "2024Q1"])
    _workbooks(tmp_path / "all", [("01", 3), ("12", 1)])
    added, tags = plan_partitions(instance, discover(tmp_path / "all"))
    keys = bezirk_quartal.get_partition_keys(dynamic_partitions_store=instance)
    assert added == [] and len(keys) == 24
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (keys[0], keys[-1])

    _workbooks(tmp_path / "one", [("05", 1)])
    added, tags = plan_partitions(instance, discover(tmp_path / "one"))
    assert tags["dagster/asset_partition_range_start"] == tags["dagster/asset_partition_range_end"] == "05|2024Q1"

    _workbooks(tmp_path / "new", [("07", 4)])
    added, tags = plan_partitions(instance, discover(tmp_path / "new"))
    assert added == ["2024Q4"]
    instance.add_dynamic_partitions("quartal", added)
    keys = bezirk_quartal.get_partition_keys(dynamic_partitions_store=instance)
    assert keys.index("07|2024Q4") == keys.index("07|2024Q1") + 1
    assert tags["dagster/asset_partition_range_start"] == tags["dagster/asset_partition_range_end"] == "07|2024Q4"


def test_no_new_workbook_no_partition_run(tmp_path: Path):
    (tmp_path / "klr_mengen_2024.csv").write_text("Jahr;Bezirk\n", encoding="utf-8")
    assert plan_partitions(DagsterInstance.ephemeral(), discover(tmp_path)) == ([], None)


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
    # the first planned run of an instance builds everything; the new workbook is loaded in its partition
    assert AssetKey(["raw", "erhebungsboegen"]) in run.asset_selection
    assert AssetKey(["raw", "file_registry"]) not in run.asset_selection  # no other file to load
    assert AssetKey(["marts_publication"]) in run.asset_selection
    assert run.tags["dagster/asset_partition_range_start"] == "05|2024Q2"
    assert run.tags["dagster/asset_partition_range_end"] == "05|2024Q2"
    # nothing changed since: the next evaluation skips
    assert set(json.loads(context.cursor)) == {"bogen_05.xlsx"}
    again = raw_files_sensor(build_sensor_context(instance=instance, cursor=context.cursor))
    assert isinstance(again, SkipReason)
