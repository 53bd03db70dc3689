"""QS 1.1–1.5, versioning, access standards, home visits and case volumes, against hand-computed values.

One dbt build serves the whole module. Scenario (all 2024; AT = Arbeitstage, arrival = day 0):

District 01, Q1 submission (seen 10.04.) and Q2 submission (seen 10.07.):
  Räumungsklagen (arrival quarter in brackets)
    A1 Q1  Do 28.03. -> Mi 03.04.  2 AT (Karfreitag, Ostermontag off)   on time, Reaktion ja
    A2 Q1  Do 07.03. -> Di 12.03.  2 AT (Frauentag Fr 08.03. off)        on time, Reaktion nein,
           HB1 Di 26.03. = 10 AT after the letter (on time), zu zweit
    A3 Q1  Fr 02.02. -> Do 08.02.  4 AT  late, Reaktion nein, HB1 Fr 23.02. = 11 AT (late) allein,
           HB2 Fr 05.04. (Q2) zu zweit
    A4 Q1  no letter date (denominator only), Reaktion empty
    A5 Q1  Mi 10.01. -> Fr 12.01.  2 AT on time, Reaktion empty (unknown: not in 1.2)
    A6 Q1  Mi 20.03. -> Fr 22.03.  2 AT on time, Reaktion nein; the Q2 submission repeats the case with
           HB1 Do 04.04. = 7 AT (Good Friday/Easter Monday off) allein -> the Q2 version counts, in Q1
    B1 Q2  Mi 08.05. -> Mo 13.05.  2 AT (Himmelfahrt 09.05. off) on time, Reaktion ja
    B2 Q2  Fr 07.06. -> Mi 12.06.  3 AT on time, Reaktion nein, HB1 Mi 26.06. = 10 AT, zu zweit empty
    B3 Q2  Fr 07.06. -> Do 13.06.  4 AT late, Reaktion nein, no visit
  Zwangsräumungen
    Z1 Q1  Do 07.03. -> Mo 11.03. 1 AT; Räumung 27.03. ja, Kontakt nein, notwendig ja, anwesend zu zweit
    Z2 Q1  Do 01.02. -> Mi 07.02. 4 AT late; Räumung 15.05. (Q2), carried out per the Q2 version,
           Kontakt nein, notwendig ja, not attended
    Z3 Q1  no letter; Räumung 28.03. ja, Kontakt empty (unknown), attended allein
    Z4 Q1  Mo 08.01. -> Di 09.01. 1 AT; Räumung 20.02. ja, Kontakt ja, not attended
    Z5 Q2  Di 02.04. -> Fr 05.04. 3 AT; Räumung 10.06. not carried out, attended zu zweit
    Z6 Q2  Do 20.06. -> Fr 21.06. 1 AT; Räumung 03.07. (Q3: no submission -> not shown yet)
  Zugang Q1: 4 of 7 erfüllt; Q2: 7 of 7
District 02, Q1: v1 (seen 05.04.) superseded by v2 (seen 20.04.); a rejected file (seen 25.04.) with rows
  v2: C1 Fr 05.01. -> Do 11.01. 4 AT late; D1 Mo 05.02. -> Do 08.02. 3 AT on time; both Reaktion ja;
  Zugang 1 of 7. v1 and the rejected file hold on-time cases, visits and 7/7 that must never count.
District 08, Q1: Zugang 7 of 7, no cases (all denominators 0 except 1.5).
"""

from __future__ import annotations

import os
from datetime import date, datetime

import polars as pl
import pytest

from tests.conftest import TestWarehouse

SELECT = ["+path:models/marts/indicators", "+path:models/staging/eingangsregister",
          "+path:models/staging/erhebungsbogen", "klr_produkte", "bezirke"]

D = date.fromisoformat


def _file(file_id, bezirk, quarter, seen, status="accepted", kind="erhebungsbogen", year=2024, n_errors=0):
    return {"file_id": file_id, "path": f"{file_id}.xlsx", "kind": kind, "size_bytes": 1000,
            "seen_at": datetime.fromisoformat(seen), "bezirk_nr": bezirk, "year": year, "quarter": quarter,
            "status": status, "n_errors": n_errors, "n_warnings": 0, "n_rows": 1,
            "report_path": f"reports/{file_id}.txt"}


def _rk(file_id, bezirk, quarter, key, eingang, versand=None, reaktion=None, hb1=None, hb1_2=None,
        hb2=None, hb2_2=None, row=2):
    return {"file_id": file_id, "bezirk_nr": bezirk, "year": 2024, "quarter": quarter, "source_row": row,
            "fall_key": key, "eingang_mitteilung": D(eingang), "versand_anschreiben": versand and D(versand),
            "reaktion": reaktion, "hausbesuch_1": hb1 and D(hb1), "hausbesuch_1_zu_zweit": hb1_2,
            "hausbesuch_2": hb2 and D(hb2), "hausbesuch_2_zu_zweit": hb2_2, "ergebnis": "offen"}


def _zr(file_id, bezirk, quarter, key, eingang, versand=None, termin=None, durchgefuehrt=None, kontakt=None,
        notwendig=None, anwesend=None, zu_zweit=None, row=2):
    return {"file_id": file_id, "bezirk_nr": bezirk, "year": 2024, "quarter": quarter, "source_row": row,
            "fall_key": key, "eingang_mitteilung_gv": D(eingang), "versand_anschreiben": versand and D(versand),
            "raeumungstermin": termin and D(termin), "raeumung_durchgefuehrt": durchgefuehrt,
            "vorheriger_kontakt": kontakt, "begleitung_notwendig": notwendig,
            "anwesenheit_fachstelle": anwesend, "begleitung_zu_zweit": zu_zweit}


def _zugang(file_id, bezirk, quarter, erfuellt: list[bool]):
    return [{"file_id": file_id, "bezirk_nr": bezirk, "year": 2024, "quarter": quarter, "source_row": nr + 1,
             "nr": nr, "standard": f"Standard {nr}", "erfuellt": e, "bemerkung": "Bem. %d" % nr}
            for nr, e in enumerate(erfuellt, start=1)]


def _fz(file_id, bezirk, von, bis, kennzahl, wert, row=2):
    return {"file_id": file_id, "source_row": row, "bezirk_nr": bezirk, "von": D(von), "bis": D(bis),
            "kennzahl": kennzahl, "wert": wert, "quelle": "Test"}


def _meta_rows(registry: list[dict]) -> list[dict]:
    """The Meta rows the loader writes for every accepted workbook (with the registry's arrival time)."""
    return [{"file_id": f["file_id"], "seen_at": f["seen_at"], "bezirk_nr": f["bezirk_nr"], "year": f["year"],
             "quarter": f["quarter"], "formularversion": 1}
            for f in registry if f["kind"] == "erhebungsbogen" and f["status"] == "accepted"]


def _insert_scenario(wh: TestWarehouse) -> None:
    registry = [
        _file("f01q1", "01", 1, "2024-04-10 09:00"),
        _file("f01q2", "01", 2, "2024-07-10 09:00"),
        _file("f02q1v1", "02", 1, "2024-04-05 09:00"),
        _file("f02q1v2", "02", 1, "2024-04-20 09:00"),
        _file("f02q1rej", "02", 1, "2024-04-25 09:00", status="rejected", n_errors=2),
        _file("f08q1", "08", 1, "2024-04-11 09:00"),
        _file("h1", None, None, "2024-01-05 09:00", kind="fallzahlen", year=None),
        _file("h2rej", None, None, "2024-01-06 09:00", kind="fallzahlen", year=None, status="rejected",
              n_errors=1),
        _file("h3", None, None, "2024-02-01 09:00", kind="fallzahlen", year=None),
    ]
    wh.insert("file_registry", registry)
    wh.insert("erhebungsbogen_meta", _meta_rows(registry))
    wh.insert("erhebungsbogen_raeumungsklagen", [
        _rk("f01q1", "01", 1, "A1", "2024-03-28", "2024-04-03", True),
        _rk("f01q1", "01", 1, "A2", "2024-03-07", "2024-03-12", False, "2024-03-26", True),
        _rk("f01q1", "01", 1, "A3", "2024-02-02", "2024-02-08", False, "2024-02-23", False, "2024-04-05", True),
        _rk("f01q1", "01", 1, "A4", "2024-01-15"),
        _rk("f01q1", "01", 1, "A5", "2024-01-10", "2024-01-12", None),
        _rk("f01q1", "01", 1, "A6", "2024-03-20", "2024-03-22", False),
        _rk("f01q2", "01", 2, "A6", "2024-03-20", "2024-03-22", False, "2024-04-04", False),
        _rk("f01q2", "01", 2, "B1", "2024-05-08", "2024-05-13", True),
        _rk("f01q2", "01", 2, "B2", "2024-06-07", "2024-06-12", False, "2024-06-26", None),
        _rk("f01q2", "01", 2, "B3", "2024-06-07", "2024-06-13", False),
        # district 02: superseded first version and a rejected later file, both must never count
        _rk("f02q1v1", "02", 1, "C1", "2024-01-05", "2024-01-08", False, "2024-01-10", True),
        _rk("f02q1v1", "02", 1, "C2", "2024-01-22", "2024-01-23", True),
        _rk("f02q1v1", "02", 1, "C3", "2024-02-12", "2024-02-13", True),
        _rk("f02q1v2", "02", 1, "C1", "2024-01-05", "2024-01-11", True),
        _rk("f02q1v2", "02", 1, "D1", "2024-02-05", "2024-02-08", True),
        _rk("f02q1rej", "02", 1, "C1", "2024-01-05", "2024-01-05", False, "2024-01-08", True),
        _rk("f02q1rej", "02", 1, "E1", "2024-03-01", "2024-03-01", True),
    ])
    wh.insert("erhebungsbogen_zwangsraeumungen", [
        _zr("f01q1", "01", 1, "Z1", "2024-03-07", "2024-03-11", "2024-03-27", True, False, True, True, True),
        _zr("f01q1", "01", 1, "Z2", "2024-02-01", "2024-02-07", "2024-05-15"),
        _zr("f01q1", "01", 1, "Z3", "2024-03-14", None, "2024-03-28", True, None, None, True, False),
        _zr("f01q1", "01", 1, "Z4", "2024-01-08", "2024-01-09", "2024-02-20", True, True, False, False),
        _zr("f01q2", "01", 2, "Z2", "2024-02-01", "2024-02-07", "2024-05-15", True, False, True, False),
        _zr("f01q2", "01", 2, "Z5", "2024-04-02", "2024-04-05", "2024-06-10", False, None, None, True, True),
        _zr("f01q2", "01", 2, "Z6", "2024-06-20", "2024-06-21", "2024-07-03", True, False, True, True, True),
        _zr("f02q1v1", "02", 1, "Y1", "2024-02-01", "2024-02-02", "2024-03-05", True, False, True, True, True),
        _zr("f02q1rej", "02", 1, "Y1", "2024-02-01", "2024-02-02", "2024-03-05", True, False, True, True, True),
    ])
    wh.insert("erhebungsbogen_zugang", [
        *_zugang("f01q1", "01", 1, [True, True, True, False, False, True, False]),
        *_zugang("f01q2", "01", 2, [True] * 7),
        *_zugang("f02q1v1", "02", 1, [True] * 7),
        *_zugang("f02q1v2", "02", 1, [True] + [False] * 6),
        *_zugang("f02q1rej", "02", 1, [True] * 7),
        *_zugang("f08q1", "08", 1, [True] * 7),
    ])
    wh.insert("fallzahlen", [
        _fz("h1", "01", "2016-01-01", "2016-12-31", "mizi_raeumungsklagen", 400),
        _fz("h1", "02", "2016-01-01", "2016-12-31", "mizi_raeumungsklagen", 300, row=3),
        _fz("h1", "BE", "2016-01-01", "2016-12-31", "mizi_raeumungsklagen", 8000, row=4),
        _fz("h1", "01", "2023-01-01", "2023-12-31", "mizi_raeumungsklagen", 500, row=5),
        _fz("h1", "02", "2023-01-01", "2023-12-31", "mizi_raeumungsklagen", 250, row=6),
        _fz("h1", "01", "2024-01-01", "2024-03-31", "mizi_raeumungsklagen", 99, row=7),   # counted rows win
        _fz("h1", "03", "2024-01-01", "2024-03-31", "mizi_raeumungsklagen", 40, row=8),   # no submission
        _fz("h1", "01", "2024-01-01", "2024-12-31", "zwangsraeumungen", 20, row=9),      # counted rows win
        _fz("h1", "05", "2024-01-01", "2024-12-31", "zwangsraeumungen", 15, row=10),
        _fz("h1", "BE", "2024-01-01", "2024-12-31", "zwangsraeumungen", 2300, row=11),
        _fz("h2rej", "01", "2017-01-01", "2017-12-31", "mizi_raeumungsklagen", 777),
        _fz("h3", "02", "2016-01-01", "2016-12-31", "mizi_raeumungsklagen", 310),        # later file wins
    ])


KORRIDOR_UPDATE = """
    UPDATE params.indikator_korridor SET gueltig_ab = DATE '2024-04-01', zielwert_pct = 90, standard_pct = 60
        WHERE indicator = '1.1';
    UPDATE params.indikator_korridor SET zielwert_pct = 80, standard_pct = 40 WHERE indicator = '1.2';
    UPDATE params.indikator_korridor SET zielwert_pct = 100, standard_pct = 50 WHERE indicator = '1.3';
    UPDATE params.indikator_korridor SET zielwert_pct = 100, standard_pct = 100 WHERE indicator = '1.4';
"""


@pytest.fixture(scope="module")
def marts(tmp_path_factory) -> dict[str, pl.DataFrame]:
    """Build once; return every mart, plus the indicator mart again after setting corridor parameters."""
    saved = {k: os.environ.get(k) for k in ("SWH_WAREHOUSE",)}
    try:
        wh = TestWarehouse(tmp_path_factory.mktemp("indicators"))
        wh.fill_calendar(2015, 2027)
        _insert_scenario(wh)
        wh.dbt("build", "--threads", "8", "--select", *SELECT)
        result = {name: wh.query(f"SELECT * FROM marts.{name}") for name in (
            "mart_indicators_quarterly", "mart_submission_history", "mart_access_standards",
            "mart_home_visits", "mart_case_volumes")}
        result["int_raeumungsklagen_fristen"] = wh.query("SELECT * FROM intermediate.int_raeumungsklagen_fristen")
        wh.execute(KORRIDOR_UPDATE)
        wh.dbt("run", "--select", "mart_indicators_quarterly")
        result["korridor"] = wh.query("SELECT * FROM marts.mart_indicators_quarterly")
        return result
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _indicator(frame: pl.DataFrame, bezirk: str, quarter: int, indicator: str) -> dict:
    rows = frame.filter((pl.col("bezirk_nr") == bezirk) & (pl.col("year") == 2024) & (pl.col("quarter") == quarter)
                        & (pl.col("indicator") == indicator))
    assert rows.height == 1, (bezirk, quarter, indicator, rows)
    return rows.row(0, named=True)


def _counts(frame, bezirk, quarter, indicator) -> tuple:
    row = _indicator(frame, bezirk, quarter, indicator)
    return row["numerator"], row["denominator"], row["n_ohne_angabe"]


# --- versioning -------------------------------------------------------------------------------------

def test_submission_history_shows_superseded_and_rejected(marts):
    h = {r["file_id"]: r for r in marts["mart_submission_history"].iter_rows(named=True)}
    assert len(h) == 9
    assert (h["f02q1v1"]["status"], h["f02q1v1"]["superseded_by"], h["f02q1v1"]["version_nr"]) == \
        ("superseded", "f02q1v2", 1)
    assert (h["f02q1v2"]["status"], h["f02q1v2"]["is_current"], h["f02q1v2"]["version_nr"]) == ("accepted", True, 2)
    assert (h["f02q1rej"]["status"], h["f02q1rej"]["is_current"], h["f02q1rej"]["n_errors"]) == ("rejected", False, 2)
    assert h["f01q1"]["is_current"] and h["f01q2"]["is_current"] and h["f08q1"]["is_current"]
    assert (h["h1"]["kind"], h["h1"]["status"], h["h1"]["is_current"]) == ("fallzahlen", "accepted", None)
    assert h["h2rej"]["status"] == "rejected"
    assert h["f01q1"]["report_path"] == "reports/f01q1.txt"
    assert "fall_key" not in marts["mart_submission_history"].columns


def test_latest_case_version_counts_in_its_arrival_quarter(marts):
    rk = marts["int_raeumungsklagen_fristen"]
    a6 = rk.filter((pl.col("bezirk_nr") == "01") & (pl.col("fall_key") == "A6")).to_dicts()
    assert len(a6) == 1
    assert (a6[0]["file_id"], a6[0]["quarter"], a6[0]["hausbesuch_1"]) == ("f01q2", 1, D("2024-04-04"))
    assert a6[0]["arbeitstage_anschreiben_bis_hausbesuch"] == 7
    # district 02 counts only the correction v2: C1 (late) and D1
    c = rk.filter(pl.col("bezirk_nr") == "02").sort("fall_key")
    assert c["fall_key"].to_list() == ["C1", "D1"] and set(c["file_id"]) == {"f02q1v2"}
    assert c["arbeitstage_bis_anschreiben"].to_list() == [4, 3]


def test_working_days_over_holidays(marts):
    rk = marts["int_raeumungsklagen_fristen"].filter(pl.col("bezirk_nr") == "01")
    days = dict(zip(rk["fall_key"], rk["arbeitstage_bis_anschreiben"]))
    assert days == {"A1": 2, "A2": 2, "A3": 4, "A4": None, "A5": 2, "A6": 2, "B1": 2, "B2": 3, "B3": 4}
    visit = dict(zip(rk["fall_key"], rk["arbeitstage_anschreiben_bis_hausbesuch"]))
    assert (visit["A2"], visit["A3"], visit["B2"]) == (10, 11, 10)


# --- QS 1.1 – 1.5 -----------------------------------------------------------------------------------

def test_qs_1_1_letters_after_court_notice(marts):
    m = marts["mart_indicators_quarterly"]
    assert _counts(m, "01", 1, "1.1") == (4, 6, 1)        # A1 A2 A5 A6 on time; A3 late; A4 no letter
    assert _indicator(m, "01", 1, "1.1")["share_pct"] == pytest.approx(400 / 6)
    assert _counts(m, "01", 2, "1.1") == (2, 3, 0)        # B1, B2 (3 AT) on time; B3 late
    assert _counts(m, "02", 1, "1.1") == (1, 2, 0)        # correction only; rejected file ignored
    row = _indicator(m, "01", 1, "1.1")
    assert (row["indicator_name"], row["product"], row["bezirk_name"]) == \
        ("Sofortiges Tätigwerden bei Räumungsklagen", "80635", "Mitte")


def test_qs_1_2_home_visit_when_no_reaction(marts):
    m = marts["mart_indicators_quarterly"]
    assert _counts(m, "01", 1, "1.2") == (2, 3, 1)        # A2, A6 (Q2 version) on time; A3 late; A5 unknown
    assert _counts(m, "01", 2, "1.2") == (1, 2, 0)        # B2 (10 AT) on time; B3 no visit
    assert _counts(m, "02", 1, "1.2") == (0, 0, 0)
    assert _indicator(m, "02", 1, "1.2")["share_pct"] is None


def test_qs_1_3_letters_after_bailiff_notice(marts):
    m = marts["mart_indicators_quarterly"]
    assert _counts(m, "01", 1, "1.3") == (2, 4, 1)        # Z1, Z4 on time; Z2 late; Z3 no letter
    assert _counts(m, "01", 2, "1.3") == (2, 2, 0)        # Z5 (3 AT), Z6
    assert _counts(m, "02", 1, "1.3") == (0, 0, 0)        # superseded v1's Y1 does not count


def test_qs_1_4_counted_in_the_quarter_of_the_eviction(marts):
    m = marts["mart_indicators_quarterly"]
    assert _counts(m, "01", 1, "1.4") == (1, 1, 1)        # Z1 attended; Z3 contact unknown; Z4 had contact
    assert _counts(m, "01", 2, "1.4") == (0, 1, 0)        # Z2 (arrived Q1) evicted 15.05. without attendance
    assert _indicator(m, "01", 2, "1.4")["share_pct"] == 0.0
    # Z6's eviction on 03.07. falls into Q3, which district 01 has not submitted: no fabricated rows
    assert m.filter(pl.col("quarter") == 3).is_empty()


def test_qs_1_5_access_standards(marts):
    m = marts["mart_indicators_quarterly"]
    assert _counts(m, "01", 1, "1.5") == (4, 7, 0)
    assert _counts(m, "01", 2, "1.5") == (7, 7, 0)
    assert _counts(m, "02", 1, "1.5") == (1, 7, 0)        # v2 only
    assert _counts(m, "08", 1, "1.5") == (7, 7, 0)
    assert _indicator(m, "08", 1, "1.5")["product"] is None


def test_every_submitted_quarter_has_all_five_indicators(marts):
    m = marts["mart_indicators_quarterly"]
    per_quarter = m.group_by("bezirk_nr", "year", "quarter").agg(pl.col("indicator").sort())
    assert per_quarter.height == 6    # 01 Q1, 01 Q2, 02 Q1, 08 Q1, BE Q1, BE Q2
    assert all(ind.to_list() == ["1.1", "1.2", "1.3", "1.4", "1.5"] for ind in per_quarter["indicator"])
    assert _counts(m, "08", 1, "1.1") == (0, 0, 0) and _indicator(m, "08", 1, "1.1")["share_pct"] is None


def test_berlin_is_sum_over_sum_not_mean_of_shares(marts):
    m = marts["mart_indicators_quarterly"]
    be = _indicator(m, "BE", 1, "1.1")
    assert (be["numerator"], be["denominator"], be["n_bezirke"], be["bezirk_name"]) == (5, 8, 3, "Berlin")
    assert be["share_pct"] == pytest.approx(62.5)          # mean of 66.7 % and 50 % would be 58.3 %
    assert _counts(m, "BE", 1, "1.2") == (2, 3, 1)
    assert _counts(m, "BE", 1, "1.3") == (2, 4, 1)
    assert _counts(m, "BE", 1, "1.4") == (1, 1, 1)
    assert _counts(m, "BE", 1, "1.5") == (12, 21, 0)
    assert _indicator(m, "BE", 1, "1.5")["share_pct"] == pytest.approx(1200 / 21)
    assert _counts(m, "BE", 2, "1.1") == (2, 3, 0) and _indicator(m, "BE", 2, "1.1")["n_bezirke"] == 1


def test_corridor_status(marts):
    before = marts["mart_indicators_quarterly"]
    assert set(before["korridor_status"]) == {"kein Korridor festgelegt"}
    assert before["zielwert_pct"].null_count() == before.height
    k = marts["korridor"]
    status = lambda b, q, i: _indicator(k, b, q, i)["korridor_status"]  # noqa: E731
    assert status("01", 1, "1.1") == "kein Korridor festgelegt"           # valid only from 01.04.2024
    assert (status("01", 2, "1.1"), _indicator(k, "01", 2, "1.1")["zielwert_pct"]) == ("im Korridor", 90)
    assert status("02", 1, "1.2") == "nicht bewertbar (Nenner 0)"
    assert status("01", 1, "1.3") == "im Korridor"                        # 50 % = Standard is not below
    assert status("01", 2, "1.3") == "Zielwert erreicht"                  # 100 %
    assert status("01", 2, "1.4") == "unter Standard"                     # 0 %
    assert status("01", 1, "1.4") == "Zielwert erreicht"
    assert status("01", 1, "1.5") == "kein Korridor festgelegt"


# --- access standards, home visits, case volumes ----------------------------------------------------

def test_access_standards_mart(marts):
    a = marts["mart_access_standards"]
    assert a.height == 7 * 4   # 01 Q1, 01 Q2, 02 Q1 (v2), 08 Q1
    mitte_q1 = a.filter((pl.col("bezirk_nr") == "01") & (pl.col("quarter") == 1)).sort("standard_nr")
    assert mitte_q1["erfuellt"].to_list() == [True, True, True, False, False, True, False]
    assert mitte_q1["standard"][0] == "Einheitliche Sammel-Mailadresse"   # text from the seed, not the form
    assert mitte_q1["bemerkung"][3] == "Bem. 4"
    assert a.filter(pl.col("bezirk_nr") == "02")["erfuellt"].sum() == 1


def test_home_visits_alone_and_in_pairs(marts):
    hv = marts["mart_home_visits"]

    def row(b, q):
        r = hv.filter((pl.col("bezirk_nr") == b) & (pl.col("quarter") == q))
        assert r.height == 1
        return r.row(0, named=True)

    q1 = row("01", 1)    # visits: A2 (zu zweit), A3 HB1 (allein); evictions Z1, Z3, Z4
    assert (q1["hausbesuche_gesamt"], q1["hausbesuche_allein"], q1["hausbesuche_zu_zweit"],
            q1["hausbesuche_ohne_angabe"]) == (2, 1, 1, 0)
    assert (q1["zwangsraeumungen_durchgefuehrt"], q1["begleitungen_gesamt"], q1["begleitungen_allein"],
            q1["begleitungen_zu_zweit"]) == (3, 2, 1, 1)
    assert (q1["begleitung_notwendig"], q1["begleitung_notwendig_ohne_kontakt"],
            q1["begleitung_notwendig_ohne_kontakt_begleitet"]) == (1, 1, 1)
    q2 = row("01", 2)    # visits: A3 HB2 (zu zweit), A6 HB1 (allein), B2 (no information); Z2, Z5
    assert (q2["hausbesuche_gesamt"], q2["hausbesuche_allein"], q2["hausbesuche_zu_zweit"],
            q2["hausbesuche_ohne_angabe"]) == (3, 1, 1, 1)
    assert (q2["zwangsraeumungen_durchgefuehrt"], q2["begleitungen_gesamt"], q2["begleitungen_zu_zweit"],
            q2["begleitung_notwendig"], q2["begleitung_notwendig_ohne_kontakt_begleitet"]) == (1, 1, 1, 1, 0)
    assert row("02", 1)["hausbesuche_gesamt"] == 0 and row("02", 1)["begleitungen_gesamt"] == 0
    be = row("BE", 1)
    assert (be["hausbesuche_gesamt"], be["zwangsraeumungen_durchgefuehrt"], be["n_bezirke"]) == (2, 3, 3)


def test_case_volumes_one_series(marts):
    v = marts["mart_case_volumes"]
    got = {(r["bezirk_nr"], r["measure"], r["period_start"], r["period_end"]):
           (r["value"], r["source"], r["herleitung"], r["n_bezirke"]) for r in v.iter_rows(named=True)}
    mizi, gv, zr = "mizi_raeumungsklagen", "gv_raeumungsmitteilungen", "zwangsraeumungen"
    y16, y23, y24 = (D("2016-01-01"), D("2016-12-31")), (D("2023-01-01"), D("2023-12-31")), \
        (D("2024-01-01"), D("2024-12-31"))
    q1, q2 = (D("2024-01-01"), D("2024-03-31")), (D("2024-04-01"), D("2024-06-30"))
    expected = {
        ("01", mizi, *y16): (400, "historisch", "gemeldet", 1),
        ("02", mizi, *y16): (310, "historisch", "gemeldet", 1),          # the later file h3 wins
        ("BE", mizi, *y16): (8000, "historisch", "gemeldet", None),       # given Berlin total, no sum
        ("01", mizi, *y23): (500, "historisch", "gemeldet", 1),
        ("02", mizi, *y23): (250, "historisch", "gemeldet", 1),
        ("BE", mizi, *y23): (750, "historisch", "Summe der Bezirke", 2),
        ("03", mizi, *q1): (40, "historisch", "gemeldet", 1),
        ("05", zr, *y24): (15, "historisch", "gemeldet", 1),
        ("BE", zr, *y24): (2300, "historisch", "gemeldet", None),
        ("01", mizi, *q1): (6, "erhebungsbogen", "gezählt aus Fallzeilen", 1),   # history's 99 dropped
        ("01", gv, *q1): (4, "erhebungsbogen", "gezählt aus Fallzeilen", 1),
        ("01", zr, *q1): (3, "erhebungsbogen", "gezählt aus Fallzeilen", 1),     # Z1, Z3, Z4
        ("01", mizi, *q2): (3, "erhebungsbogen", "gezählt aus Fallzeilen", 1),
        ("01", gv, *q2): (2, "erhebungsbogen", "gezählt aus Fallzeilen", 1),
        ("01", zr, *q2): (1, "erhebungsbogen", "gezählt aus Fallzeilen", 1),     # Z2 on 15.05.
        ("02", mizi, *q1): (2, "erhebungsbogen", "gezählt aus Fallzeilen", 1),
        ("02", gv, *q1): (0, "erhebungsbogen", "gezählt aus Fallzeilen", 1),
        ("02", zr, *q1): (0, "erhebungsbogen", "gezählt aus Fallzeilen", 1),
        ("08", mizi, *q1): (0, "erhebungsbogen", "gezählt aus Fallzeilen", 1),
        ("08", gv, *q1): (0, "erhebungsbogen", "gezählt aus Fallzeilen", 1),
        ("08", zr, *q1): (0, "erhebungsbogen", "gezählt aus Fallzeilen", 1),
        ("BE", mizi, *q1): (48, "gemischt", "Summe der Bezirke", 4),       # 6 + 2 + 0 + 40 (03, history)
        ("BE", gv, *q1): (4, "erhebungsbogen", "Summe der Bezirke", 3),
        ("BE", mizi, *q2): (3, "erhebungsbogen", "Summe der Bezirke", 1),
        ("BE", gv, *q2): (2, "erhebungsbogen", "Summe der Bezirke", 1),
        # zwangsraeumungen 2024: the given Berlin total (2300) takes precedence over district sums;
        # district 01's historical 2024 figure (20) gives way to its counted quarters; 2017 was rejected
    }
    assert got == expected
