"""The Berlin working-day calendar (raw.arbeitskalender) from which every deadline is counted.

Working days (Arbeitstage) are Monday to Friday minus the Berlin public holidays of the ``holidays``
package (``subdiv="BE"``) and, by default, 24 and 31 December (work-free under TV-L; switchable in
``dbt_project/seeds/arbeitskalender_einstellungen.csv``). ``arbeitstag_nr`` counts the working days
up to and including each date, so ``nr(answer) - nr(arrival)`` is the number of working days after
the arrival day (day 0).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from functools import lru_cache
from pathlib import Path

import duckdb
import holidays
import polars as pl

from pipelines.ingest.raw_tables import RAW_SCHEMA, columns
from pipelines.settings import PARAMETERS_DIR

SETTINGS_FILE = PARAMETERS_DIR / "arbeitskalender_einstellungen.csv"
TVL_ARBEITSFREI = "arbeitsfrei (TV-L)"
MIN_HOLIDAYS_VERSION = (0, 59)  # Berlin Frauentag, 8 May 2020/2025 and Reformationstag 2017 are known

_BOOL_SETTINGS = ("heiligabend_arbeitsfrei", "silvester_arbeitsfrei")
_INT_SETTINGS = ("erstes_jahr", "letztes_jahr")
_TRUE = {"true", "ja", "1"}
_FALSE = {"false", "nein", "0"}


def load_arbeitskalender_settings(settings_path: Path | None = None) -> dict[str, bool | int]:
    """Read the settings seed (columns einstellung, wert); raise ValueError in German on bad values."""
    path = settings_path or SETTINGS_FILE
    with open(path, encoding="utf-8", newline="") as f:
        return _parse_settings(f.read(), path.name)


def _parse_settings(text: str, file_name: str) -> dict[str, bool | int]:
    raw = {r["einstellung"].strip(): (r["wert"] or "").strip()
           for r in csv.DictReader(io.StringIO(text, newline=""))}
    settings: dict[str, bool | int] = {}
    for name in _BOOL_SETTINGS:
        value = raw.get(name, "").lower()
        if value not in _TRUE | _FALSE:
            raise ValueError(f"{file_name}: Einstellung {name!r} hat den Wert {raw.get(name)!r}; "
                             f"erwartet true oder false.")
        settings[name] = value in _TRUE
    for name in _INT_SETTINGS:
        value = raw.get(name, "")
        if not value.isdigit():
            raise ValueError(f"{file_name}: Einstellung {name!r} hat den Wert {raw.get(name)!r}; "
                             f"erwartet eine Jahreszahl.")
        settings[name] = int(value)
    if settings["erstes_jahr"] > settings["letztes_jahr"]:
        raise ValueError(f"{file_name}: erstes_jahr {settings['erstes_jahr']} liegt nach "
                         f"letztes_jahr {settings['letztes_jahr']}.")
    return settings


def _check_holidays_version() -> None:
    version = tuple(int(p) for p in holidays.__version__.split(".")[:2])
    if version < MIN_HOLIDAYS_VERSION:
        raise RuntimeError(f"holidays {holidays.__version__} ist zu alt; benötigt wird mindestens "
                           f"{'.'.join(map(str, MIN_HOLIDAYS_VERSION))} (Berliner Feiertage).")


def build_arbeitskalender(start_year: int, end_year: int, settings_path: Path | None = None) -> pl.DataFrame:
    """One row per day from 1 Jan ``start_year`` to 31 Dec ``end_year`` with the columns of raw.arbeitskalender."""
    if start_year > end_year:
        raise ValueError(f"Startjahr {start_year} liegt nach Endjahr {end_year}.")
    _check_holidays_version()
    return _build(start_year, end_year, load_arbeitskalender_settings(settings_path))


def cached_arbeitskalender(start_year: int, end_year: int, settings_path: Path | None = None) -> pl.DataFrame:
    """:func:`build_arbeitskalender`, built once per process for the same years and the same contents of
    the settings file (read on every call, so an edited file takes effect at once). The frame is shared
    between callers: do not modify it in place."""
    path = settings_path or SETTINGS_FILE
    return _cached_calendar(Path(path).read_bytes(), path.name, start_year, end_year)


@lru_cache(maxsize=8)
def _cached_calendar(settings: bytes, file_name: str, start_year: int, end_year: int) -> pl.DataFrame:
    if start_year > end_year:
        raise ValueError(f"Startjahr {start_year} liegt nach Endjahr {end_year}.")
    _check_holidays_version()
    return _build(start_year, end_year, _parse_settings(settings.decode("utf-8"), file_name))


def _build(start_year: int, end_year: int, settings: dict[str, bool | int]) -> pl.DataFrame:
    feiertage = holidays.Germany(subdiv="BE", years=range(start_year, end_year + 1), language="de")
    feiertag_frame = pl.DataFrame(
        {"datum": list(feiertage.keys()), "feiertag_name": list(feiertage.values())},
        schema={"datum": pl.Date, "feiertag_name": pl.String},
    )
    datum = pl.col("datum")
    tvl_frei = ((datum.dt.month() == 12)
                & (((datum.dt.day() == 24) & pl.lit(settings["heiligabend_arbeitsfrei"]))
                   | ((datum.dt.day() == 31) & pl.lit(settings["silvester_arbeitsfrei"]))))
    frame = (
        pl.DataFrame({"datum": pl.date_range(date(start_year, 1, 1), date(end_year, 12, 31), "1d", eager=True)})
        .join(feiertag_frame, on="datum", how="left")
        .with_columns(
            feiertag=pl.coalesce(pl.col("feiertag_name"), pl.when(tvl_frei).then(pl.lit(TVL_ARBEITSFREI))))
        .with_columns(is_arbeitstag=(datum.dt.weekday() <= 5) & pl.col("feiertag").is_null())
        .with_columns(arbeitstag_nr=pl.col("is_arbeitstag").cast(pl.Int32).cum_sum())
        .sort("datum")
    )
    return frame.select(columns("arbeitskalender"))


def refresh_arbeitskalender(con: duckdb.DuckDBPyConnection, settings_path: Path | None = None) -> int:
    """Replace raw.arbeitskalender with the calendar for the configured years (one transaction)."""
    settings = load_arbeitskalender_settings(settings_path)
    frame = build_arbeitskalender(int(settings["erstes_jahr"]), int(settings["letztes_jahr"]), settings_path)
    cols = ", ".join(columns("arbeitskalender"))
    con.register("_arbeitskalender", frame.to_arrow())
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(f"DELETE FROM {RAW_SCHEMA}.arbeitskalender")
        con.execute(f"INSERT INTO {RAW_SCHEMA}.arbeitskalender ({cols}) SELECT {cols} FROM _arbeitskalender")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_arbeitskalender")
    return frame.height
