"""A run holds only what new input feeds (pipelines/run_plan.py), and redoes what earlier runs left undone."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, job, op

from pipelines import run_plan
from pipelines.definitions import defs
from pipelines.ingest.assets import erhebungsboegen, raw_files
from pipelines.ingest.registry import RawFile
from pipelines.ingest.assets import raw_assets_of
from pipelines.run_plan import TAG_PROJECT, plan_run
from pipelines.settings import Paths
from tests.ingest.workbooks import valid_sheets, write_sheets

INDICATOR_MARTS = {"mart_indicators_quarterly", "mart_access_standards", "mart_home_visits", "mart_case_volumes"}
RESOURCE_MARTS = {"mart_resources_yearly", "mart_unit_cost_comparison", "mart_staff_by_grade",
                  "mart_staffing_2017_2021", "mart_cost_centre_compliance", "mart_cost_centre_exceptions"}


@op
def _done() -> None:
    pass


@job
def _finished_ok():
    _done()


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    p = Paths(data_dir=tmp_path, warehouse=tmp_path / "warehouse.duckdb", dagster_home=tmp_path / "dagster")
    (p.marts_dir / "current").mkdir(parents=True)  # a publication exists
    return p


def _plan(instance: DagsterInstance, paths: Paths, fresh: list[RawFile]):
    return plan_run(instance, lambda: defs, paths, fresh, warehouse_readable=False)


def _marts(plan) -> set[str]:
    return {k.path[-1] for k in plan.asset_keys if k.path[-1].startswith("mart_")}


def _workbook(paths: Paths, bezirk: str = "05") -> RawFile:
    path = write_sheets(paths.raw_dir / f"bogen_{bezirk}.xlsx", valid_sheets(Bezirk=bezirk))
    return RawFile(path=path, name=path.name, kind="erhebungsbogen", mtime=path.stat().st_mtime,
                   size=path.stat().st_size)


def _klr(paths: Paths) -> RawFile:
    path = paths.raw_dir / "klr_kosten_2024.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Jahr;Bezirk\n", encoding="utf-8")
    return RawFile(path=path, name=path.name, kind="klr_kosten", mtime=path.stat().st_mtime, size=path.stat().st_size)


def _succeeded(instance: DagsterInstance, plan) -> None:
    """Record a successful run of this plan (what swh run leaves behind)."""
    assert _finished_ok.execute_in_process(instance=instance, tags=plan.tags).success


def test_raw_assets_of_each_kind():
    assert raw_assets_of("erhebungsbogen") == ("file_registry", "file_problems", "erhebungsboegen")
    assert set(raw_assets_of("klr_kosten")) == {"file_registry", "file_problems", "klr_kosten", "eingangsregister_klr"}
    assert set(raw_assets_of("fallzahlen")) == {"file_registry", "file_problems", "fallzahlen",
                                               "eingangsregister_fallzahlen"}


def test_first_run_builds_everything(paths: Paths):
    plan = _plan(DagsterInstance.ephemeral(), paths, [_workbook(paths)])
    assert plan.full and "Erster geplanter Lauf" in plan.describe()
    assert _marts(plan) == INDICATOR_MARTS | RESOURCE_MARTS | {"mart_submission_history"}
    assert set(erhebungsboegen.keys) <= set(plan.asset_keys)          # the new workbook is loaded
    assert not set(raw_files.keys) & set(plan.asset_keys)             # no KLR or other file to load
    assert plan.tags["dagster/asset_partition_range_start"] == "05|2024Q2"
    assert plan.added_quarters == ["2024Q2"]


def test_corrected_workbook_rebuilds_the_indicators_only(paths: Paths):
    instance = DagsterInstance.ephemeral()
    _succeeded(instance, _plan(instance, paths, []))
    plan = _plan(instance, paths, [_workbook(paths)])
    assert not plan.full
    assert _marts(plan) == INDICATOR_MARTS | {"mart_submission_history"}
    keys = {k.to_user_string() for k in plan.asset_keys}
    assert {"raw/erhebungsboegen", "staging/stg_erhebungsbogen__raeumungsklagen", "marts_publication"} <= keys
    assert not any(k.startswith(("staging/stg_klr", "intermediate/int_klr", "parameters/")) for k in keys)
    assert AssetKey(["raw", "arbeitskalender"]) not in plan.asset_keys   # unchanged calendar, not rebuilt


def test_klr_delivery_rebuilds_the_resources_only(paths: Paths):
    instance = DagsterInstance.ephemeral()
    _succeeded(instance, _plan(instance, paths, []))
    plan = _plan(instance, paths, [_klr(paths)])
    assert _marts(plan) == RESOURCE_MARTS | {"mart_submission_history"}
    assert set(raw_files.keys) <= set(plan.asset_keys)
    assert not set(erhebungsboegen.keys) & set(plan.asset_keys)
    assert "dagster/asset_partition_range_start" not in plan.tags


def test_nothing_new_is_no_run(paths: Paths):
    instance = DagsterInstance.ephemeral()
    _succeeded(instance, _plan(instance, paths, []))
    plan = _plan(instance, paths, [])
    assert plan.empty and "Keine neuen" in plan.describe()


def test_missing_publication_is_published_again(paths: Paths):
    instance = DagsterInstance.ephemeral()
    _succeeded(instance, _plan(instance, paths, []))
    (paths.marts_dir / "current").rmdir()
    plan = _plan(instance, paths, [])
    assert [k.to_user_string() for k in plan.asset_keys] == ["marts_publication"]


def test_failed_run_is_made_up_for(paths: Paths):
    instance = DagsterInstance.ephemeral()
    _succeeded(instance, _plan(instance, paths, []))
    failed = _plan(instance, paths, [_klr(paths)])
    instance.create_run_for_job(defs.resolve_job_def("swh_full"), asset_selection=frozenset(failed.asset_keys),
                                tags=failed.tags, status=DagsterRunStatus.FAILURE)
    # the KLR file is registered by now (not fresh any more); what the failed run should have built is redone
    plan = _plan(instance, paths, [])
    assert "Nachzuholen" in plan.describe() and "fehlgeschlagen" in plan.describe()
    # the failed run held the whole step raw_dateien_laden (KLR and historical volumes): both are rebuilt
    assert _marts(plan) == RESOURCE_MARTS | {"mart_submission_history", "mart_case_volumes"}
    assert not set(raw_files.keys) & set(plan.asset_keys)   # nothing to load again
    # once a planned run succeeded, the failure is made up for
    _succeeded(instance, plan)
    assert _plan(instance, paths, []).empty


def test_run_of_a_single_partition_from_the_ui_is_built_on(paths: Paths):
    instance = DagsterInstance.ephemeral()
    _succeeded(instance, _plan(instance, paths, []))
    instance.create_run_for_job(defs.resolve_job_def("swh_full"), asset_selection=frozenset(erhebungsboegen.keys),
                                status=DagsterRunStatus.SUCCESS)
    plan = _plan(instance, paths, [])
    assert "nicht geplant" in plan.describe() and _marts(plan) == INDICATOR_MARTS | {"mart_submission_history"}


def test_changed_project_rebuilds_everything(paths: Paths, monkeypatch: pytest.MonkeyPatch):
    instance = DagsterInstance.ephemeral()
    plan = _plan(instance, paths, [])
    _succeeded(instance, plan)
    monkeypatch.setattr(run_plan, "project_fingerprint", lambda: "anders")
    plan = _plan(instance, paths, [])
    assert plan.full and plan.tags[TAG_PROJECT] == "anders"
    assert "geändert" in plan.describe()


def test_warehouse_without_models_rebuilds_everything(paths: Paths):
    instance = DagsterInstance.ephemeral()
    _succeeded(instance, _plan(instance, paths, []))
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("CREATE SCHEMA marts; CREATE TABLE marts.mart_home_visits (x INT)")
    plan = plan_run(instance, lambda: defs, paths, [])
    assert plan.full and "fehlen Modelle" in plan.describe()
