"""The Berlin working-day calendar: holidays, TV-L days and working-day differences, counted by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest.arbeitskalender import (
    TVL_ARBEITSFREI,
    build_arbeitskalender,
    load_arbeitskalender_settings,
    refresh_arbeitskalender,
)
from pipelines.ingest.raw_tables import columns, create_raw_tables


@pytest.fixture(scope="module")
def kalender() -> dict[date, dict]:
    frame = build_arbeitskalender(2017, 2025)
    return {row["datum"]: row for row in frame.iter_rows(named=True)}


def _settings_file(tmp_path: Path, heiligabend: str, silvester: str) -> Path:
    path = tmp_path / "einstellungen.csv"
    path.write_text("einstellung,wert,beschreibung\n"
                    f"heiligabend_arbeitsfrei,{heiligabend},x\nsilvester_arbeitsfrei,{silvester},x\n"
                    "erstes_jahr,2024\nletztes_jahr,2025\n", encoding="utf-8")
    return path


def _arbeitstage(kal: dict[date, dict], eingang: date, antwort: date) -> int:
    return kal[antwort]["arbeitstag_nr"] - kal[eingang]["arbeitstag_nr"]


def test_columns_and_range_follow_the_raw_contract():
    frame = build_arbeitskalender(2024, 2024)
    assert frame.columns == columns("arbeitskalender")
    assert frame.height == 366  # leap year
    assert frame["datum"].min() == date(2024, 1, 1) and frame["datum"].max() == date(2024, 12, 31)
    assert frame["datum"].is_unique().all()
    # 2024 in Berlin: 262 weekdays minus 10 holidays on weekdays (Neujahr, Frauentag, Karfreitag,
    # Ostermontag, 1. Mai, Himmelfahrt, Pfingstmontag, 3. Oktober, 25.12., 26.12.) minus 24./31.12. = 250
    assert frame["is_arbeitstag"].sum() == 250
    assert frame["arbeitstag_nr"].max() == 250


@pytest.mark.parametrize(("tag", "arbeitstag", "feiertag"), [
    (date(2019, 3, 8), False, "Frauentag"),   # Frauentag since 2019 (a Friday)
    (date(2018, 3, 8), True, None),                            # before 2019 an ordinary Thursday
    (date(2020, 5, 8), False, None),                           # one-off 75th anniversary (Friday)
    (date(2025, 5, 8), False, None),                           # one-off 80th anniversary (Thursday)
    (date(2024, 5, 8), True, None),                            # an ordinary Wednesday
    (date(2024, 3, 29), False, "Karfreitag"),
    (date(2024, 4, 1), False, "Ostermontag"),
    (date(2024, 5, 9), False, "Christi Himmelfahrt"),
    (date(2017, 10, 31), False, "Reformationstag"),            # nationwide in 2017 only
    (date(2018, 10, 31), True, None),                          # not a Berlin holiday otherwise
    (date(2024, 12, 24), False, TVL_ARBEITSFREI),
    (date(2024, 12, 31), False, TVL_ARBEITSFREI),
    (date(2024, 12, 23), True, None),
    (date(2024, 6, 8), False, None),                           # Saturday
])
def test_berlin_holidays(kalender, tag, arbeitstag, feiertag):
    row = kalender[tag]
    assert row["is_arbeitstag"] is arbeitstag
    if feiertag is not None:
        assert row["feiertag"] == feiertag
    if tag in (date(2020, 5, 8), date(2025, 5, 8)):
        assert "Befreiung" in row["feiertag"]
    if arbeitstag:
        assert row["feiertag"] is None


@pytest.mark.parametrize(("eingang", "antwort", "tage"), [
    (date(2024, 6, 7), date(2024, 6, 12), 3),    # Friday -> Wednesday: Mon, Tue, Wed
    (date(2024, 6, 7), date(2024, 6, 7), 0),     # same day = day 0
    (date(2024, 3, 28), date(2024, 4, 3), 2),    # Maundy Thursday -> Wed: Good Friday, Easter Monday off
    (date(2024, 3, 7), date(2024, 3, 11), 1),    # Frauentag Fri 8.3.2024 off -> Monday = 1
    (date(2018, 3, 7), date(2018, 3, 9), 2),     # 2018: Thu 8.3. is a working day
    (date(2024, 5, 8), date(2024, 5, 13), 2),    # Ascension Thu 9.5. off: Fri 10 = 1, Mon 13 = 2
    (date(2017, 10, 30), date(2017, 11, 1), 1),  # Reformationstag 2017 off
    (date(2018, 10, 30), date(2018, 11, 1), 2),  # 2018 not off
    (date(2024, 12, 23), date(2025, 1, 2), 3),   # 24/25/26/31.12 and 1.1 off: 27.12, 30.12, 2.1
    (date(2024, 6, 8), date(2024, 6, 10), 1),    # arrival on a Saturday: Monday is the first day
])
def test_working_days_between(kalender, eingang, antwort, tage):
    assert _arbeitstage(kalender, eingang, antwort) == tage


def test_24_and_31_december_switch(tmp_path):
    normal = build_arbeitskalender(2024, 2025, _settings_file(tmp_path, "true", "true"))
    offen = build_arbeitskalender(2024, 2025, _settings_file(tmp_path, "false", "false"))
    nur_silvester = build_arbeitskalender(2024, 2025, _settings_file(tmp_path, "false", "true"))

    def tage(frame: pl.DataFrame) -> int:
        kal = {r["datum"]: r for r in frame.iter_rows(named=True)}
        return _arbeitstage(kal, date(2024, 12, 23), date(2025, 1, 2))

    assert (tage(normal), tage(offen), tage(nur_silvester)) == (3, 5, 4)
    heiligabend = offen.filter(pl.col("datum") == date(2024, 12, 24)).row(0, named=True)
    assert heiligabend["is_arbeitstag"] is True and heiligabend["feiertag"] is None
    # Christmas itself stays a holiday whatever the switch
    assert offen.filter(pl.col("datum") == date(2024, 12, 25))["is_arbeitstag"].item() is False


def test_settings_from_seed_and_bad_values(tmp_path):
    settings = load_arbeitskalender_settings()
    assert settings["heiligabend_arbeitsfrei"] is True and settings["silvester_arbeitsfrei"] is True
    assert settings["erstes_jahr"] <= 2016 and settings["letztes_jahr"] >= 2030
    with pytest.raises(ValueError, match="heiligabend_arbeitsfrei.*erwartet true oder false"):
        load_arbeitskalender_settings(_settings_file(tmp_path, "vielleicht", "true"))


def test_refresh_replaces_the_raw_table(tmp_path):
    settings = _settings_file(tmp_path, "true", "true")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        create_raw_tables(con)
        assert refresh_arbeitskalender(con, settings) == 366 + 365
        assert refresh_arbeitskalender(con, settings) == 731   # again: replaced, not appended
        n, first, last, arbeitstage = con.execute(
            "SELECT count(*), min(datum), max(datum), sum(is_arbeitstag::INT) FROM raw.arbeitskalender").fetchone()
    assert (n, first, last) == (731, date(2024, 1, 1), date(2025, 12, 31))
    # 2025: 261 weekdays - 10 weekday holidays (1.1, 18.4, 21.4, 1.5, 8.5, 29.5, 9.6, 3.10, 25.12,
    # 26.12; Frauentag is a Saturday) - 24./31.12. = 249; plus 2024's 250
    assert arbeitstage == 250 + 249
