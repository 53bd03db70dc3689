"""The gate's suites and their validation with Great Expectations on hand-made marts.

GX is slow to import and run: every dataset is validated once per module (module-scoped fixtures), all
marts of a dataset together, as the gate does (one GX context, Data Docs built once).
Expected failures and example rows are computed by hand from ``make_warehouse`` in test_publish.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.publication.suites import (FEHLER, TABLE, WARNUNG, SuiteError, available_suites,
                                          load_publication_settings, load_suite, load_suites, parse_suite,
                                          to_snake_case)
from pipelines.publication.validation import MartNotFoundError, MartValidation, validate_mart, validate_marts
from tests.publication.test_publish import MARTS, make_warehouse

DEFECTS = ("doppelter_schluessel", "anteil_ueber_100", "zaehler_ueber_nenner", "negative_kosten",
           "kosten_ungleich_teile", "ueber_100_vza", "stueckkosten_20x_median")


def _validate_all(root: Path, defects: tuple[str, ...], marts: list[str]) -> dict[str, MartValidation]:
    warehouse = make_warehouse(root / "warehouse.duckdb", defects)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return validate_marts(con, [load_suite(m) for m in marts], root / "data_docs")


@pytest.fixture(scope="module")
def plausible(tmp_path_factory) -> dict[str, MartValidation]:
    return _validate_all(tmp_path_factory.mktemp("plausibel"), (), MARTS)


@pytest.fixture(scope="module")
def implausible(tmp_path_factory) -> dict[str, MartValidation]:
    return _validate_all(tmp_path_factory.mktemp("fehlerhaft"), DEFECTS, MARTS)


@pytest.fixture(scope="module")
def warnings_only(tmp_path_factory) -> dict[str, MartValidation]:
    return _validate_all(tmp_path_factory.mktemp("warnungen"), ("kostensprung", "bezirk_fehlt"),
                         ["mart_resources_yearly", "mart_indicators_quarterly"])


def _by_name(failures) -> dict:
    return {f.name: f for f in failures}


def test_plausible_marts_pass_with_data_docs(plausible):
    for validation in plausible.values():
        assert validation.passed, validation.text()
        assert validation.errors == [] and validation.warnings == []
        assert validation.data_docs_index.is_file() and validation.data_docs_index.suffix == ".html"
        assert all(p.is_file() for p in validation.data_docs_pages)
    resources = plausible["mart_resources_yearly"]
    assert resources.n_rows == 26 and resources.n_expectations == len(load_suite("mart_resources_yearly").rules)
    # one Data Docs page per validated query: the table and the four named queries
    assert len(resources.data_docs_pages) == 5
    assert "Kosten = Personalkosten + Sachkosten + Umlagen" in "".join(
        p.read_text(encoding="utf-8") for p in resources.data_docs_pages)


def test_indicator_defects_are_named_with_example_rows(implausible):
    v = implausible["mart_indicators_quarterly"]
    assert not v.passed and v.warnings == []
    errors = _by_name(v.errors)
    assert set(errors) == {"schluessel_eindeutig", "anteil_0_bis_100", "zaehler_hoechstens_nenner"}

    dup = errors["schluessel_eindeutig"]
    assert dup.expectation_type == "expect_compound_columns_to_be_unique"
    assert dup.column == "bezirk_nr, year, quarter, indicator" and dup.unexpected_count == 2
    assert {(r["bezirk_nr"], r["indicator"], r["numerator"]) for r in dup.examples} == {("05", "1.1", 6), ("05", "1.1", 0)}

    share = errors["anteil_0_bis_100"]
    assert share.unexpected_count == 1 and share.severity == FEHLER
    assert [(r["bezirk_nr"], r["share_pct"]) for r in share.examples] == [("07", 120.0)]

    excess = errors["zaehler_hoechstens_nenner"]
    assert excess.query == "zaehler_nenner" and excess.unexpected_count == 1
    assert excess.examples == [{"bezirk_nr": "08", "year": 2024, "quarter": 1, "indicator": "1.5",
                                "numerator": 8, "denominator": 7, "ueberschuss": 1}]
    text = v.text()
    assert "**Fehler** in `mart_indicators_quarterly`: Der Zähler ist nicht größer als der Nenner." in text
    assert "| bezirk_nr | year | quarter | indicator | numerator | denominator | ueberschuss |" in text


def test_resource_defects_are_named_with_example_rows(implausible):
    v = implausible["mart_resources_yearly"]
    errors = _by_name(v.errors)
    assert not v.passed and v.warnings == []
    assert set(errors) == {"kosten_nicht_negativ", "personalkosten_nicht_negativ", "stueckkosten_nicht_negativ",
                           "kosten_gleich_summe_der_teile", "hoechstens_100_vza"}
    negative = errors["kosten_nicht_negativ"]
    assert negative.column == "cost_eur" and negative.unexpected_count == 1
    assert [(r["bezirk_nr"], r["product"], r["cost_eur"]) for r in negative.examples] == [("04", "80921", -500.0)]
    assert errors["stueckkosten_nicht_negativ"].examples[0]["unit_cost_eur"] == -50.0   # -500 € / 10

    parts = errors["kosten_gleich_summe_der_teile"]   # 1000 − (600 + 200 + 150); Berlin inherits the 50 €
    assert parts.unexpected_count == 2
    assert {(r["bezirk_nr"], r["abweichung_eur"]) for r in parts.examples} == {("06", 50.0), ("BE", 50.0)}

    staff = errors["hoechstens_100_vza"]   # Berlin's 156.9 VZÄ are not a district's
    assert staff.unexpected_count == 1
    assert staff.examples == [{"bezirk_nr": "09", "product": "80921", "year": 2024, "staff_vza": 120.0}]


def test_staff_and_unit_cost_defects(implausible):
    staff = implausible["mart_staff_by_grade"]
    assert [f.name for f in staff.errors] == ["hoechstens_100_vza"]
    # 98 VZÄ E 9b + 4 VZÄ E 11 summed over the grades of district 11
    assert staff.errors[0].examples == [{"bezirk_nr": "11", "product": "80635", "year": 2024, "staff_vza": 102.0}]

    unit = implausible["mart_unit_cost_comparison"]
    assert [f.name for f in unit.errors] == ["stueckkosten_nahe_median"]
    row = unit.errors[0].examples[0]
    # median of 205 … 255 and 4650: mean of the 6th and 7th value (230, 235) = 232.5; 4650 / 232.5 = 20
    assert (row["bezirk_nr"], row["median_unit_cost_eur"], row["verhaeltnis_zum_median"]) == ("12", 232.5, 20.0)
    assert unit.errors[0].unexpected_count == 1


def test_warnings_alone_pass_and_name_the_missing_district(warnings_only):
    resources = warnings_only["mart_resources_yearly"]
    assert resources.passed and resources.errors == []
    [jump] = resources.warnings
    assert jump.name == "kosten_vorjahressprung" and jump.severity == WARNUNG and jump.unexpected_count == 1
    # 2023: 100000 + 10 × 1000 = 110000 €; 2024: 176000 € -> +60 %
    assert (jump.examples[0]["bezirk_nr"], jump.examples[0]["kosten_vorjahr"], jump.examples[0]["kosten"]) == (
        "10", 110000.0, 176000.0)
    assert jump.examples[0]["kosten_aenderung_pct"] == pytest.approx(60.0)

    indicators = warnings_only["mart_indicators_quarterly"]
    assert indicators.passed and indicators.errors == []
    [missing] = indicators.warnings
    assert missing.name == "alle_bezirke_je_quartal"
    assert missing.examples == [{"year": 2024, "quarter": 1, "anzahl_bezirke": 11, "fehlende_bezirke": "12"}]
    assert "**Warnung** in `mart_indicators_quarterly`" in indicators.text()


def test_missing_mart_and_failing_query(tmp_path: Path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    suite = parse_suite({
        "mart": "mart_staff_by_grade",
        "queries": {"kaputt": "select gibt_es_nicht from marts.mart_staff_by_grade"},
        "expectations": [
            {"name": "stellen_nicht_negativ", "type": "ExpectColumnValuesToBeBetween",
             "kwargs": {"column": "staff_vza", "min_value": 0}, "severity": "fehler", "beschreibung": "≥ 0"},
            {"name": "abfrage", "query": "kaputt", "type": "expect_table_row_count_to_equal",
             "kwargs": {"value": 0}, "severity": "warnung", "beschreibung": "Abfrage leer."},
        ]}, Path("mart_staff_by_grade.yml"))
    with duckdb.connect(str(warehouse)) as con:
        missing = parse_suite({"mart": "mart_gibt_es_nicht", "expectations": [
            {"name": "x", "type": "expect_table_row_count_to_equal", "kwargs": {"value": 0},
             "severity": "fehler", "beschreibung": "x"}]}, Path("mart_gibt_es_nicht.yml"))
        with pytest.raises(MartNotFoundError, match="marts.mart_gibt_es_nicht fehlt"):
            validate_mart(con, "mart_gibt_es_nicht", missing, tmp_path / "docs")
        v = validate_mart(con, "mart_staff_by_grade", suite, tmp_path / "docs")
    # a query that does not run cannot be checked: an error, whatever the rule's severity
    assert not v.passed and [f.name for f in v.errors] == ["abfrage"] and v.warnings == []
    assert "gibt_es_nicht" in v.errors[0].message and "schlägt fehl" in v.errors[0].describe()


def test_several_marts_share_one_context_and_one_data_docs_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import great_expectations as gx
    from great_expectations.data_context.data_context.abstract_data_context import AbstractDataContext

    calls = {"get_context": 0, "build_data_docs": 0}
    real_get_context, real_build = gx.get_context, AbstractDataContext.build_data_docs

    def get_context(*args, **kwargs):
        calls["get_context"] += 1
        return real_get_context(*args, **kwargs)

    def build_data_docs(self, *args, **kwargs):
        calls["build_data_docs"] += 1
        return real_build(self, *args, **kwargs)

    monkeypatch.setattr(gx, "get_context", get_context)
    monkeypatch.setattr(AbstractDataContext, "build_data_docs", build_data_docs)
    marts = ["mart_staff_by_grade", "mart_unit_cost_comparison", "mart_indicators_quarterly"]
    result = _validate_all(tmp_path, (), marts)
    assert calls == {"get_context": 1, "build_data_docs": 1}
    assert list(result) == marts and all(v.passed for v in result.values())
    pages = [p for v in result.values() for p in v.data_docs_pages]
    assert len(pages) == len(set(pages)) == 2 + 2 + 4 and all(p.is_file() for p in pages)
    # one run time for the whole gate
    assert len({v.validated_at for v in result.values()}) == 1
    index = (tmp_path / "data_docs" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html")
    assert all(m in index.read_text(encoding="utf-8") for m in marts)
    # the next gate in this process reuses the context of the directory
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        validate_marts(con, [load_suite("mart_staff_by_grade")], tmp_path / "data_docs")
    assert calls == {"get_context": 1, "build_data_docs": 2}


def test_validate_marts_reports_a_missing_mart_and_an_unusable_suite_per_mart(tmp_path: Path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    unknown_type = parse_suite({"mart": "mart_staff_by_grade", "expectations": [
        {"name": "gibt_es_nicht", "type": "expect_column_values_to_be_magisch", "kwargs": {"column": "staff_vza"},
         "severity": "fehler", "beschreibung": "Unbekannter Typ."}]}, Path("mart_staff_by_grade.yml"))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        result = validate_marts(con, [load_suite("mart_home_visits"), unknown_type,
                                      load_suite("mart_unit_cost_comparison")], tmp_path / "docs")
        with pytest.raises(SuiteError, match="expect_column_values_to_be_magisch"):
            validate_mart(con, "mart_staff_by_grade", unknown_type, tmp_path / "docs")
        with pytest.raises(ValueError, match="nur einmal"):
            validate_marts(con, [unknown_type, unknown_type], tmp_path / "docs")
    assert isinstance(result["mart_home_visits"], MartNotFoundError)
    assert isinstance(result["mart_staff_by_grade"], SuiteError)
    assert "magisch" in str(result["mart_staff_by_grade"])
    unit = result["mart_unit_cost_comparison"]
    assert isinstance(unit, MartValidation) and unit.passed and unit.data_docs_index.is_file()


def test_stored_form_of_a_validation_reads_back_unchanged(implausible):
    for v in implausible.values():
        again = MartValidation.from_dict(json.loads(json.dumps(v.to_dict(), ensure_ascii=False, default=str)))
        assert again == v and again.text() == v.text()


def test_shipped_suites_load_and_every_rule_is_a_gx_expectation(plausible):
    import great_expectations as gx

    from pipelines.publication.validation import _expectation

    suites = load_suites()
    assert set(MARTS) <= set(suites) and set(suites) == set(available_suites())
    for suite in suites.values():
        assert {r.severity for r in suite.rules} <= {FEHLER, WARNUNG}
        for rule in suite.rules:
            assert _expectation(gx, rule).meta["name"] == rule.name
    settings = load_publication_settings()
    assert settings.keep_versions >= 1 and settings.example_rows == 5


@pytest.mark.parametrize("change, message", [
    ({"mart": "mart_anders"}, "erwartet wird der Dateiname"),
    ({"expectations": []}, "nicht leere Liste"),
    ({"expectations": [{"name": "a", "type": "ExpectColumnToExist", "kwargs": {"column": "x"},
                        "severity": "kritisch", "beschreibung": "x"}]}, "erwartet: fehler oder warnung"),
    ({"expectations": [{"name": "a", "type": "column_exists", "severity": "fehler",
                        "beschreibung": "x"}]}, "kein GX-Erwartungstyp"),
    ({"expectations": [{"name": "a", "type": "expect_column_to_exist", "severity": "fehler",
                        "beschreibung": "x", "query": "fehlt"}]}, "nicht definiert"),
    ({"expectations": [{"name": "a", "type": "expect_column_to_exist", "severity": "fehler"}]}, "beschreibung"),
    ({"queries": {"ungenutzt": "select 1"}}, "Abfragen ohne Regel"),
    ({"schwelle": 3}, "unbekannte Schlüssel"),
])
def test_malformed_suites_are_rejected_in_german(change, message):
    base = {"mart": "mart_x", "expectations": [
        {"name": "a", "type": "expect_column_to_exist", "kwargs": {"column": "x"}, "severity": "fehler",
         "beschreibung": "Spalte x existiert."}]}
    with pytest.raises(SuiteError, match=message):
        parse_suite({**base, **change}, Path("mart_x.yml"))


def test_type_names_and_default_query():
    assert to_snake_case("ExpectColumnValuesToBeBetween") == "expect_column_values_to_be_between"
    assert to_snake_case("expect_column_values_to_be_between") == "expect_column_values_to_be_between"
    suite = load_suite("mart_unit_cost_comparison")
    assert suite.queries[TABLE] == 'SELECT * FROM marts."mart_unit_cost_comparison"'
    assert suite.rules_for("verhaeltnis_zum_median")[0].kwargs == {
        "column": "verhaeltnis_zum_median", "min_value": 0.1, "max_value": 10}


def test_prepared_context_has_every_query_asset_and_validates_the_same(tmp_path, plausible):
    """The GX worker prepares the context ahead (assets of every query); validation results are unchanged."""
    from pipelines.publication.validation import _gx_context, _gx_name, prepare_context

    suites = list(load_suites().values())
    prepare_context(tmp_path / "data_docs")
    _, source = _gx_context(tmp_path / "data_docs")
    assert {a.name for a in source.assets} == {_gx_name(s.mart, q) for s in suites for q in s.queries}
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", ())
    with duckdb.connect(str(warehouse), read_only=True) as con:
        again = validate_marts(con, [load_suite(m) for m in MARTS], tmp_path / "data_docs")
    assert {m: (v.passed, v.n_rows, v.n_expectations) for m, v in again.items()} == \
        {m: (v.passed, v.n_rows, v.n_expectations) for m, v in plausible.items()}


def test_index_page_can_follow_the_validation(tmp_path: Path):
    """The GX worker answers the gate before it builds the site's index page (build_index=False)."""
    from pipelines.publication.validation import build_data_docs_index

    make_warehouse(tmp_path / "warehouse.duckdb")
    docs = tmp_path / "data_docs"
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        result = validate_marts(con, [load_suite("mart_staff_by_grade")], docs, build_index=False)
    outcome = result["mart_staff_by_grade"]
    assert outcome.passed and all(page.is_file() for page in outcome.data_docs_pages)
    index = docs / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert not index.exists()
    assert build_data_docs_index(docs) == index
    assert "mart_staff_by_grade" in index.read_text(encoding="utf-8")


def test_warmed_page_templates_are_not_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import jinja2

    from pipelines.publication import gx_templates

    assert gx_templates.warm() > 20
    compiled = []
    real_compile = jinja2.Environment.compile

    def compile_(self, source, *args, **kwargs):
        compiled.append(source)
        return real_compile(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compile_)
    result = _validate_all(tmp_path, (), ["mart_staff_by_grade"])
    assert result["mart_staff_by_grade"].passed
    index = tmp_path / "data_docs" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert "mart_staff_by_grade" in index.read_text(encoding="utf-8")
    assert compiled == []   # every page template came from the shared cache

