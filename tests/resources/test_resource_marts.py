"""Resource marts (Maßnahmen 5 and 6) on hand-made KLR rows: one dbt build serves every assertion.

Scenarios, each in its own year so they do not disturb each other:
- 2018: product 80635 in all 12 districts (median of 12 = mean of 6th and 7th, rank, Berlin sums)
- 2019: 80633 in 5 reporting districts (odd) + one without quantity; 80922 in 4 districts (even)
- 2020: a replaced delivery (district 02), a rejected later file (district 01), group rows with
  mismatching and matching units, an empty budget, grade spelling
- 2017/2021: staffing build-up by grade; 2022: cost-centre compliance and the exceptions list
"""

from __future__ import annotations

import os
from datetime import datetime

import pytest

from tests.conftest import TestWarehouse

# the marts and everything upstream; tests only where all their parents are built (others' models
# share stg_eingangsregister__files and would pull their own tests in otherwise)
MARTS = ("+mart_resources_yearly +mart_staff_by_grade +mart_unit_cost_comparison +mart_staffing_2017_2021 "
         "+mart_cost_centre_compliance +mart_cost_centre_exceptions")

P33, P35, P921, P922 = "80633", "80635", "80921", "80922"


def _registry(file_id: str, kind: str, seen: str, status: str = "accepted", bezirk_nr: str | None = None,
              year: int | None = None) -> dict:
    return {"file_id": file_id, "path": f"klr/{file_id}.csv", "kind": kind, "size_bytes": 100,
            "seen_at": datetime.fromisoformat(seen), "bezirk_nr": bezirk_nr, "year": year, "quarter": None,
            "status": status, "n_errors": 1 if status == "rejected" else 0, "n_warnings": 0, "n_rows": 1,
            "report_path": None, "archive_path": None}


def _menge(file_id, year, bezirk, product, unit, quantity, budget=None, row=2) -> dict:
    return {"file_id": file_id, "source_row": row, "year": year, "bezirk_nr": bezirk, "product": product,
            "produktbezeichnung": None, "bezugsgroesse": unit, "menge": quantity, "budget_eur": budget}


def _kosten(file_id, year, bezirk, product, cost, parts=None, ks="KS1", name="Soziale Wohnhilfen", row=2) -> dict:
    personal, sach, umlagen = parts if parts else (cost, 0.0, 0.0)
    return {"file_id": file_id, "source_row": row, "year": year, "bezirk_nr": bezirk, "product": product,
            "kostenstelle": ks, "kostenstellenbezeichnung": name, "kosten_eur": float(cost),
            "personalkosten_eur": float(personal), "sachkosten_eur": float(sach), "umlagen_eur": float(umlagen)}


def _stelle(file_id, year, bezirk, product, grade, vza, ks="KS1", row=2) -> dict:
    return {"file_id": file_id, "source_row": row, "year": year, "bezirk_nr": bezirk, "product": product,
            "kostenstelle": ks, "wertigkeit": grade, "stellenanteile_vza": float(vza)}


# 2018, product 80635, unit cost per district '01'…'12'; sorted: 200 250 300 400 500 [600 700] 800 …
UNIT_COST_2018 = [500, 300, 800, 200, 1000, 700, 400, 900, 600, 1200, 1100, 250]
QUANTITY_2018 = {"01": 200, "10": 50}  # all others 100


def _scenario_rows() -> tuple[list[dict], dict[str, list[dict]]]:
    registry = [
        _registry("m2018", "klr_mengen", "2019-03-01 10:00"),
        _registry("k2018", "klr_kosten", "2019-03-01 10:00"),
        _registry("m2019", "klr_mengen", "2020-03-01 10:00"),
        _registry("k2019", "klr_kosten", "2020-03-01 10:00"),
        _registry("m2020a", "klr_mengen", "2021-03-01 10:00"),
        _registry("m2020b", "klr_mengen", "2021-06-01 10:00", bezirk_nr="02", year=2020),
        _registry("m2020c", "klr_mengen", "2021-09-01 10:00", status="rejected", bezirk_nr="01", year=2020),
        _registry("k2020", "klr_kosten", "2021-03-01 10:00"),
        _registry("s2020", "klr_stellen", "2021-03-01 10:00"),
        _registry("s2017", "klr_stellen", "2018-03-01 10:00"),
        _registry("s2021", "klr_stellen", "2022-03-01 10:00"),
        _registry("k2021", "klr_kosten", "2022-03-01 10:00"),
        _registry("k2022", "klr_kosten", "2023-03-01 10:00"),
        _registry("s2022", "klr_stellen", "2023-03-01 10:00"),
    ]
    mengen, kosten, stellen = [], [], []

    for i, uc in enumerate(UNIT_COST_2018, start=1):
        b = f"{i:02d}"
        q = QUANTITY_2018.get(b, 100)
        mengen.append(_menge("m2018", 2018, b, P35, "Fälle", float(q), row=i + 1))
        kosten.append(_kosten("k2018", 2018, b, P35, uc * q, row=i + 1))

    # 2019: 80633 unit costs 30 10 50 20 40 (median 30); district 06 without quantity
    for i, uc in enumerate([30, 10, 50, 20, 40], start=1):
        mengen.append(_menge("m2019", 2019, f"{i:02d}", P33, "Fälle", 10.0))
        kosten.append(_kosten("k2019", 2019, f"{i:02d}", P33, uc * 10))
    mengen.append(_menge("m2019", 2019, "06", P33, "Fälle", None))
    kosten.append(_kosten("k2019", 2019, "06", P33, 1000))
    # 2019: 80922 unit costs 10 40 20 30 (median 25)
    for i, uc in enumerate([10, 40, 20, 30], start=1):
        mengen.append(_menge("m2019", 2019, f"{i:02d}", P922, "Fälle", 10.0))
        kosten.append(_kosten("k2019", 2019, f"{i:02d}", P922, uc * 10))

    # 2020: first delivery, districts 01 and 02
    mengen += [
        _menge("m2020a", 2020, "01", P33, "Fälle", 100.0, 50000.0),
        _menge("m2020a", 2020, "01", P35, "Fälle", 200.0, 80000.0),
        _menge("m2020a", 2020, "01", P921, "Unterbringungstage", 5000.0, 300000.0),
        _menge("m2020a", 2020, "01", P922, "Fälle", 50.0, None),
        *[_menge("m2020a", 2020, "02", p, "Fälle", q, 1000.0) for p, q in
          ((P33, 10.0), (P35, 20.0), (P921, 30.0), (P922, 40.0))],
        # later accepted file for district 02 only: replaces 02, leaves 01 alone
        *[_menge("m2020b", 2020, "02", p, "Fälle", q, 2000.0) for p, q in
          ((P33, 11.0), (P35, 22.0), (P921, 33.0), (P922, 44.0))],
        # later rejected file for district 01: never counts
        _menge("m2020c", 2020, "01", P33, "Fälle", 999.0, 1.0),
    ]
    kosten += [
        _kosten("k2020", 2020, "01", P33, 40000, (30000, 5000, 5000)),
        _kosten("k2020", 2020, "01", P35, 90000, (70000, 10000, 10000)),
        _kosten("k2020", 2020, "01", P921, 250000, (200000, 30000, 20000)),
        _kosten("k2020", 2020, "01", P922, 20000, (15000, 3000, 2000)),
        _kosten("k2020", 2020, "02", P33, 5500, (5000, 300, 200)),
    ]
    stellen += [
        _stelle("s2020", 2020, "01", P33, "E 9b", 1.5),
        _stelle("s2020", 2020, "01", P35, "E11", 2.0),
        _stelle("s2020", 2020, "01", P35, " e9B ", 0.5),
    ]

    # staffing build-up: 2017 and 2021 (district 04 sends nothing for 2021)
    stellen += [
        _stelle("s2017", 2017, "03", P35, "E 9b", 2.0),
        _stelle("s2017", 2017, "03", P35, "E 11", 1.0),
        _stelle("s2017", 2017, "03", P33, "E 11", 0.5),
        _stelle("s2017", 2017, "04", P35, "E 11", 1.0),
        _stelle("s2021", 2021, "03", P35, "E 9b", 3.0),
        _stelle("s2021", 2021, "03", P35, "E 11", 1.0, ks="KSX"),
        _stelle("s2021", 2021, "03", P35, "E 11", 1.5, ks="KSY"),
        _stelle("s2021", 2021, "03", P922, "A 11", 1.0),
    ]
    # 2021 is before Maßnahme 6: a booking off the Fachstelle is no exception
    kosten.append(_kosten("k2021", 2021, "05", P921, 1000, ks="0500AFS", name="Amt für Soziales – Allgemein"))

    # 2022: district 05 partly off the Fachstelle, 06 compliant (a 0-VZÄ row elsewhere), 07 staff only
    fs05, afs05 = ("0500SWH", "Fachstelle Soziale Wohnhilfen"), ("0500AFS", "Amt für Soziales – Allgemein")
    kosten += [
        _kosten("k2022", 2022, "05", P35, 80000, (60000, 10000, 10000), *fs05, row=2),
        _kosten("k2022", 2022, "05", P33, 20000, (15000, 3000, 2000), *fs05, row=3),
        _kosten("k2022", 2022, "05", P921, 25000, (20000, 3000, 2000), *afs05, row=4),
        _kosten("k2022", 2022, "06", P35, 50000, (40000, 5000, 5000), "0600FS",
                "FACHSTELLE  „Soziale Wohnhilfen“", row=5),
    ]
    stellen += [
        _stelle("s2022", 2022, "05", P35, "E 11", 3.0, ks="0500SWH", row=2),
        _stelle("s2022", 2022, "05", P33, "E 9b", 1.0, ks="0500SWH", row=3),
        _stelle("s2022", 2022, "05", P921, "E 9b", 1.0, ks="0500AFS", row=4),
        _stelle("s2022", 2022, "06", P35, "E 11", 2.0, ks="0600FS", row=5),
        _stelle("s2022", 2022, "06", P922, "E 9b", 0.0, ks="0600XX", row=6),
        _stelle("s2022", 2022, "07", P35, "E 11", 1.0, ks="0700SWH", row=7),
    ]
    return registry, {"klr_mengen": mengen, "klr_kosten": kosten, "klr_stellen": stellen}


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("resources")
    old = os.environ.get("SWH_WAREHOUSE")
    os.environ["SWH_WAREHOUSE"] = str(root / "warehouse.duckdb")
    warehouse = TestWarehouse(root)
    registry, tables = _scenario_rows()
    warehouse.insert("file_registry", registry)
    for table, rows in tables.items():
        warehouse.insert(table, rows)
    warehouse.dbt("build", "--select", *MARTS.split(), "--indirect-selection", "cautious")
    yield warehouse
    if old is None:
        os.environ.pop("SWH_WAREHOUSE", None)
    else:
        os.environ["SWH_WAREHOUSE"] = old


def _one(wh: TestWarehouse, sql: str) -> dict:
    rows = wh.query(sql).to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


def _uc(wh, bezirk, product, year) -> dict:
    return _one(wh, f"select * from marts.mart_unit_cost_comparison where bezirk_nr = '{bezirk}' "
                    f"and product = '{product}' and year = {year}")


def _res(wh, bezirk, product, year) -> dict:
    return _one(wh, f"select * from marts.mart_resources_yearly where bezirk_nr = '{bezirk}' "
                    f"and product = '{product}' and year = {year}")


# --- Berlin budgeting rule -------------------------------------------------------------------------

def test_median_of_twelve_is_mean_of_sixth_and_seventh(wh):
    r01 = _uc(wh, "01", P35, 2018)
    assert r01["n_districts_reporting"] == 12
    assert r01["median_unit_cost_eur"] == pytest.approx(650.0)   # (600 + 700) / 2
    assert r01["unit_cost_eur"] == pytest.approx(500.0)
    assert r01["rank"] == 5
    assert r01["quantity"] == 200
    assert r01["diff_to_median_eur"] == pytest.approx(-30000.0)  # (500 − 650) × 200
    assert r01["median_budget_eur"] == pytest.approx(130000.0)   # 650 × 200
    assert r01["cost_eur"] == pytest.approx(100000.0)
    assert r01["budget_eur"] is None
    r10 = _uc(wh, "10", P35, 2018)
    assert (r10["rank"], r10["diff_to_median_eur"]) == (12, pytest.approx(27500.0))  # (1200 − 650) × 50
    assert _uc(wh, "04", P35, 2018)["rank"] == 1


def test_median_odd_and_even_counts(wh):
    odd = wh.query("select bezirk_nr, rank, median_unit_cost_eur, n_districts_reporting, unit_cost_eur "
                   "from marts.mart_unit_cost_comparison where product = '80633' and year = 2019 "
                   "order by bezirk_nr").to_dicts()
    assert [r["bezirk_nr"] for r in odd] == ["01", "02", "03", "04", "05", "06"]
    assert {r["median_unit_cost_eur"] for r in odd} == {30.0}
    assert {r["n_districts_reporting"] for r in odd} == {5}
    assert [r["rank"] for r in odd] == [3, 1, 5, 2, 4, None]   # 06 has no quantity: no unit cost
    assert odd[5]["unit_cost_eur"] is None

    even = _uc(wh, "02", P922, 2019)
    assert even["median_unit_cost_eur"] == pytest.approx(25.0)   # (20 + 30) / 2
    assert even["n_districts_reporting"] == 4
    assert even["diff_to_median_eur"] == pytest.approx(150.0)    # (40 − 25) × 10
    assert _uc(wh, "01", P922, 2019)["diff_to_median_eur"] == pytest.approx(-150.0)


def test_district_without_booked_cost_reports_no_unit_cost(wh):
    zero = _uc(wh, "02", P35, 2020)                     # quantity 22, cost 0
    assert (zero["unit_cost_eur"], zero["rank"], zero["diff_to_median_eur"]) == (None, None, None)
    assert zero["n_districts_reporting"] == 1           # only 01 (90 000 / 200 = 450)
    assert zero["median_unit_cost_eur"] == pytest.approx(450.0)
    assert zero["median_budget_eur"] == pytest.approx(9900.0)   # 450 × 22


# --- versioning --------------------------------------------------------------------------------------

def test_later_delivery_replaces_only_its_district_and_rejected_file_never_counts(wh):
    assert _res(wh, "02", P33, 2020)["quantity"] == 11.0          # from the later file m2020b
    assert _res(wh, "02", P33, 2020)["budget_eur"] == 2000.0
    assert _res(wh, "01", P33, 2020)["quantity"] == 100.0         # m2020c was rejected
    assert _res(wh, "01", P33, 2020)["budget_eur"] == 50000.0
    files = wh.query("select bezirk_nr, file_id, n_versions from intermediate.int_klr__current_files "
                     "where kind = 'klr_mengen' and year = 2020 order by bezirk_nr").rows()
    assert files == [("01", "m2020a", 1), ("02", "m2020b", 2)]


# --- Maßnahme 5: yearly resources ----------------------------------------------------------------------

def test_product_rows_costs_budget_and_ratios(wh):
    r = _res(wh, "01", P33, 2020)
    assert r["cost_eur"] == 40000.0
    assert (r["personnel_cost_eur"], r["material_cost_eur"], r["allocation_cost_eur"]) == (30000.0, 5000.0, 5000.0)
    assert r["budget_result_eur"] == 10000.0                    # 50 000 − 40 000
    assert r["unit_cost_eur"] == pytest.approx(400.0)           # 40 000 / 100
    assert r["staff_vza"] == 1.5
    assert r["quantity_per_vza"] == pytest.approx(100 / 1.5)
    assert r["unit"] == "Fälle" and r["quantity_note"] is None
    r35 = _res(wh, "01", P35, 2020)
    assert r35["staff_vza"] == 2.5 and r35["quantity_per_vza"] == pytest.approx(80.0)  # 200 / 2.5
    no_budget = _res(wh, "01", P922, 2020)
    assert no_budget["budget_eur"] is None and no_budget["budget_result_eur"] is None
    assert no_budget["cost_eur"] == 20000.0
    no_staff_rows = _res(wh, "01", P921, 2020)          # staff file for 01 has no 80921 row: 0, not unknown
    assert no_staff_rows["staff_vza"] == 0.0 and no_staff_rows["quantity_per_vza"] is None
    no_cost_rows = _res(wh, "02", P35, 2020)            # cost file for 02 has no 80635 row
    assert (no_cost_rows["cost_eur"], no_cost_rows["budget_result_eur"]) == (0.0, 2000.0)
    assert no_cost_rows["staff_vza"] is None            # no staff file for 02 at all: unknown


def test_group_with_mismatching_units_has_no_quantity_but_a_note(wh):
    g = _res(wh, "01", "gruppe", 2020)
    assert g["cost_eur"] == 400000.0
    assert (g["personnel_cost_eur"], g["material_cost_eur"], g["allocation_cost_eur"]) == (315000.0, 48000.0, 37000.0)
    assert g["staff_vza"] == 4.0
    assert g["budget_eur"] is None            # 80922 has no budget: no partial sum
    assert g["budget_result_eur"] is None
    assert g["quantity"] is None and g["unit"] is None and g["unit_cost_eur"] is None
    assert g["quantity_note"] == "Bezugsgrößen verschieden (Fälle, Unterbringungstage): keine Summe"


def test_group_with_matching_units_sums_quantity(wh):
    g = _res(wh, "02", "gruppe", 2020)
    assert g["quantity"] == 110.0             # 11 + 22 + 33 + 44 (replaced delivery)
    assert g["unit"] == "Fälle" and g["quantity_note"] is None
    assert g["budget_eur"] == 8000.0
    assert g["cost_eur"] == 5500.0
    assert g["budget_result_eur"] == 2500.0
    assert g["unit_cost_eur"] == pytest.approx(50.0)


def test_berlin_rows_are_sums_over_districts(wh):
    be = _res(wh, "BE", P35, 2018)
    assert be["quantity"] == 1250.0           # 200 + 50 + 10 × 100
    assert be["cost_eur"] == 785000.0         # 100 000 + 60 000 + 625 000
    assert be["unit_cost_eur"] == pytest.approx(628.0)
    be33 = _res(wh, "BE", P33, 2020)
    assert (be33["quantity"], be33["budget_eur"], be33["cost_eur"]) == (111.0, 52000.0, 45500.0)
    assert be33["unit_cost_eur"] == pytest.approx(45500 / 111)
    be921 = _res(wh, "BE", P921, 2020)
    assert be921["quantity"] is None
    assert be921["quantity_note"] == "Bezugsgrößen verschieden (Fälle, Unterbringungstage): keine Summe"
    assert _res(wh, "BE", P922, 2020)["budget_eur"] is None   # 01 has none, 02 has 2 000
    group = _res(wh, "BE", "gruppe", 2020)
    assert group["cost_eur"] == 405500.0
    assert group["quantity"] is None and group["unit"] is None
    assert group["quantity_note"] == "Menge fehlt bei Produkt(en) 80921: keine Summe"
    no_q = _res(wh, "BE", P33, 2019)
    assert no_q["quantity"] is None and no_q["quantity_note"] == "Menge fehlt bei Bezirk(en) 06: keine Summe"
    assert _res(wh, "06", P33, 2019)["quantity_note"] == "Keine Menge geliefert"


# --- Maßnahme 5: staff by grade and build-up 2017 → 2021 ------------------------------------------------

def test_staff_by_grade(wh):
    q = ("select staff_vza from marts.mart_staff_by_grade where bezirk_nr = '{b}' and product = '{p}' "
         "and year = {y} and wertigkeit = '{w}'")
    assert wh.query(q.format(b="03", p=P35, y=2021, w="E 11")).item() == 2.5     # two cost centres
    assert wh.query(q.format(b="03", p="gruppe", y=2017, w="E 11")).item() == 1.5
    assert wh.query(q.format(b="BE", p="gruppe", y=2017, w="E 11")).item() == 2.5
    assert wh.query(q.format(b="01", p=P35, y=2020, w="E 9b")).item() == 0.5     # " e9B " normalised
    grades = wh.query("select distinct wertigkeit from marts.mart_staff_by_grade order by 1")["wertigkeit"]
    assert grades.to_list() == ["A 11", "E 11", "E 9b"]


def test_staffing_build_up_2017_2021(wh):
    def row(b, p, w):
        return _one(wh, f"select * from marts.mart_staffing_2017_2021 where bezirk_nr = '{b}' "
                        f"and product = '{p}' and wertigkeit = '{w}'")

    e9b = row("03", "gruppe", "E 9b")
    assert (e9b["staff_vza_2017"], e9b["staff_vza_2021"], e9b["change_2017_2021"]) == (2.0, 3.0, 1.0)
    assert e9b["staff_vza_2018"] is None                      # nothing delivered for 2018
    a11 = row("03", "gruppe", "A 11")
    assert (a11["staff_vza_2017"], a11["staff_vza_2021"], a11["change_2017_2021"]) == (0.0, 1.0, 1.0)
    total = row("03", "gruppe", "insgesamt")
    assert (total["staff_vza_2017"], total["staff_vza_2021"], total["change_2017_2021"]) == (3.5, 6.5, 3.0)
    per_product = row("03", P35, "E 11")
    assert (per_product["staff_vza_2017"], per_product["staff_vza_2021"]) == (1.0, 2.5)
    gone = row("04", "gruppe", "E 11")
    assert (gone["staff_vza_2017"], gone["staff_vza_2021"], gone["change_2017_2021"]) == (1.0, None, None)
    berlin = row("BE", "gruppe", "insgesamt")
    assert (berlin["staff_vza_2017"], berlin["staff_vza_2020"], berlin["staff_vza_2021"]) == (4.5, 4.0, 6.5)
    assert berlin["change_2017_2021"] == 2.0
    berlin_e11 = row("BE", "gruppe", "E 11")
    assert (berlin_e11["staff_vza_2017"], berlin_e11["staff_vza_2021"], berlin_e11["change_2017_2021"]) == (2.5, 2.5, 0.0)


# --- Maßnahme 6: cost centre -----------------------------------------------------------------------------

def test_cost_centre_compliance(wh):
    c = wh.query("select * from marts.mart_cost_centre_compliance order by bezirk_nr, year")
    assert c["year"].min() == 2022                              # first year from the seed, 2021 left out
    rows = {r["bezirk_nr"]: r for r in c.to_dicts()}
    assert set(rows) == {"05", "06", "07", "BE"}
    d05 = rows["05"]
    assert (d05["cost_total_eur"], d05["cost_on_fachstelle_eur"]) == (125000.0, 100000.0)
    assert d05["cost_share_pct"] == pytest.approx(80.0)
    assert (d05["staff_total_vza"], d05["staff_on_fachstelle_vza"]) == (5.0, 4.0)
    assert d05["staff_share_pct"] == pytest.approx(80.0)
    assert d05["compliant"] is False and d05["n_fachstelle_kostenstellen"] == 1
    d06 = rows["06"]
    assert (d06["cost_share_pct"], d06["staff_share_pct"], d06["compliant"]) == (100.0, 100.0, True)
    d07 = rows["07"]                                            # staff rows, no cost rows: unknown
    assert d07["cost_total_eur"] is None and d07["staff_total_vza"] == 1.0
    assert d07["staff_on_fachstelle_vza"] is None and d07["compliant"] is None
    be = rows["BE"]
    assert (be["cost_total_eur"], be["cost_on_fachstelle_eur"]) == (175000.0, 150000.0)
    assert be["cost_share_pct"] == pytest.approx(100 * 150000 / 175000)
    assert be["staff_total_vza"] == 8.0 and be["staff_on_fachstelle_vza"] is None
    assert be["compliant"] is False


def test_cost_centre_exceptions(wh):
    ex = wh.query("select bezirk_nr, year, product, kostenstelle, kostenstellenbezeichnung, booking_type, "
                  "amount, wertigkeit, file_id, source_row from marts.mart_cost_centre_exceptions "
                  "order by booking_type").rows()
    assert ex == [
        ("05", 2022, P921, "0500AFS", "Amt für Soziales – Allgemein", "Kosten", 25000.0, None, "k2022", 4),
        ("05", 2022, P921, "0500AFS", "Amt für Soziales – Allgemein", "Stellenanteile", 1.0, "E 9b", "s2022", 4),
    ]
