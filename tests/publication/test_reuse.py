"""Reusing validations of unchanged marts: fingerprints, stored validations, and GX only when needed.

A validation is keyed by a fingerprint of the validated query results (computed in DuckDB), the suite
file's bytes and the settings. The scenario below validates four hand-made marts once, then changes
one thing at a time and records which marts went through GX again. Runs that must not need GX have it
replaced by a tripwire; a fresh interpreter shows that GX is then not even imported.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.publication import validation
from pipelines.publication.suites import PublicationSettings, load_suite, parse_suite
from pipelines.publication.validation import (MartValidation, fingerprint, last_validation_path,
                                              load_last_validation, validate_or_reuse)
from pipelines.settings import EXPECTATIONS_DIR, REPO_ROOT
from tests.publication.test_publish import MARTS, make_warehouse

SETTINGS = PublicationSettings(keep_versions=3, example_rows=5, data_docs_keep_runs=10)


def _fingerprint(warehouse: Path, mart: str, suites_dir: Path = EXPECTATIONS_DIR, example_rows: int = 5) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return fingerprint(con, load_suite(mart, suites_dir), example_rows=example_rows)


def _execute(warehouse: Path, sql: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(sql)


# --- fingerprints (DuckDB only, no GX) ---------------------------------------------------------------

@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "warehouse.duckdb")


def test_fingerprint_ignores_row_order_but_sees_every_value(warehouse: Path):
    staff = _fingerprint(warehouse, "mart_staff_by_grade")
    assert _fingerprint(warehouse, "mart_staff_by_grade") == staff
    _execute(warehouse, "CREATE OR REPLACE TABLE marts.mart_staff_by_grade AS "
                        "SELECT * FROM marts.mart_staff_by_grade ORDER BY bezirk_nr DESC, wertigkeit")
    assert _fingerprint(warehouse, "mart_staff_by_grade") == staff   # same rows, other order

    _execute(warehouse, "UPDATE marts.mart_staff_by_grade SET staff_vza = staff_vza + 0.5 "
                        "WHERE bezirk_nr = '03' AND wertigkeit = 'E 11'")
    changed = _fingerprint(warehouse, "mart_staff_by_grade")
    assert changed != staff
    _execute(warehouse, "UPDATE marts.mart_staff_by_grade SET staff_vza = staff_vza - 0.5 "
                        "WHERE bezirk_nr = '03' AND wertigkeit = 'E 11'")
    assert _fingerprint(warehouse, "mart_staff_by_grade") == staff   # changed back

    # a duplicated row (the row sum counts it twice, a XOR alone would not see a pair)
    _execute(warehouse, "INSERT INTO marts.mart_staff_by_grade SELECT * FROM marts.mart_staff_by_grade "
                        "WHERE bezirk_nr = '04' AND wertigkeit = 'E 9b'")
    assert _fingerprint(warehouse, "mart_staff_by_grade") not in (staff, changed)


def test_fingerprint_sees_schema_and_tables_only_a_query_reads(warehouse: Path):
    unit = _fingerprint(warehouse, "mart_unit_cost_comparison")
    _execute(warehouse, "ALTER TABLE marts.mart_unit_cost_comparison ALTER budget_eur TYPE DECIMAL(18, 2)")
    assert _fingerprint(warehouse, "mart_unit_cost_comparison") != unit   # same values, other type

    staff = _fingerprint(warehouse, "mart_staff_by_grade")
    _execute(warehouse, "ALTER TABLE marts.mart_staff_by_grade RENAME COLUMN wertigkeit TO grade")
    renamed = _fingerprint(warehouse, "mart_staff_by_grade")
    assert renamed != staff and _fingerprint(warehouse, "mart_staff_by_grade") == renamed

    # the districts that must report (params.bezirke) are read by a named query, not the mart
    indicators = _fingerprint(warehouse, "mart_indicators_quarterly")
    _execute(warehouse, "DELETE FROM params.bezirke WHERE bezirk_nr = '12'")
    assert _fingerprint(warehouse, "mart_indicators_quarterly") != indicators


def test_fingerprint_sees_suite_bytes_and_settings(warehouse: Path, tmp_path: Path):
    suites = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    original = _fingerprint(warehouse, "mart_resources_yearly", suites)
    assert original == _fingerprint(warehouse, "mart_resources_yearly")   # same bytes, other folder
    assert load_suite("mart_resources_yearly", suites).digest
    with open(suites / "mart_resources_yearly.yml", "a", encoding="utf-8") as f:
        f.write("# nur ein Kommentar\n")
    assert _fingerprint(warehouse, "mart_resources_yearly", suites) != original
    assert _fingerprint(warehouse, "mart_resources_yearly", example_rows=3) != original


def test_fingerprint_of_failing_queries(warehouse: Path):
    def suite(sql: str):
        return parse_suite({"mart": "mart_staff_by_grade", "queries": {"abfrage": sql}, "expectations": [
            {"name": "leer", "query": "abfrage", "type": "expect_table_row_count_to_equal",
             "kwargs": {"value": 0}, "severity": "fehler", "beschreibung": "Keine Zeile."}]},
            Path("mart_staff_by_grade.yml"))

    with duckdb.connect(str(warehouse), read_only=True) as con:
        # does not bind: the validation will report this same error, the fingerprint is stable
        unbound = suite("select gibt_es_nicht from marts.mart_staff_by_grade")
        assert fingerprint(con, unbound, example_rows=5) == fingerprint(con, unbound, example_rows=5)
        # binds, fails while running: never the same fingerprint, so never reused
        failing = suite("select cast(wertigkeit as integer) as w from marts.mart_staff_by_grade")
        assert fingerprint(con, failing, example_rows=5) != fingerprint(con, failing, example_rows=5)


# --- validate or reuse (GX) --------------------------------------------------------------------------

class _NoGreatExpectations:
    def __init__(self, *args, **kwargs):
        raise AssertionError("Great Expectations darf hier nicht laufen: alle Marts sind unverändert.")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """Each step: (marts that went through GX, outcomes). A warning and an error are in the data, so the
    stored validations carry failures with example rows."""
    root = tmp_path_factory.mktemp("wiederverwendung")
    warehouse = make_warehouse(root / "warehouse.duckdb", ("kostensprung", "stueckkosten_20x_median"))
    suites, docs = root / "expectations", root / "data_docs"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    validated: list[str] = []
    real_validate_marts = validation.validate_marts

    def spy(con, suite_list, *args, **kwargs):
        validated.extend(s.mart for s in suite_list)
        return real_validate_marts(con, suite_list, *args, **kwargs)

    def step(*, gx_allowed: bool = True) -> tuple[list[str], dict]:
        validated.clear()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(validation, "validate_marts", spy)
            if not gx_allowed:
                mp.setattr(validation, "_GxSession", _NoGreatExpectations)
            with duckdb.connect(str(warehouse), read_only=True) as con:
                outcomes = validate_or_reuse(con, MARTS, docs, SETTINGS, suites_dir=suites)
        return sorted(validated), outcomes

    steps = {"first": step()}
    stored_first = json.loads(last_validation_path(docs, "mart_unit_cost_comparison").read_text(encoding="utf-8"))
    steps["unchanged"] = step(gx_allowed=False)
    _execute(warehouse, "CREATE OR REPLACE TABLE marts.mart_staff_by_grade AS "
                        "SELECT * FROM marts.mart_staff_by_grade ORDER BY staff_vza, bezirk_nr DESC")
    steps["reordered"] = step(gx_allowed=False)
    _execute(warehouse, "UPDATE marts.mart_staff_by_grade SET staff_vza = 99.5 "
                        "WHERE bezirk_nr = '02' AND wertigkeit = 'E 9b'")
    steps["row_changed"] = step()
    with open(suites / "mart_unit_cost_comparison.yml", "a", encoding="utf-8") as f:
        f.write("# Schwellen mit dem Fachbereich abgestimmt\n")
    steps["suite_changed"] = step()
    Path(steps["first"][1]["mart_indicators_quarterly"].data_docs_index).unlink()
    last_validation_path(docs, "mart_resources_yearly").write_text("{ halb geschrieben", encoding="utf-8")
    steps["docs_or_record_lost"] = step()
    steps["settled"] = step(gx_allowed=False)
    return {"steps": steps, "warehouse": warehouse, "suites": suites, "docs": docs, "stored_first": stored_first}


def test_first_gate_validates_and_stores_every_mart(scenario):
    validated, outcomes = scenario["steps"]["first"]
    assert validated == sorted(MARTS)
    assert not any(o.reused for o in outcomes.values())
    unit = outcomes["mart_unit_cost_comparison"]
    assert [f.name for f in unit.errors] == ["stueckkosten_nahe_median"]
    assert [f.name for f in outcomes["mart_resources_yearly"].warnings] == ["kosten_vorjahressprung"]
    stored = scenario["stored_first"]
    assert stored["fingerprint"] == unit.fingerprint and len(unit.fingerprint) == 64
    assert stored["n_errors"] == 1 and stored["validated_at"] == unit.validated_at
    assert Path(stored["data_docs"]).is_file() and len(stored["data_docs_pages"]) == 2


def test_unchanged_marts_are_reused_without_gx_with_the_same_report(scenario):
    first = scenario["steps"]["first"][1]
    for name in ("unchanged", "reordered"):
        validated, outcomes = scenario["steps"][name]
        assert validated == []
        for mart, outcome in outcomes.items():
            assert outcome.reused, (name, mart)
            assert outcome.validated_at == first[mart].validated_at
            assert outcome.text() == first[mart].text() and outcome.errors == first[mart].errors
            assert outcome.warnings == first[mart].warnings and outcome.n_rows == first[mart].n_rows
            assert outcome.data_docs_index == first[mart].data_docs_index
    blocked = scenario["steps"]["unchanged"][1]["mart_unit_cost_comparison"]
    assert not blocked.passed   # an unchanged mart with an error stays blocked
    assert "| 12 | 80635 | 2024 | 4650.0 | 232.5 | 20.0 |" in blocked.text()


def test_a_changed_row_revalidates_only_that_mart(scenario):
    validated, outcomes = scenario["steps"]["row_changed"]
    assert validated == ["mart_staff_by_grade"]
    staff = outcomes["mart_staff_by_grade"]
    assert not staff.reused and not staff.passed   # 99.5 + 4 VZÄ in district 02
    assert staff.errors[0].examples[0]["bezirk_nr"] == "02"
    assert staff.fingerprint != scenario["steps"]["first"][1]["mart_staff_by_grade"].fingerprint
    assert all(o.reused for m, o in outcomes.items() if m != "mart_staff_by_grade")


def test_a_changed_suite_file_revalidates_only_that_mart(scenario):
    validated, outcomes = scenario["steps"]["suite_changed"]
    assert validated == ["mart_unit_cost_comparison"]
    assert not outcomes["mart_unit_cost_comparison"].reused
    assert [f.name for f in outcomes["mart_unit_cost_comparison"].errors] == ["stueckkosten_nahe_median"]


def test_lost_data_docs_page_or_unreadable_record_revalidates(scenario):
    validated, outcomes = scenario["steps"]["docs_or_record_lost"]
    assert validated == ["mart_indicators_quarterly", "mart_resources_yearly"]
    assert outcomes["mart_indicators_quarterly"].data_docs_index.is_file()
    assert load_last_validation(scenario["docs"], "mart_resources_yearly").fingerprint == \
        outcomes["mart_resources_yearly"].fingerprint
    validated, outcomes = scenario["steps"]["settled"]
    assert validated == [] and all(o.reused for o in outcomes.values())


def test_nothing_changed_imports_no_great_expectations(scenario):
    code = """
import json, sys
from pathlib import Path
import duckdb
from pipelines.publication.suites import PublicationSettings
from pipelines.publication.validation import validate_or_reuse
warehouse, docs, suites = sys.argv[1:4]
settings = PublicationSettings(keep_versions=3, example_rows=5, data_docs_keep_runs=10)
with duckdb.connect(warehouse, read_only=True) as con:
    outcomes = validate_or_reuse(con, sys.argv[4:], Path(docs), settings, suites_dir=Path(suites))
print(json.dumps({"reused": {m: o.reused for m, o in outcomes.items()},
                  "gx": sorted(m for m in sys.modules if m.split(".")[0] == "great_expectations")}))
"""
    out = subprocess.run([sys.executable, "-c", code, str(scenario["warehouse"]), str(scenario["docs"]),
                          str(scenario["suites"]), *MARTS], cwd=REPO_ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"reused": {m: True for m in MARTS}, "gx": []}


def test_marts_that_cannot_be_validated_get_a_german_text_and_no_record(tmp_path: Path, warehouse: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(validation, "_GxSession", _NoGreatExpectations)
    suites = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    (suites / "mart_staff_by_grade.yml").write_text("mart: [kaputt", encoding="utf-8")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        outcomes = validate_or_reuse(con, ["mart_home_visits", "mart_staff_by_grade"], tmp_path / "docs",
                                     SETTINGS, suites_dir=suites)
    assert "marts.mart_home_visits fehlt im Warehouse" in outcomes["mart_home_visits"]
    assert "kein gültiges YAML" in outcomes["mart_staff_by_grade"]
    assert not (tmp_path / "docs" / validation.LAST_VALIDATION_DIR).exists()


def test_stored_validation_round_trip(scenario):
    for outcome in scenario["steps"]["settled"][1].values():
        again = MartValidation.from_dict(json.loads(json.dumps(outcome.to_dict(), default=str)), reused=True)
        assert again == outcome


# --- the GX worker process ----------------------------------------------------------------------------

def test_worker_process_validates_like_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from pipelines.publication import gx_worker

    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", ("kostensprung",))
    settings = PublicationSettings(keep_versions=3, example_rows=5, data_docs_keep_runs=10)
    worker = gx_worker.start(tmp_path / "docs")
    assert gx_worker.start(tmp_path / "docs") is worker        # one worker per process
    # the worker does the validation: GX in this process would fail
    monkeypatch.setattr(validation, "validate_marts", lambda *a, **k: pytest.fail("validated in-process"))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        outcome = validation.validate_or_reuse(con, ["mart_resources_yearly"], tmp_path / "docs",
                                               settings)["mart_resources_yearly"]
    assert [f.name for f in outcome.warnings] == ["kosten_vorjahressprung"] and not outcome.reused
    assert all(page.is_file() for page in outcome.data_docs_pages)
    assert gx_worker.take() is None   # one request, then it is gone
    gx_worker.wait_for_workers()      # the worker builds the index page after its answer, then exits
    assert not worker.process.is_alive() and worker.process.exitcode == 0
    index = tmp_path / "docs" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert "mart_resources_yearly" in index.read_text(encoding="utf-8")
    monkeypatch.undo()
    # the same result as a validation in this process (on a copy, so that nothing is reused)
    shutil.copytree(tmp_path / "docs", tmp_path / "docs_local")
    last_validation_path(tmp_path / "docs_local", "mart_resources_yearly").unlink()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        local = validation.validate_or_reuse(con, ["mart_resources_yearly"], tmp_path / "docs_local",
                                             settings)["mart_resources_yearly"]
    assert [(f.name, f.severity, f.message) for f in local.warnings] == \
        [(f.name, f.severity, f.message) for f in outcome.warnings]
    assert local.fingerprint == outcome.fingerprint


def test_dead_worker_falls_back_to_this_process(tmp_path: Path):
    from pipelines.publication import gx_worker

    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", ())
    worker = gx_worker.start(tmp_path / "docs")
    worker.process.kill()
    worker.process.join()
    settings = PublicationSettings(keep_versions=3, example_rows=5, data_docs_keep_runs=10)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        outcome = validation.validate_or_reuse(con, ["mart_resources_yearly"], tmp_path / "docs",
                                               settings)["mart_resources_yearly"]
    assert outcome.passed and outcome.data_docs_index.is_file()
