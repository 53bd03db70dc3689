"""Reader for historical case volumes (INPUTS.md §3), ``fallzahlen_*.csv``:
``Bezirk;Von;Bis;Kennzahl;Wert;Quelle``, counts for any period before case rows exist.

Checks: district or ``Berlin`` (stored as ``BE``), dates, ``Von`` <= ``Bis``, a known ``Kennzahl``,
``Wert`` a whole number >= 0 (``1.668`` = 1668). Overlapping periods for the same district and
measure are a Fehler, within the file (``read_fallzahlen``) and against rows loaded from other
files (``fallzahlen_conflicts``); district values summing above a Berlin total of the same period
and measure are a Warnung. ``Quelle`` may be empty. A rejected file returns no rows; a file without
data rows is accepted with a Warnung.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.common.bezirke import BERLIN
from pipelines.common.parsing import (
    BEZIRK_EXPECTED, DATE_EXPECTED, NUMBER_EXPECTED, parse_bezirk, parse_date, parse_german_number)
from pipelines.common.problems import FEHLER, Problems
from pipelines.ingest.csv_input import (
    ROW, CsvColumn, check_required, format_number, format_rows, read_csv_rows, to_raw)
from pipelines.ingest.raw_tables import columns
from pipelines.ingest.read_result import ReadResult

TABLE = "fallzahlen"
EXPECTED = (CsvColumn("Bezirk"), CsvColumn("Von"), CsvColumn("Bis"), CsvColumn("Kennzahl"),
            CsvColumn("Wert"), CsvColumn("Quelle", required=False))
KENNZAHLEN = ("mizi_raeumungsklagen", "gv_raeumungsmitteilungen", "zwangsraeumungen")
KENNZAHL_EXPECTED = "eine der Kennzahlen " + ", ".join(KENNZAHLEN)
WERT_EXPECTED = "eine ganze Zahl größer oder gleich 0 (Tausenderpunkte erlaubt, z. B. 1.668)"
_PERIOD = "Von / Bis"


def read_fallzahlen(path: Path, display_name: str) -> ReadResult:
    """Read one file of historical case volumes into ``raw.fallzahlen`` rows (without ``file_id``)."""
    problems = Problems(display_name)
    rows = read_csv_rows(path, problems, EXPECTED)
    if rows is None:
        return ReadResult(kind=TABLE, problems=problems)
    if rows.is_empty():
        problems.warning("Die Datei enthält nur die Kopfzeile und keine Datenzeilen; es wird nichts geladen.",
                         expected="mindestens eine Datenzeile")
        empty = pl.DataFrame({c: [] for c in columns(TABLE) if c != "file_id"})
        return ReadResult(kind=TABLE, problems=problems, tables={TABLE: to_raw(empty, TABLE)})

    check_required(rows, EXPECTED, problems)
    is_berlin = rows["Bezirk"].str.to_lowercase() == "berlin"
    bezirk, bad = parse_bezirk(rows["Bezirk"])
    bad = bad & ~is_berlin.fill_null(False)
    problems.add_rows(FEHLER, rows.filter(bad), message="Unbekannter Bezirk.", sheet=None, column="Bezirk",
                      expected=BEZIRK_EXPECTED + ", oder 'Berlin' für den Berliner Gesamtwert")
    rows = rows.with_columns(pl.when(is_berlin).then(pl.lit(BERLIN)).otherwise(bezirk).alias("bezirk_nr"))

    for header in ("Von", "Bis"):
        parsed, bad = parse_date(rows[header])
        problems.add_rows(FEHLER, rows.filter(bad), message="Ungültiges Datum.", expected=DATE_EXPECTED,
                          sheet=None, column=header)
        rows = rows.with_columns(parsed.alias(header.lower()))
    problems.add_rows(FEHLER, rows.filter(pl.col("von") > pl.col("bis")).with_columns(_period_text("").alias("_p")),
                      message="Der Zeitraum endet vor seinem Beginn.", expected="Von ≤ Bis", sheet=None,
                      column=_PERIOD, value_col="_p")

    rows = rows.with_columns(pl.col("Kennzahl").str.to_lowercase().alias("kennzahl"))
    problems.add_rows(FEHLER, rows.filter(pl.col("kennzahl").is_not_null() & ~pl.col("kennzahl").is_in(KENNZAHLEN)),
                      message="Unbekannte Kennzahl.", expected=KENNZAHL_EXPECTED, sheet=None, column="Kennzahl")

    wert, bad = parse_german_number(rows["Wert"])
    problems.add_rows(FEHLER, rows.filter(bad), message="Ungültige Zahl.", expected=NUMBER_EXPECTED,
                      sheet=None, column="Wert")
    rows = rows.with_columns(wert.alias("_wert"))
    not_count = (pl.col("_wert") < 0) | (pl.col("_wert") != pl.col("_wert").floor())
    problems.add_rows(FEHLER, rows.filter(not_count), message="Der Wert ist keine Fallzahl.",
                      expected=WERT_EXPECTED, sheet=None, column="Wert")
    rows = rows.with_columns(pl.col("_wert").cast(pl.Int64, strict=False).alias("wert"),
                             pl.col("Quelle").alias("quelle"), pl.col(ROW).alias("source_row"))

    valid = rows.filter(pl.all_horizontal(pl.col("bezirk_nr", "von", "bis", "kennzahl", "wert").is_not_null())
                        & (pl.col("von") <= pl.col("bis")) & pl.col("kennzahl").is_in(KENNZAHLEN))
    _report_overlaps(_overlapping_pairs(valid, valid), problems, other_file=None)
    _check_berlin_totals(valid, problems)

    years = pl.concat([rows["von"].dt.year(), rows["bis"].dt.year()]).drop_nulls().unique().to_list()
    districts = rows["bezirk_nr"].drop_nulls().unique().to_list()
    result = ReadResult(kind=TABLE, problems=problems, year=years[0] if len(years) == 1 else None,
                        bezirk_nr=districts[0] if len(districts) == 1 else None)
    if not problems.has_errors:
        result.tables[TABLE] = to_raw(rows, TABLE)
    return result


def fallzahlen_conflicts(new: pl.DataFrame, loaded: pl.DataFrame, display_name: str) -> Problems:
    """Fehler for each row of ``new`` (a file's ``raw.fallzahlen`` rows) whose period overlaps a row
    already loaded from another file for the same district and measure.

    ``loaded`` holds the rows that count today (columns ``bezirk_nr``, ``von``, ``bis``, ``kennzahl``,
    ``source_row``, and optionally ``loaded_from`` or ``path``, the file they came from); the caller
    leaves out rows that the new file legitimately replaces.
    """
    problems = Problems(display_name)
    if new.is_empty() or loaded.is_empty():
        return problems
    named = next((c for c in ("loaded_from", "path") if c in loaded.columns), None)
    source = (pl.lit("der Datei ") + pl.col(named)) if named else pl.lit("einer bereits geladenen Datei")
    loaded = loaded.with_columns(source.alias("path"))
    _report_overlaps(_overlapping_pairs(new.rename({"source_row": ROW}), loaded.rename({"source_row": ROW}),
                                        same_file=False), problems, other_file="path")
    return problems


def _period_text(suffix: str) -> pl.Expr:
    fmt = "%d.%m.%Y"
    return pl.concat_str(pl.col(f"von{suffix}").dt.strftime(fmt), pl.lit("–"), pl.col(f"bis{suffix}").dt.strftime(fmt))


def _overlapping_pairs(a: pl.DataFrame, b: pl.DataFrame, same_file: bool = True) -> pl.DataFrame:
    """Pairs of rows of ``a`` and ``b`` with the same district and measure whose periods share a day
    (a self-join on district and measure; within one file each pair once, the later row first)."""
    keep = [c for c in ("bezirk_nr", "kennzahl", "von", "bis", ROW, "path") if c in b.columns]
    pairs = a.select("bezirk_nr", "kennzahl", "von", "bis", ROW).join(
        b.select(keep), on=["bezirk_nr", "kennzahl"], suffix="_other")
    pairs = pairs.filter((pl.col("von") <= pl.col("bis_other")) & (pl.col("von_other") <= pl.col("bis")))
    if same_file:
        pairs = pairs.filter(pl.col(ROW) > pl.col(f"{ROW}_other"))
    return pairs.sort(ROW, f"{ROW}_other").with_columns(
        _period_text("").alias("period"), _period_text("_other").alias("period_other"))


def _report_overlaps(pairs: pl.DataFrame, problems: Problems, other_file: str | None) -> None:
    for record in pairs.iter_rows(named=True):
        where = f"Zeile {record[ROW + '_other']}"
        if other_file:
            where = f"{where} {record[other_file]}"
        district = "Berlin" if record["bezirk_nr"] == BERLIN else f"Bezirk {record['bezirk_nr']}"
        problems.error(
            f"Der Zeitraum überschneidet sich für {district}, Kennzahl {record['kennzahl']} mit "
            f"{where} ({record['period_other']}).",
            row=record[ROW], column=_PERIOD, value=record["period"],
            expected="je Bezirk und Kennzahl überschneidungsfreie Zeiträume")


def _check_berlin_totals(rows: pl.DataFrame, problems: Problems) -> None:
    """Warnung where the district values of a period and measure add up to more than its Berlin total."""
    key = ["von", "bis", "kennzahl"]
    districts = (rows.filter(pl.col("bezirk_nr") != BERLIN).group_by(key)
                 .agg(pl.col("wert").sum().alias("summe"), pl.col(ROW).sort().alias("zeilen")))
    totals = rows.filter(pl.col("bezirk_nr") == BERLIN).select(*key, "wert", "Wert", ROW)
    over = totals.join(districts, on=key).filter(pl.col("summe") > pl.col("wert")).sort(ROW)
    for record in over.with_columns(_period_text("").alias("period")).iter_rows(named=True):
        problems.warning(
            f"Die Summe der Bezirkswerte ({format_number(record['summe'], 0)}, Zeilen "
            f"{format_rows(record['zeilen'])}) übersteigt den Berliner Gesamtwert "
            f"{format_number(record['wert'], 0)} für {record['period']}, Kennzahl {record['kennzahl']}.",
            row=record[ROW], column="Wert", value=record["Wert"],
            expected="Summe der Bezirke höchstens der Berliner Gesamtwert desselben Zeitraums")
