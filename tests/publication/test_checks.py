"""The gate in Dagster: the blocking ``plausibilitaet`` checks (one multi-asset check, one step) and the
``marts_publication`` asset.

Two fake mart assets stand for the dbt models (the test prepares their tables by hand). A warning
alone lets the publication through; an error stops it and leaves the previous publication as it was.
A mart whose content did not change gets its stored validation back; when nothing changed, Great
Expectations does not run (the runs that must not need it have GX replaced by a tripwire).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.common.warehouse import append_frame
from pipelines.ingest.raw_tables import create_raw_tables
from pipelines.publication import validation
from pipelines.publication.checks import (CHECK_NAME, GATE_STEP, PUBLICATION_ASSET, build_gate_checks,
                                          build_publication_asset, check_evaluations_of_run,
                                          check_results_of_run, gate_failures_text)
from pipelines.publication.publish import current_publication
from pipelines.settings import REPO_ROOT, get_paths
from tests.publication.test_publish import make_warehouse, tree_hashes

GATED = ["mart_resources_yearly", "mart_unit_cost_comparison"]
KEYS = {m: dg.AssetKey(["marts", m]) for m in GATED}


def _fake_mart(mart: str) -> dg.AssetsDefinition:
    @dg.asset(key=KEYS[mart])
    def _mart() -> dg.MaterializeResult:
        with duckdb.connect(str(get_paths().warehouse), read_only=True) as con:
            return dg.MaterializeResult(metadata={"zeilen": con.sql(f"SELECT count(*) FROM marts.{mart}").fetchall()[0][0]})
    return _mart


def _materialize(instance: dg.DagsterInstance, selection=None) -> dg.ExecuteInProcessResult:
    assets = [*(_fake_mart(m) for m in GATED), *build_gate_checks(KEYS, get_paths),
              build_publication_asset(KEYS, get_paths)]
    return dg.materialize(assets, instance=instance, raise_on_error=False, selection=selection)


def _prepare(paths, defects: tuple[str, ...]) -> None:
    make_warehouse(paths.warehouse, defects)
    with duckdb.connect(str(paths.warehouse)) as con:
        create_raw_tables(con)
        append_frame(con, "file_registry", pl.DataFrame([
            {"file_id": "a" * 64, "path": "klr/klr_kosten_2024.csv", "kind": "klr_kosten", "size_bytes": 10,
             "seen_at": datetime(2025, 2, 1), "year": 2024, "status": "accepted", "n_errors": 0,
             "n_warnings": 0, "n_rows": 12},
            {"file_id": "b" * 64, "path": "klr/klr_kosten_2024_alt.csv", "kind": "klr_kosten", "size_bytes": 9,
             "seen_at": datetime(2025, 1, 1), "year": 2024, "status": "rejected", "n_errors": 2,
             "n_warnings": 0, "n_rows": 0}]))


class _NoGreatExpectations:
    """Stands in for the GX session: a run that must reuse every validation fails if it is created."""

    def __init__(self, *args, **kwargs):
        raise AssertionError("Great Expectations darf in diesem Lauf nicht laufen.")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """1: a cost jump (warning) -> published. 2: a unit cost 20× the median (error) -> blocked.
    3: the error corrected -> published. 4: nothing changed -> published without GX. 5: only the
    publication selected -> gated by the stored validations, without GX. 6: one mart selected."""
    root = tmp_path_factory.mktemp("dagster")
    env = {"SWH_DATA_DIR": str(root / "data"), "SWH_WAREHOUSE": str(root / "data" / "warehouse.duckdb"),
           "DAGSTER_HOME": str(root / "dagster")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    mp = pytest.MonkeyPatch()
    try:
        paths = get_paths().ensure()
        instance = dg.DagsterInstance.ephemeral()
        _prepare(paths, ("kostensprung",))
        first = _materialize(instance)
        published = current_publication(paths.marts_dir)
        before = tree_hashes(paths.marts_dir)
        _prepare(paths, ("kostensprung", "stueckkosten_20x_median"))
        second = _materialize(instance)
        after = tree_hashes(paths.marts_dir)
        after_manifest = current_publication(paths.marts_dir)
        _prepare(paths, ("kostensprung",))
        third = _materialize(instance)
        third_manifest = current_publication(paths.marts_dir)
        mp.setattr(validation, "_GxSession", _NoGreatExpectations)
        fourth = _materialize(instance)
        fourth_manifest = current_publication(paths.marts_dir)
        fifth = _materialize(instance, selection=[PUBLICATION_ASSET])
        fifth_manifest = current_publication(paths.marts_dir)
        sixth = _materialize(instance, selection=[KEYS["mart_unit_cost_comparison"]])
        sixth_checks = check_results_of_run(instance, sixth.run_id, KEYS)
        sixth_evaluations = check_evaluations_of_run(instance, sixth.run_id)
    finally:
        mp.undo()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {"first": first, "second": second, "third": third, "fourth": fourth, "fifth": fifth,
            "sixth": sixth, "published": published, "before": before, "after": after,
            "after_manifest": after_manifest,
            "third_manifest": third_manifest, "fourth_manifest": fourth_manifest,
            "fifth_manifest": fifth_manifest, "sixth_checks": sixth_checks,
            "sixth_evaluations": sixth_evaluations, "paths": paths}


def _evaluations(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations() if e.check_name == CHECK_NAME}


def _started_steps(result) -> list[str]:
    return [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]


def _reused(result) -> dict[str, bool]:
    return {mart: e.metadata["wiederverwendet"].value for mart, e in _evaluations(result).items()}


def test_all_checks_run_as_one_step(runs):
    steps = _started_steps(runs["first"])
    assert steps.count(GATE_STEP) == 1
    assert not [s for s in steps if s != GATE_STEP and CHECK_NAME in s]   # no step per mart any more
    assert steps.index(GATE_STEP) < steps.index(PUBLICATION_ASSET)
    assert set(_evaluations(runs["first"])) == set(GATED)


def test_warning_does_not_block_the_publication(runs):
    first = runs["first"]
    assert first.success
    checks = _evaluations(first)
    resources, unit_cost = checks["mart_resources_yearly"], checks["mart_unit_cost_comparison"]
    assert not resources.passed and resources.severity == dg.AssetCheckSeverity.WARN
    assert resources.metadata["fehler"].value == 0 and resources.metadata["warnungen"].value == 1
    assert "kosten_vorjahressprung" in resources.metadata["fehler_text"].value
    assert resources.metadata["data_docs"].value.startswith("file://")
    assert Path(resources.metadata["data_docs_pfad"].value).is_file()
    assert resources.metadata["zeilen"].value == 26 and resources.metadata["regeln"].value > 0
    assert unit_cost.passed and unit_cost.metadata["fehler_text"].value == ""
    assert _reused(first) == {"mart_resources_yearly": False, "mart_unit_cost_comparison": False}

    [materialization] = first.asset_materializations_for_node(PUBLICATION_ASSET)
    manifest = runs["published"]
    assert materialization.metadata["publication_id"].value == manifest["publication_id"]
    assert manifest["marts"]["mart_unit_cost_comparison"]["rows"] == 12
    assert manifest["checks"]["mart_resources_yearly"]["warnungen"] == 1
    assert manifest["checks"]["mart_unit_cost_comparison"]["passed"] is True
    assert manifest["checks"]["mart_unit_cost_comparison"]["wiederverwendet"] is False
    # only the accepted input file, by its hash
    assert [f["sha256"] for f in manifest["input_files"]] == ["a" * 64]
    assert manifest["dagster_run_id"] == first.run_id


def test_error_blocks_the_publication_and_keeps_the_previous_one(runs):
    second = runs["second"]
    assert not second.success
    unit_cost = _evaluations(second)["mart_unit_cost_comparison"]
    assert not unit_cost.passed and unit_cost.severity == dg.AssetCheckSeverity.ERROR
    failed = [e.step_key for e in second.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failed == [GATE_STEP]
    assert PUBLICATION_ASSET not in _started_steps(second)
    assert second.asset_materializations_for_node(PUBLICATION_ASSET) == []
    assert runs["after"] == runs["before"]
    assert runs["after_manifest"] == runs["published"]

    text = gate_failures_text(second.get_asset_check_evaluations())
    blocked, warned = text.split("\n\n== ", 1)
    assert blocked.startswith("== marts/mart_unit_cost_comparison: gesperrt (Fehler) ==")
    assert "stueckkosten_nahe_median" in blocked and "| 12 | 80635 | 2024 | 4650.0 | 232.5 | 20.0 |" in blocked
    assert warned.startswith("marts/mart_resources_yearly: Warnungen ==")


def test_changed_mart_is_validated_again_unchanged_one_reused(runs):
    first, second = _evaluations(runs["first"]), _evaluations(runs["second"])
    # the unit costs changed (a district at 20× the median): validated; the resources did not: reused
    assert _reused(runs["second"]) == {"mart_resources_yearly": True, "mart_unit_cost_comparison": False}
    reused = second["mart_resources_yearly"]
    assert reused.severity == dg.AssetCheckSeverity.WARN and not reused.passed
    assert reused.metadata["geprueft_am"].value == first["mart_resources_yearly"].metadata["geprueft_am"].value
    assert reused.metadata["fehler_text"].value == first["mart_resources_yearly"].metadata["fehler_text"].value
    assert reused.metadata["data_docs_pfad"].value == first["mart_resources_yearly"].metadata["data_docs_pfad"].value
    assert "wiederverwendet" in reused.metadata["bericht"].value
    # corrected again: the stored validation is the blocked one of run 2, so the mart is validated again
    assert runs["third"].success
    assert _reused(runs["third"]) == {"mart_resources_yearly": True, "mart_unit_cost_comparison": False}
    assert _evaluations(runs["third"])["mart_unit_cost_comparison"].passed


def test_unchanged_run_reuses_every_validation_without_gx(runs):
    fourth = runs["fourth"]   # GX replaced by a tripwire: it would fail the gate step
    assert fourth.success, [e.message for e in fourth.all_events if e.event_type_value == "STEP_FAILURE"]
    assert _reused(fourth) == {"mart_resources_yearly": True, "mart_unit_cost_comparison": True}
    resources = _evaluations(fourth)["mart_resources_yearly"]
    assert resources.severity == dg.AssetCheckSeverity.WARN and resources.metadata["warnungen"].value == 1
    manifest = runs["fourth_manifest"]
    assert manifest["dagster_run_id"] == fourth.run_id
    assert manifest["checks"]["mart_resources_yearly"]["wiederverwendet"] is True
    assert manifest["checks"]["mart_resources_yearly"]["warnungen"] == 1
    assert manifest["checks"]["mart_unit_cost_comparison"]["geprueft_am"] == \
        runs["third_manifest"]["checks"]["mart_unit_cost_comparison"]["geprueft_am"]


def test_publication_alone_uses_the_stored_validations(runs):
    fifth = runs["fifth"]   # no check in the run, GX replaced by a tripwire
    assert fifth.success
    assert _started_steps(fifth) == [PUBLICATION_ASSET]
    assert fifth.get_asset_check_evaluations() == []
    checks = runs["fifth_manifest"]["checks"]
    assert runs["fifth_manifest"]["dagster_run_id"] == fifth.run_id
    assert set(checks) == set(GATED) and all(c["wiederverwendet"] for c in checks.values())
    assert checks["mart_resources_yearly"]["warnungen"] == 1 and checks["mart_unit_cost_comparison"]["passed"]


def test_only_the_selected_checks_are_evaluated(runs):
    sixth = runs["sixth"]
    assert sixth.success
    assert set(_evaluations(sixth)) == {"mart_unit_cost_comparison"}
    assert {e.asset_key.path[-1] for e in runs["sixth_evaluations"]} == {"mart_unit_cost_comparison"}
    assert set(runs["sixth_checks"]) == {"mart_unit_cost_comparison"}
    assert PUBLICATION_ASSET not in _started_steps(sixth)


def test_gate_failures_text_lists_errors_before_warnings_and_skips_passed(runs):
    evaluations = runs["second"].get_asset_check_evaluations()
    assert gate_failures_text(e for e in evaluations if e.passed) == ""
    assert gate_failures_text(evaluations).count("== marts/") == 2


def test_checks_module_does_not_import_great_expectations():
    code = ("import sys, pipelines.publication.checks; "
            "sys.exit(1 if 'great_expectations' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT).returncode == 0


def test_checks_are_one_subsettable_multi_check_with_blocking_specs():
    [gate] = build_gate_checks(KEYS, get_paths)
    assert gate.can_subset
    specs = list(gate.check_specs)
    assert {s.asset_key for s in specs} == set(KEYS.values())
    assert all(s.name == CHECK_NAME and s.blocking for s in specs)
    assert gate.node_def.name == GATE_STEP
    assert build_gate_checks({}, get_paths) == []
