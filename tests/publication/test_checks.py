"""The gate in Dagster: blocking ``plausibilitaet`` checks and the ``marts_publication`` asset.

Two fake mart assets stand for the dbt models (the test prepares their tables by hand). A warning
alone lets the publication through; an error stops it and leaves the previous publication as it was.
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
from pipelines.publication.checks import (CHECK_NAME, PUBLICATION_ASSET, build_gate_checks,
                                          build_publication_asset, gate_failures_text)
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


def _materialize(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    assets = [*(_fake_mart(m) for m in GATED), *build_gate_checks(KEYS, get_paths),
              build_publication_asset(KEYS, get_paths)]
    return dg.materialize(assets, instance=instance, raise_on_error=False)


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


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run 1: a cost jump (warning) only -> published. Run 2: a unit cost 20× the median -> blocked."""
    root = tmp_path_factory.mktemp("dagster")
    env = {"SWH_DATA_DIR": str(root / "data"), "SWH_WAREHOUSE": str(root / "data" / "warehouse.duckdb"),
           "DAGSTER_HOME": str(root / "dagster")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
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
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {"first": first, "second": second, "published": published, "before": before, "after": after,
            "paths": paths}


def _evaluations(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations() if e.check_name == CHECK_NAME}


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
    assert unit_cost.passed and unit_cost.metadata["fehler_text"].value == ""

    [materialization] = first.asset_materializations_for_node(PUBLICATION_ASSET)
    manifest = runs["published"]
    assert materialization.metadata["publication_id"].value == manifest["publication_id"]
    assert manifest["marts"]["mart_unit_cost_comparison"]["rows"] == 12
    assert manifest["checks"]["mart_resources_yearly"]["warnungen"] == 1
    assert manifest["checks"]["mart_unit_cost_comparison"]["passed"] is True
    # only the accepted input file, by its hash
    assert [f["sha256"] for f in manifest["input_files"]] == ["a" * 64]
    assert manifest["dagster_run_id"] == first.run_id


def test_error_blocks_the_publication_and_keeps_the_previous_one(runs):
    second = runs["second"]
    assert not second.success
    unit_cost = _evaluations(second)["mart_unit_cost_comparison"]
    assert not unit_cost.passed and unit_cost.severity == dg.AssetCheckSeverity.ERROR
    assert second.asset_materializations_for_node(PUBLICATION_ASSET) == []
    assert runs["after"] == runs["before"]
    assert current_publication(runs["paths"].marts_dir) == runs["published"]

    text = gate_failures_text(second.get_asset_check_evaluations())
    blocked, warned = text.split("\n\n== ", 1)
    assert blocked.startswith("== marts/mart_unit_cost_comparison: gesperrt (Fehler) ==")
    assert "stueckkosten_nahe_median" in blocked and "| 12 | 80635 | 2024 | 4650.0 | 232.5 | 20.0 |" in blocked
    assert warned.startswith("marts/mart_resources_yearly: Warnungen ==")


def test_checks_module_does_not_import_great_expectations():
    code = ("import sys, pipelines.publication.checks; "
            "sys.exit(1 if 'great_expectations' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT).returncode == 0
