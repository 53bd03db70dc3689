"""The demo-data generator: deterministic bytes, every input kind in the contract's format, realistic
volumes, workbooks the reader accepts (except the deliberately faulty one), consistent KLR exports."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines.demo import cases
from pipelines.demo.generator import generate_demo_data, write_demo_data_if_empty
from pipelines.demo.params import load_params
from pipelines.demo.submissions import reported_rows, submission_dates, zugang_rows
from pipelines.demo.workdays import WorkCalendar
from pipelines.ingest.erhebungsbogen import read_erhebungsbogen
from pipelines.ingest.fallzahlen import read_fallzahlen
from pipelines.ingest.klr import read_klr

YEAR = 2024
TODAY = date(2025, 6, 30)  # every 2024 event lies in the past
# headers exactly as INPUTS.md §2 and §3
KLR_HEADERS = {
    "klr_mengen": "Jahr;Bezirk;Produkt;Produktbezeichnung;Bezugsgroesse;Menge;Budget",
    "klr_kosten": "Jahr;Bezirk;Produkt;Kostenstelle;Kostenstellenbezeichnung;Kosten;Personalkosten;Sachkosten;Umlagen",
    "klr_stellen": "Jahr;Bezirk;Produkt;Kostenstelle;Wertigkeit;Stellenanteile",
}
FALLZAHLEN_HEADER = "Bezirk;Von;Bis;Kennzahl;Wert;Quelle"


def _hashes(root: Path) -> dict[str, tuple[str, float]]:
    return {p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """The same small demo (one year, scale 1) written twice: once directly, once through
    write_demo_data_if_empty into a directory that only holds a placeholder file."""
    a = tmp_path_factory.mktemp("demo_a")
    b = tmp_path_factory.mktemp("demo_b")
    (b / ".gitkeep").write_text("")
    summary_a = generate_demo_data(a, first_year=YEAR, last_year=YEAR)
    summary_b = write_demo_data_if_empty(b, first_year=YEAR, last_year=YEAR)
    return {"a": a, "b": b, "summary_a": summary_a, "summary_b": summary_b}


@pytest.fixture(scope="module")
def raw(runs) -> Path:
    return runs["a"]


CP1252_YEARS = ("2016", "2017", "2019")  # demo_klr_lieferungen.csv; the other years are UTF-8


def _read_csv(path: Path) -> pl.DataFrame:
    """A demo CSV decoded with the encoding intended for its year (strict: a wrong guess fails)."""
    encoding = "cp1252" if any(f"_{y}" in path.name for y in CP1252_YEARS) else "utf-8-sig"
    return pl.read_csv(path.read_bytes().decode(encoding).encode(), separator=";", infer_schema=False)


def _klr(raw: Path, kind: str) -> pl.DataFrame:
    """All first deliveries of one KLR kind (without the later replacement)."""
    return pl.concat([_read_csv(p) for p in sorted((raw / "klr").glob(f"{kind}_*.csv"))])


def _euros(col: str) -> pl.Expr:
    """'1.234,56' -> 123456 cents, parsed independently of the generator's formatting code."""
    return pl.col(col).str.replace_all(".", "", literal=True).str.replace(",", "", literal=True).cast(pl.Int64)


# --- determinism and the if-empty entry point ----------------------------------------------------

def test_same_seed_gives_identical_bytes_and_mtimes(runs):
    a, b = _hashes(runs["a"]), _hashes(runs["b"])
    b.pop(".gitkeep")
    assert a == b
    assert any(name.endswith(".xlsx") for name in a) and any(name.endswith(".csv") for name in a)
    assert runs["summary_b"] == runs["summary_a"]
    # the workbooks carry a fixed creation time, not the time they were written
    with zipfile.ZipFile(next(runs["a"].rglob("*.xlsx"))) as z:
        assert "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2020-01-01T00:00:00Z" in z.read("docProps/core.xml").decode()


def test_if_empty_does_nothing_when_inputs_exist(runs):
    before = _hashes(runs["a"])
    assert write_demo_data_if_empty(runs["a"], first_year=YEAR, last_year=YEAR) is None
    assert _hashes(runs["a"]) == before


# --- files of every kind --------------------------------------------------------------------------

def test_workbook_names_and_special_files(raw, runs):
    names = sorted(p.relative_to(raw).as_posix() for p in raw.rglob("*.xlsx"))
    regular = [f"erhebungsboegen/{YEAR}Q{q}/erhebungsbogen_{b:02d}_{YEAR}Q{q}.xlsx"
               for q in range(1, 5) for b in range(1, 13)]
    korrektur = f"erhebungsboegen/{YEAR}Q3/erhebungsbogen_07_{YEAR}Q3_korrektur.xlsx"  # 2023Q3 clamped to 2024
    entwurf = f"erhebungsboegen/{YEAR}Q2/erhebungsbogen_04_{YEAR}Q2_entwurf.xlsx"
    assert names == sorted(regular + [korrektur, entwurf])
    assert runs["summary_a"]["erhebungsbogen"] == 50
    assert runs["summary_a"]["korrektur"] == korrektur
    assert runs["summary_a"]["fehlerhafter_bogen"] == entwurf
    first = raw / korrektur.replace("_korrektur", "")
    assert (raw / korrektur).stat().st_mtime > first.stat().st_mtime
    # the faulty draft came before the valid file of the same district and quarter
    assert (raw / entwurf).stat().st_mtime < (raw / entwurf.replace("_entwurf", "")).stat().st_mtime


def test_klr_and_fallzahlen_files_with_contract_headers(raw):
    klr = sorted(p.relative_to(raw).as_posix() for p in raw.rglob("klr_*.csv"))
    for kind in KLR_HEADERS:
        for year in range(2016, YEAR + 1):
            if year in (2019, 2021):  # delivered one file per district (demo_klr_lieferungen.csv)
                assert all(f"klr/{kind}_{year}_{b:02d}.csv" in klr for b in range(1, 13))
                assert f"klr/{kind}_{year}.csv" not in klr
            else:
                assert f"klr/{kind}_{year}.csv" in klr
    assert "klr/nachlieferung/klr_kosten_2023_08.csv" in klr
    assert len(klr) == 3 * (9 - 2) + 3 * 2 * 12 + 1
    for path in raw.rglob("klr_*.csv"):
        kind = "_".join(path.name.split("_")[:2])
        header = path.read_bytes().removeprefix(b"\xef\xbb\xbf").split(b"\n")[0].rstrip(b"\r")
        assert header.decode("ascii") == KLR_HEADERS[kind], path.name
    fz = list(raw.rglob("fallzahlen_*.csv"))
    assert [p.relative_to(raw).as_posix() for p in fz] == [f"fallzahlen/fallzahlen_2016_{YEAR - 1}.csv"]
    assert fz[0].read_text(encoding="utf-8").splitlines()[0] == FALLZAHLEN_HEADER


def test_klr_encodings_as_intended(raw):
    cp = (raw / "klr/klr_kosten_2016.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        cp.decode("utf-8")
    assert "Amt für Soziales – Allgemein" in cp.decode("cp1252") and b"\r\n" in cp
    bom = (raw / "klr/klr_mengen_2018.csv").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf") and "Sozialpädagogische" in bom.decode("utf-8-sig")
    plain = (raw / "klr/klr_mengen_2020.csv").read_bytes()
    assert not plain.startswith(b"\xef\xbb\xbf") and "Fälle" in plain.decode("utf-8")
    split = (raw / "klr/klr_stellen_2019_05.csv").read_bytes()  # 2019: Windows-1252, one file per district
    with pytest.raises(UnicodeDecodeError):
        (raw / "klr/klr_mengen_2019_05.csv").read_bytes().decode("utf-8")
    assert {line.split(";")[1] for line in split.decode("cp1252").splitlines()[1:]} == {"05"}


# --- volumes --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def latest_rows() -> dict[str, pl.DataFrame]:
    """What the workbooks 2022-2025 report (no xlsx written): the latest version of each case."""
    params = load_params()
    cal, qs, rng = WorkCalendar(2022, 2025), cases.quarters(2022, 2025), np.random.default_rng(7)
    rk = cases.generate_raeumungsklagen(params, cal, qs, 1, rng)
    zr = cases.generate_zwangsraeumungen(params, cal, qs, 1, rng)
    rk, zr = cases.assign_fall_ids(params, rk, zr)
    stand = submission_dates(params, cal, qs)
    out = {}
    for kind, frame in (("rk", rk), ("zr", zr)):
        rows = reported_rows("raeumungsklagen" if kind == "rk" else "zwangsraeumungen", frame, stand, params, rng)
        out[kind] = rows.sort("wb_idx").unique("Fall-ID", keep="last")
        out[kind + "_all"] = rows
    return out


# Berlin totals targeted (INPUTS.md: forced evictions 2022 1,931, 2023 2,369, 2024 about 2,240-2,500;
# court and bailiff notices continue the published 2017 level of 4,598 / 3,611, stable to declining)
MIZI = {2022: 4100, 2023: 4300, 2024: 4250, 2025: 4200}
GV = {2022: 3300, 2023: 3650, 2024: 3600, 2025: 3550}
EVICTIONS = {2022: 1931, 2023: 2369, 2024: 2370}


def _within(value: float, target: float, tolerance: float = 0.15) -> bool:
    return abs(value - target) <= tolerance * target


def test_case_volumes_per_year_follow_berlin_figures(latest_rows):
    rk = latest_rows["rk"].group_by(pl.col("Eingang Mitteilung").dt.year().alias("y")).len()
    gv = latest_rows["zr"].group_by(pl.col("Eingang Mitteilung GV").dt.year().alias("y")).len()
    for frame, targets in ((rk, MIZI), (gv, GV)):
        counts = dict(frame.iter_rows())
        assert set(counts) == set(targets)
        for year, target in targets.items():
            assert _within(counts[year], target), (year, counts[year], target)
    done = latest_rows["zr"].filter(pl.col("Raeumung durchgefuehrt") == "ja")
    by_termin = dict(done.group_by(pl.col("Raeumungstermin").dt.year()).len().iter_rows())
    by_arrival = dict(done.group_by(pl.col("Eingang Mitteilung GV").dt.year()).len().iter_rows())
    # evictions count in the year of the eviction day; 2022 lacks the days of notices from 2021
    for year in (2023, 2024):
        assert _within(by_termin[year], EVICTIONS[year]), (year, by_termin[year])
    assert _within(by_arrival[2022], EVICTIONS[2022]), by_arrival[2022]


def test_largest_districts_have_most_cases(latest_rows):
    per = latest_rows["rk"].group_by("bezirk_idx").len().sort("len", descending=True)
    top5 = {f"{i + 1:02d}" for i in per["bezirk_idx"].head(5).to_list()}
    assert top5 == {"10", "08", "11", "01", "05"}


def test_delays_in_working_days_and_corrections(latest_rows):
    cal = WorkCalendar(2022, 2025)
    rk = latest_rows["rk"].filter(pl.col("Versand Anschreiben").is_not_null())
    days = cal.count(rk["Eingang Mitteilung"].to_numpy(), rk["Versand Anschreiben"].to_numpy())
    assert 0.70 < (days <= 3).mean() < 0.95       # most letters within 3 working days
    assert 0.005 < (days > 10).mean() < 0.08      # a tail beyond 10
    assert 0 < (days > 60).sum() < 0.002 * len(days) + 5
    missing = latest_rows["rk"]["Versand Anschreiben"].is_null().mean()
    assert 0.01 < missing < 0.08
    # arrivals and letters only on working days: no Frauentag, Easter, Christmas, 24/31 Dec
    for col in ("Eingang Mitteilung", "Versand Anschreiben"):
        dates = latest_rows["rk"][col].drop_nulls()
        assert not dates.is_in([date(2024, 3, 8), date(2024, 3, 29), date(2024, 4, 1), date(2023, 12, 25),
                                date(2024, 12, 24), date(2024, 12, 31)]).any()
        assert (dates.dt.weekday() <= 5).all()
    # a case reported again in the next quarter: same Fall-ID and arrival, more events filled
    all_rows = latest_rows["rk_all"]
    again = all_rows.filter(pl.col("Fall-ID").is_duplicated()).sort("Fall-ID", "wb_idx")
    assert again.height > 0.1 * all_rows.height
    pairs = again.group_by("Fall-ID").agg(pl.col("Eingang Mitteilung").n_unique().alias("arrivals"),
                                          pl.col("wb_idx").max() - pl.col("wb_idx").min())
    assert (pairs["arrivals"] == 1).all() and (pairs["wb_idx"] == 1).all()
    # evictions scheduled in the next quarter appear there with the outcome
    zr_all = latest_rows["zr_all"]
    zr_again = zr_all.filter(pl.col("Fall-ID").is_duplicated())
    later = zr_again.sort("wb_idx").unique("Fall-ID", keep="last")
    assert later["Raeumung durchgefuehrt"].is_not_null().mean() > 0.9


def test_scale_multiplies_case_rows():
    params = load_params()
    cal, qs = WorkCalendar(YEAR, YEAR), cases.quarters(YEAR, YEAR)
    one = cases.generate_raeumungsklagen(params, cal, qs, 1, np.random.default_rng(1)).height
    three = cases.generate_raeumungsklagen(params, cal, qs, 3, np.random.default_rng(2)).height
    assert 2.8 < three / one < 3.2


def test_access_standards_improve_and_are_never_lost():
    params = load_params()
    qs = cases.quarters(2022, 2025)
    rows = zugang_rows(params, qs, np.random.default_rng(3)).with_columns(met=pl.col("Erfuellt") == "ja")
    assert rows.height == 12 * 7 * 16
    per = rows.group_by("bezirk_idx", "wb_idx").agg(pl.col("met").sum(), pl.len()).sort("bezirk_idx", "wb_idx")
    assert (per["len"] == 7).all()
    start = per.filter(pl.col("wb_idx") == 0)["met"].to_list()
    assert start == params.bezirke["zugang_start"].to_list()
    lost = rows.sort("wb_idx").with_columns(
        prev=pl.col("met").shift(1).over("bezirk_idx", "Nr")).filter(pl.col("prev") & ~pl.col("met"))
    assert lost.is_empty()
    assert per.filter(pl.col("wb_idx") == 15)["met"].sum() > sum(start) + 12


# --- read back by the pipeline's readers ------------------------------------------------------------

def _read(raw: Path, name: str):
    path = next(raw.rglob(name))
    return read_erhebungsbogen(path, path.relative_to(raw).as_posix(), today=TODAY)


def test_sample_workbooks_are_accepted(raw):
    for name in (f"erhebungsbogen_05_{YEAR}Q1.xlsx",      # Meta names the district ("Spandau")
                 f"erhebungsbogen_10_{YEAR}Q4.xlsx",
                 f"erhebungsbogen_04_{YEAR}Q2.xlsx"):     # the valid file beside the faulty draft
        result = _read(raw, name)
        assert result.accepted, [p.describe() for p in result.problems.items if p.severity == "Fehler"]
        assert result.tables["erhebungsbogen_raeumungsklagen"].height > 20
        assert result.tables["erhebungsbogen_zwangsraeumungen"].height > 20
        assert result.tables["erhebungsbogen_zugang"].height == 7


def test_correction_adds_rows_and_next_quarter_repeats_cases(raw):
    first = _read(raw, f"erhebungsbogen_07_{YEAR}Q3.xlsx")
    fixed = _read(raw, f"erhebungsbogen_07_{YEAR}Q3_korrektur.xlsx")
    assert first.accepted and fixed.accepted
    n_first = first.tables["erhebungsbogen_raeumungsklagen"].height
    n_fixed = fixed.tables["erhebungsbogen_raeumungsklagen"].height
    assert n_first < n_fixed
    assert set(first.tables["erhebungsbogen_raeumungsklagen"]["fall_id"]) < set(
        fixed.tables["erhebungsbogen_raeumungsklagen"]["fall_id"])
    q1 = _read(raw, f"erhebungsbogen_01_{YEAR}Q1.xlsx").tables["erhebungsbogen_raeumungsklagen"]
    q2 = _read(raw, f"erhebungsbogen_01_{YEAR}Q2.xlsx").tables["erhebungsbogen_raeumungsklagen"]
    both = q1.join(q2, on="fall_id", suffix="_q2")
    assert both.height > 5
    assert (both["eingang_mitteilung"] == both["eingang_mitteilung_q2"]).all()
    events = ("versand_anschreiben", "hausbesuch_1", "hausbesuch_2")
    filled = {s: sum(both[c + s].is_not_null().sum() for c in events) for s in ("", "_q2")}
    assert filled["_q2"] >= filled[""]
    assert (both["ergebnis_q2"] != "offen").sum() > (both["ergebnis"] != "offen").sum()


def test_faulty_draft_is_rejected_with_both_errors(raw):
    result = _read(raw, f"erhebungsbogen_04_{YEAR}Q2_entwurf.xlsx")
    assert not result.accepted
    errors = {(p.sheet, p.column, p.value) for p in result.problems.items if p.severity == "Fehler"}
    assert errors == {("Raeumungsklagen", "Versand Anschreiben", f"31.02.{YEAR}"),
                      ("Raeumungsklagen", "Reaktion", "jein")}


def test_klr_files_are_accepted_and_costs_add_up(raw):
    for path in sorted(raw.rglob("klr_*.csv")):
        result = read_klr(path, path.relative_to(raw).as_posix())
        assert result.accepted, (path.name, [p.describe() for p in result.problems.items])
    notes = read_klr(raw / "klr/klr_mengen_2020.csv", "klr/klr_mengen_2020.csv").problems.items
    assert any("80999" in p.message for p in notes)
    kosten = _klr(raw, "klr_kosten")
    cents = kosten.select(*[_euros(c).alias(c) for c in ("Kosten", "Personalkosten", "Sachkosten", "Umlagen")])
    assert cents.height > 400
    assert (cents["Personalkosten"] + cents["Sachkosten"] + cents["Umlagen"] == cents["Kosten"]).all()
    assert kosten["Kosten"].str.contains(r"^\d{1,3}(\.\d{3})*,\d{2}$").all()


def test_klr_structure_is_plausible(raw):
    stellen = _klr(raw, "klr_stellen").with_columns(
        vza=pl.col("Stellenanteile").str.replace(",", ".").cast(pl.Float64), Jahr=pl.col("Jahr").cast(pl.Int64))
    per = stellen.group_by("Jahr", "Bezirk", "Produkt").agg(pl.col("vza").sum())
    assert per["vza"].min() > 1 and per["vza"].max() < 100
    total = dict(per.group_by("Jahr").agg(pl.col("vza").sum()).iter_rows())
    assert total[2021] > 1.3 * total[2017]                 # the staffing build-up
    assert abs(total[2024] / total[2022] - 1) < 0.1         # stable afterwards
    assert set(stellen["Wertigkeit"]) == {"E 9b", "E 11", "E 12", "A 11", "E 13"}
    # Maßnahme 6: from 2022 one cost centre per district, except the configured district-years
    late = stellen.filter(pl.col("Jahr") >= 2022)
    elsewhere = late.filter(~pl.col("Kostenstelle").str.ends_with("SWH01")).select("Jahr", "Bezirk").unique()
    assert sorted(elsewhere.iter_rows()) == [(2022, "06"), (2022, "12"), (2023, "12")]
    assert stellen.filter(pl.col("Jahr") < 2022)["Kostenstelle"].str.slice(2).n_unique() == 3

    mengen = _klr(raw, "klr_mengen").filter(pl.col("Produkt") != "80999")
    units = dict(mengen.select("Produkt", "Bezugsgroesse").unique().iter_rows())
    assert units["80633"] == units["80635"] == "Fälle" and units["80921"] == "Unterbringungstage"
    budget_years = set(mengen.filter(pl.col("Budget").is_not_null())["Jahr"].cast(pl.Int64))
    assert budget_years == set(range(2019, YEAR + 1))


def test_klr_unit_costs_are_plausible(raw):
    cost = _klr(raw, "klr_kosten").group_by("Jahr", "Bezirk", "Produkt").agg(_euros("Kosten").sum().alias("cent"))
    unit = (_klr(raw, "klr_mengen").join(cost, on=["Jahr", "Bezirk", "Produkt"])
            .with_columns(stk=pl.col("cent") / pl.col("Menge").str.replace_all(".", "", literal=True).cast(pl.Int64)))
    ratio = unit.with_columns(r=pl.col("stk") / pl.col("stk").median().over("Jahr", "Produkt"))["r"]
    assert ratio.min() > 0.5 and ratio.max() < 2.0
    yoy = unit.sort("Jahr").with_columns(
        ch=(pl.col("stk") / pl.col("stk").shift(1).over("Bezirk", "Produkt") - 1).abs())["ch"].drop_nulls()
    assert yoy.len() == 12 * 4 * (YEAR - 2016)
    assert (yoy < 0.3).mean() > 0.85


def test_klr_replacement_delivery_is_later_and_corrected(raw):
    original = _read_csv(raw / "klr/klr_kosten_2023.csv").filter(pl.col("Bezirk") == "08")
    later = _read_csv(raw / "klr/nachlieferung/klr_kosten_2023_08.csv")
    assert later.select("Produkt", "Kostenstelle").sort("Produkt").equals(
        original.select("Produkt", "Kostenstelle").sort("Produkt"))
    joined = original.join(later, on=["Produkt", "Kostenstelle"], suffix="_neu")
    assert (joined.select(_euros("Sachkosten_neu") > _euros("Sachkosten")).to_series()).all()
    assert (raw / "klr/nachlieferung/klr_kosten_2023_08.csv").stat().st_mtime > (
        raw / "klr/klr_kosten_2023.csv").stat().st_mtime


def test_fallzahlen_accepted_with_berlin_totals(raw):
    path = next(raw.rglob("fallzahlen_*.csv"))
    result = read_fallzahlen(path, path.name)
    assert result.accepted and not [p for p in result.problems.items if p.severity != "Hinweis"]
    rows = result.tables["fallzahlen"]
    assert set(rows["kennzahl"]) == {"mizi_raeumungsklagen", "gv_raeumungsmitteilungen", "zwangsraeumungen"}
    assert set(rows["bezirk_nr"]) == {f"{b:02d}" for b in range(1, 13)} | {"BE"}
    periods = dict(rows.filter(pl.col("bezirk_nr") == "01").group_by(pl.col("von").dt.year().alias("jahr"))
                   .agg(pl.col("von").n_unique()).iter_rows())
    assert periods == {2016: 1, 2017: 2, 2018: 4, 2019: 4, 2020: 2, 2021: 4, 2022: 4, 2023: 4}
    berlin = rows.filter(pl.col("bezirk_nr") == "BE")
    y2017 = berlin.filter((pl.col("von").dt.year() == 2017) & (pl.col("kennzahl") == "mizi_raeumungsklagen"))
    assert abs(y2017["wert"].sum() - 4598) <= 2  # the published 2017 total
    y2021 = berlin.filter((pl.col("von").dt.year() == 2021) & (pl.col("kennzahl") == "zwangsraeumungen"))
    assert abs(y2021["wert"].sum() - 1668) <= 4
