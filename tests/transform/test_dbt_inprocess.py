"""dbt runs in the Dagster process on the prepared manifest; its tests are one observation per model and a
failed test stops the step with a German message."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance

from pipelines.definitions import defs
from pipelines.transform import dbt_inprocess

FILES = AssetKey(["staging", "stg_eingangsregister__files"])


@pytest.fixture(scope="module")
def built_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeds and models built once (no tests): the relationship tests of a rebuilt model read the others."""
    from tests.conftest import TestWarehouse

    root = tmp_path_factory.mktemp("built")
    warehouse = TestWarehouse(root)
    warehouse.dbt("build", "--exclude", "resource_type:test")
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    DuckDBConnectionManager.close_all_connections()
    # the tests copy the file alone: everything must be in it, nothing left in the write-ahead log (a
    # connection of dbt's that is not yet garbage-collected keeps the database open, unchecked)
    with duckdb.connect(str(warehouse.path)) as con:
        con.execute("CHECKPOINT")
    return warehouse.path


def _registry_row(file_id: str, kind: str) -> dict:
    return {"file_id": file_id, "path": f"{file_id}.xlsx", "kind": kind, "size_bytes": 1, "seen_at": datetime(2024, 5, 1),
            "bezirk_nr": "05", "year": 2024, "quarter": 2, "status": "accepted", "n_errors": 0, "n_warnings": 0,
            "n_rows": 0}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built_template: Path, test_warehouse) -> Path:
    shutil.copyfile(built_template, test_warehouse.path)
    monkeypatch.setenv("SWH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SWH_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    return tmp_path


def _observation_of(result, key: AssetKey) -> dict:
    (observation,) = [o for o in result.get_asset_observation_events() if o.asset_key == key]
    return observation.asset_observation_data.asset_observation.metadata


def _run(keys: list[AssetKey]):
    return defs.resolve_job_def("swh_full").execute_in_process(
        instance=DagsterInstance.ephemeral(), asset_selection=keys, raise_on_error=False)


def test_prepared_manifest_is_used_for_a_warehouse_named_like_it(tmp_path: Path):
    assert dbt_inprocess.prepared_manifest(tmp_path / "warehouse.duckdb") is not None
    assert dbt_inprocess.prepared_manifest(tmp_path / "anderer_name.duckdb") is None  # dbt parses instead


def test_model_with_its_tests_in_one_observation(data_dir: Path, test_warehouse):
    test_warehouse.insert("file_registry", [_registry_row("a" * 64, "erhebungsbogen")])
    result = _run([FILES])
    assert result.success
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [FILES]
    assert result.get_asset_check_evaluations() == []    # dbt tests are no asset checks
    meta = _observation_of(result, FILES)
    assert meta["dbt_tests"].value == meta["dbt_tests_bestanden"].value == 2   # allowed kind and status
    # the writer lock is released after dbt: a read-only connection from this process works
    with duckdb.connect(str(test_warehouse.path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM staging.stg_eingangsregister__files").fetchall() == [(1,)]


def test_failed_dbt_test_fails_the_step_with_the_test_named(data_dir: Path, test_warehouse):
    test_warehouse.insert("file_registry", [_registry_row("b" * 64, "unbekannte_art")])
    result = _run([FILES])
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message
    assert "dbt build ist fehlgeschlagen" in message
    assert "dbt-Test nicht bestanden: accepted_values_stg_eingangsregister__files_kind" in message
    meta = _observation_of(result, FILES)
    assert meta["dbt_tests_bestanden"].value == meta["dbt_tests"].value - 1
    assert "accepted_values" in meta["dbt_tests_nicht_bestanden"].value


def test_contract_violation_fails_the_model_and_names_it(data_dir: Path, test_warehouse):
    """Column rules of marts are contracts enforced by DuckDB while the table is built: a status outside
    accepted/superseded/rejected breaks the ``check`` of mart_submission_history.status (no dbt test needed;
    the staging test that would catch it first is not selected here)."""
    history = AssetKey(["marts", "mart_submission_history"])
    test_warehouse.insert("file_registry", [{**_registry_row("c" * 64, "klr_mengen"), "status": "kaputt"}])
    result = _run([history])
    assert not result.success
    assert result.get_asset_materialization_events() == []
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message
    assert "dbt build ist fehlgeschlagen" in message
    assert "mart_submission_history" in message and "Constraint Error" in message
