"""Reader for the Erhebungsbogen, the quarterly district workbook (INPUTS.md §1, form version 1).

Reads every sheet with fastexcel (calamine) as text, checks it set-based with polars and returns
the rows for the raw layer plus every problem in German. Fall-IDs are hashed here and never leave
the reader, not even in problem reports (rows are named by their spreadsheet row number).

Decisions beyond the contract (thresholds in ``dbt_project/seeds/erhebungsbogen_pruefregeln.csv``):
- an arrival date after the end of the Meta quarter is an error, and so is one more than
  ``eingang_max_jahre_vor_quartal`` years before its start (earlier arrivals are allowed: updates);
- a sheet with case rows but none arriving in the Meta quarter is a warning (Meta not updated?);
- Hausbesuch 2 before Hausbesuch 1 is an error; Hausbesuch 2 without Hausbesuch 1 a warning;
- a date cell with a time of day counts as that day; a missing optional column is a warning;
- a header naming personal data is matched as a whole word or as part of a compound word
  (``Mietername``, ``Telefonnummer``), also among the Feld values of ``Meta``;
- working days come from the shared Berlin calendar (pipelines.ingest.arbeitskalender).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import fastexcel
import polars as pl

from pipelines.common.bezirke import read_seed
from pipelines.common.parsing import (
    BEZIRK_EXPECTED,
    DATE_EXPECTED,
    YESNO_EXPECTED,
    normalise_bezirk,
    normalise_header,
    parse_date,
    parse_yesno,
)
from pipelines.common.problems import FEHLER, WARNUNG, Problems
from pipelines.common.pseudonym import hash_case_keys
from pipelines.ingest.arbeitskalender import build_arbeitskalender
from pipelines.ingest.erhebungsbogen_form import (
    CASE_SHEETS,
    ERGEBNIS_WERTE,
    FORM_VERSION,
    META_FIELDS,
    META_SHEET,
    PERSONAL_DATA_HEADERS,
    RAEUMUNGSKLAGEN,
    ZUGANG,
    ZUGANG_STANDARDS,
    ZWANGSRAEUMUNGEN,
    Column,
    Sheet,
)
from pipelines.ingest.raw_tables import DDL, columns
from pipelines.ingest.read_result import ReadResult

KIND = "erhebungsbogen"
PRUEFREGELN_SEED = "erhebungsbogen_pruefregeln.csv"
TABLES = ("erhebungsbogen_meta", *(s.table for s in (*CASE_SHEETS, ZUGANG)))
REQUIRED_SHEETS = (META_SHEET, RAEUMUNGSKLAGEN.name, ZWANGSRAEUMUNGEN.name, ZUGANG.name)
META_COLUMNS = (Column("Feld", "feld", "text", True, ""), Column("Wert", "wert", "text", True, ""))

DATENSCHUTZ = ("Datenschutz: personenbezogene Daten dürfen nicht übermittelt werden (§ 35 SGB I, § 67 SGB X). "
               "Die Datei wird deshalb insgesamt nicht geladen.")
DATENSCHUTZ_EXPECTED = ("keine Spalte mit Namen, Anschriften, Geburtsdaten, Telefonnummern oder E-Mail-Adressen; "
                        "bitte die Spalte löschen (nicht nur ausblenden) und die Datei erneut senden")
_FILE_NAME = re.compile(r"erhebungsbogen_(\d{1,2})_(\d{4})q([1-4])", re.IGNORECASE)
_INT = r"^\s*\d+(\.0+)?\s*$"
_PL_TYPES = {"VARCHAR": pl.String, "INTEGER": pl.Int32, "BIGINT": pl.Int64, "DATE": pl.Date,
             "BOOLEAN": pl.Boolean, "DOUBLE": pl.Float64}


def _fmt(d: date) -> str:
    return d.strftime("%d.%m.%Y")


def pruefregeln() -> dict[str, int]:
    """The check thresholds (parameters as data); a broken parameter file is a configuration error."""
    rules = {}
    for r in read_seed(PRUEFREGELN_SEED):
        value = (r["wert"] or "").strip()
        if not value.isdigit():
            raise ValueError(f"{PRUEFREGELN_SEED}: Regel {r['regel']!r} hat den Wert {value!r}; "
                             f"erwartet eine ganze Zahl.")
        rules[r["regel"].strip()] = int(value)
    missing = {"versand_spaet_arbeitstage", "eingang_max_jahre_vor_quartal", "jahr_min"} - set(rules)
    if missing:
        raise ValueError(f"{PRUEFREGELN_SEED}: Regeln fehlen: {', '.join(sorted(missing))}.")
    return rules


def raw_schema(table: str) -> dict[str, pl.DataType]:
    """polars dtypes of a raw table's columns (without file_id), from the raw-layer DDL."""
    schema = {}
    for line in DDL[table].strip().splitlines():
        parts = line.split("--")[0].split()
        if parts and parts[0].strip('"') != "file_id":
            schema[parts[0].strip('"')] = _PL_TYPES[parts[1].rstrip(",")]
    assert list(schema) == columns(table)[1:], table
    return schema


def _conform(frame: pl.DataFrame | None, table: str) -> pl.DataFrame:
    schema = raw_schema(table)
    if frame is None:
        return pl.DataFrame(schema=schema)
    return frame.select([pl.col(c).cast(t) for c, t in schema.items()])


# --- personal data -------------------------------------------------------------------------------

def personal_term(header: object) -> str | None:
    """The personal-data term a header (or Meta Feld) names, or None. Whole words, and words that
    start or end with the term (German compounds: Mietername, Wohnadresse, Telefonnummer)."""
    text = normalise_header(header)
    if not text:
        return None
    words = re.split(r"[^\w]+", text)
    for term in PERSONAL_DATA_HEADERS:
        t = term.casefold()
        if "-" in t:
            if re.search(rf"(?<![^\W_]){re.escape(t)}(?![^\W_])", text):
                return term
        elif any(w == t or w.endswith(t) or (len(t) >= 6 and w.startswith(t)) for w in words):
            return term
    return None


# --- sheets as grids of text ---------------------------------------------------------------------

@dataclass
class _Grid:
    """One sheet as text: the header cells and the data rows below them (``_row`` = spreadsheet row)."""

    name: str
    header_row: int | None
    headers: list[str | None]
    data: pl.DataFrame


def _load_grid(reader: fastexcel.ExcelReader, name: str, n_rows: int | None = None) -> _Grid:
    sheet = reader.load_sheet(name, header_row=None, skip_rows=0, n_rows=n_rows, dtypes="string",
                              whitespace_as_null=True, skip_whitespace_tail_rows=True)
    frame = pl.DataFrame(sheet.to_polars())
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    cells = frame.columns
    frame = frame.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    filled = frame.filter(pl.any_horizontal(pl.col(cells).is_not_null())) if cells else frame.clear()
    if filled.is_empty():
        return _Grid(name, None, [], frame.select("_row").clear())
    header_row = filled["_row"][0]
    headers = list(filled.row(0)[1:])
    return _Grid(name, header_row, headers, frame.filter(pl.col("_row") > header_row))


def _resolve(grid: _Grid, cols: tuple[Column, ...], problems: Problems) -> tuple[pl.DataFrame, set[str]]:
    """Find the form's columns by header (trimmed, case-insensitive, any order) and return the data
    rows with one text column per form field (null where the column is missing), plus ``_row``, and
    the fields found. Completely empty rows (over the form's columns) are dropped."""
    wanted = {normalise_header(c.header): c for c in cols}
    found: dict[str, str] = {}
    for i, header in enumerate(grid.headers):
        key = normalise_header(header)
        cell = f"c{i}"
        if not key:
            if grid.data[cell].is_not_null().any():
                problems.warning("Die Spalte hat keine Überschrift, enthält aber Werte; sie wird ignoriert.",
                                 sheet=grid.name, row=grid.header_row, column=f"Spalte {i + 1}",
                                 expected="eine Überschrift aus dem Formular")
        elif key in wanted:
            c = wanted[key]
            if c.field in found:
                problems.error("Die Spalte kommt mehrfach vor.", sheet=grid.name, row=grid.header_row,
                               column=c.header, value=header, expected="jede Spalte genau einmal")
            else:
                found[c.field] = cell
        elif personal_term(header) is None:
            problems.warning("Unbekannte Spalte; sie wird ignoriert.", sheet=grid.name, row=grid.header_row,
                             column=str(header), value=header,
                             expected="nur die Spalten des Formulars: " + ", ".join(c.header for c in cols))
    for c in cols:
        if c.field in found:
            continue
        if c.required:
            problems.error("Pflichtspalte fehlt.", sheet=grid.name, row=grid.header_row, column=c.header,
                           expected=f"eine Spalte mit der Überschrift '{c.header}'")
        else:
            problems.warning("Spalte fehlt; ihre Werte gelten als nicht angegeben.", sheet=grid.name,
                             row=grid.header_row, column=c.header,
                             expected=f"eine Spalte mit der Überschrift '{c.header}'")
    fields = [c.field for c in cols]
    data = grid.data.select(
        "_row", *[(pl.col(found[f]) if f in found else pl.lit(None, pl.String)).alias(f) for f in fields])
    return data.filter(pl.any_horizontal(pl.col(fields).is_not_null())), set(found)


# --- column parsing ------------------------------------------------------------------------------

def _parse_dates(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    # a real date cell arrives as 'JJJJ-MM-TT hh:mm:ss'; a time of day does not change the day
    cleaned = text.str.replace(r"^\s*(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*$", "$1")
    return parse_date(cleaned)


def _parse_int(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    ok = text.str.contains(_INT).fill_null(False)
    parsed = text.str.strip_chars().str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    parsed = parsed.set(~ok, None).alias(text.name)
    return parsed, (text.is_not_null() & ~ok).alias(text.name)


def _normalised(text: pl.Series) -> pl.Series:
    """normalise_header for a whole column: blanks collapsed and trimmed, case ignored."""
    return text.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


_ERGEBNIS = {normalise_header(v): v for v in ERGEBNIS_WERTE}


def _parse_choice(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    key = _normalised(text)
    parsed = key.replace_strict(_ERGEBNIS, default=None, return_dtype=pl.String).alias(text.name)
    return parsed, (text.is_not_null() & parsed.is_null()).alias(text.name)


def _parse_columns(data: pl.DataFrame, found: set[str], cols: tuple[Column, ...], sheet: str,
                   problems: Problems) -> pl.DataFrame:
    """Parse every column by its type; invalid values and empty required values are errors.
    Returns ``_row``, the original text as ``<field>__text`` and the parsed ``<field>``."""
    out = [data["_row"]]
    for c in cols:
        text = data[c.field]
        if c.type == "date":
            parsed, invalid = _parse_dates(text)
            message, expected = "Ungültiges Datum.", DATE_EXPECTED
        elif c.type == "yesno":
            parsed, invalid = parse_yesno(text)
            message, expected = "Ungültige Ja/Nein-Angabe.", YESNO_EXPECTED
        elif c.type == "choice":
            parsed, invalid = _parse_choice(text)
            message, expected = "Unzulässiger Wert.", "einer der Werte " + ", ".join(f"'{v}'" for v in c.choices)
        elif c.type == "int":
            parsed, invalid = _parse_int(text)
            message, expected = "Keine ganze Zahl.", "eine ganze Zahl"
        else:
            parsed = text.str.strip_chars()
            invalid = pl.Series(c.field, [False] * text.len(), pl.Boolean)
            message = expected = ""
        frame = pl.DataFrame([data["_row"], text.alias("value"), invalid.alias("invalid")])
        problems.add_rows(FEHLER, frame.filter("invalid"), message=message, expected=expected, sheet=sheet,
                          column=c.header, value_col="value")
        if c.required and c.field in found:  # a missing column is reported once, not per row
            problems.add_rows(FEHLER, frame.filter(pl.col("value").is_null()), message="Pflichtangabe fehlt.",
                              expected=f"einen Wert in der Spalte '{c.header}'", sheet=sheet,
                              column=c.header, value_col="value")
        if c.type == "date":  # show a parsed date as the user sees it, not as calamine spells it
            text = pl.select(pl.coalesce(parsed.dt.strftime("%d.%m.%Y"), text)).to_series()
        out += [text.alias(f"{c.field}__text"), parsed.alias(c.field)]
    return pl.DataFrame(out)


def _rows(problems: Problems, severity: str, bad: pl.DataFrame, message: str, expected: str, sheet: str,
          column: Column, value: pl.Expr | None = None) -> None:
    """One problem per offending row; ``value`` (default: the column's text) is shown as found."""
    bad = bad.with_columns((value if value is not None else pl.col(f"{column.field}__text")).alias("_value"))
    problems.add_rows(severity, bad, message=message, expected=expected, sheet=sheet, column=column.header,
                      value_col="_value")


def _col(sheet: Sheet, field: str) -> Column:
    return next(c for c in sheet.columns if c.field == field)


# --- checks --------------------------------------------------------------------------------------

@dataclass
class _Context:
    problems: Problems
    today: date
    rules: dict[str, int]
    bezirk_nr: str | None
    year: int | None
    quarter: int | None

    @property
    def quarter_bounds(self) -> tuple[date, date] | None:
        if self.year is None or self.quarter is None:
            return None
        start = date(self.year, 3 * self.quarter - 2, 1)
        end = date(self.year + (self.quarter == 4), 1 if self.quarter == 4 else 3 * self.quarter + 1, 1)
        return start, date.fromordinal(end.toordinal() - 1)


def _check_future(frame: pl.DataFrame, cols: tuple[Column, ...], sheet: str, ctx: _Context) -> None:
    for c in cols:
        if c.type == "date":
            _rows(ctx.problems, WARNUNG, frame.filter(pl.col(c.field) > ctx.today),
                  f"Das Datum liegt in der Zukunft (heute ist der {_fmt(ctx.today)}).",
                  "ein Datum bis heute", sheet, c)


def _check_not_before(frame: pl.DataFrame, sheet: Sheet, sheet_name: str, field: str, reference: str,
                      ctx: _Context, what: str) -> None:
    col, ref = _col(sheet, field), _col(sheet, reference)
    _rows(ctx.problems, FEHLER, frame.filter(pl.col(field) < pl.col(reference)),
          f"{what} liegt vor dem Eingang der Mitteilung ({ref.header}).",
          f"ein Datum am oder nach dem Eingang der Mitteilung ({ref.header})", sheet_name, col,
          pl.col(field).dt.strftime("%d.%m.%Y") + " (Eingang: " + pl.col(reference).dt.strftime("%d.%m.%Y") + ")")


def _check_case_sheet(frame: pl.DataFrame, sheet: Sheet, sheet_name: str, ctx: _Context) -> None:
    """Rules shared by both case sheets: Fall-ID, arrival vs. Meta quarter, letter dates, future dates."""
    p = ctx.problems
    fall, arrival_field = _col(sheet, "fall_id"), sheet.columns[1].field
    arrival = _col(sheet, arrival_field)
    dup = frame.filter(pl.col("fall_id").is_not_null()).with_columns(
        _first=pl.col("_row").min().over("fall_id")).filter(pl.col("_row") != pl.col("_first"))
    # the Fall-ID itself is not repeated in the report: it must not reach the warehouse
    _rows(p, FEHLER, dup, "Die Fall-ID kommt in diesem Blatt mehrfach vor (gleiche Fall-ID wie in der "
          "genannten Zeile).", "jede Fall-ID höchstens einmal je Blatt", sheet_name, fall,
          pl.lit("wie in Zeile ") + pl.col("_first").cast(pl.String))
    bounds = ctx.quarter_bounds
    if bounds is not None:
        start, end = bounds
        years_back = ctx.rules["eingang_max_jahre_vor_quartal"]
        oldest = start.replace(year=start.year - years_back)
        quarter = f"{ctx.quarter}. Quartal {ctx.year}"
        _rows(p, FEHLER, frame.filter(pl.col(arrival_field) > end),
              f"Der Eingang liegt nach dem Ende des im Blatt {META_SHEET} gemeldeten Quartals ({quarter}); "
              f"Blatt {META_SHEET} und Eingangsdaten widersprechen sich.",
              f"ein Eingang bis zum {_fmt(end)} (frühere Quartale sind als Nachträge erlaubt)", sheet_name, arrival)
        _rows(p, FEHLER, frame.filter(pl.col(arrival_field) < oldest),
              f"Der Eingang liegt mehr als {years_back} Jahre vor dem gemeldeten Quartal ({quarter}); "
              f"vermutlich ein Tippfehler oder ein falsches Quartal im Blatt {META_SHEET}.",
              f"ein Eingang zwischen {_fmt(oldest)} und {_fmt(end)}", sheet_name, arrival)
        given = frame.filter(pl.col(arrival_field).is_not_null())
        if given.height and not given[arrival_field].is_between(start, end).any():
            p.warning(f"Kein Fall in diesem Blatt ist im gemeldeten Quartal ({quarter}) eingegangen; "
                      f"bitte Jahr und Quartal im Blatt {META_SHEET} prüfen.", sheet=sheet_name,
                      column=arrival.header, expected=f"Eingänge zwischen {_fmt(start)} und {_fmt(end)}")
    _check_not_before(frame, sheet, sheet_name, "versand_anschreiben", arrival_field, ctx,
                      "Der Versand des Anschreibens")
    _check_late_letter(frame, sheet, sheet_name, arrival_field, ctx)
    _check_future(frame, sheet.columns, sheet_name, ctx)


def _check_late_letter(frame: pl.DataFrame, sheet: Sheet, sheet_name: str, arrival_field: str, ctx: _Context) -> None:
    """Warn where the letter went out more than ``versand_spaet_arbeitstage`` working days after arrival."""
    pairs = frame.filter(pl.col("versand_anschreiben") >= pl.col(arrival_field))
    if pairs.is_empty():
        return
    first = max(int(pairs[arrival_field].dt.year().min()),
                ctx.rules["jahr_min"] - ctx.rules["eingang_max_jahre_vor_quartal"])
    last = min(int(pairs["versand_anschreiben"].dt.year().max()), ctx.today.year + 1)
    if first > last:
        return
    cal = build_arbeitskalender(first, last).select("datum", "arbeitstag_nr")
    limit = ctx.rules["versand_spaet_arbeitstage"]
    counted = (
        pairs.join(cal.rename({"datum": arrival_field, "arbeitstag_nr": "_n0"}), on=arrival_field, how="inner")
        .join(cal.rename({"datum": "versand_anschreiben", "arbeitstag_nr": "_n1"}), on="versand_anschreiben",
              how="inner")
        .with_columns(_tage=pl.col("_n1") - pl.col("_n0"))
        .sort("_row")
    )
    _rows(ctx.problems, WARNUNG, counted.filter(pl.col("_tage") > limit),
          f"Das Anschreiben wurde mehr als {limit} Arbeitstage nach dem Eingang der Mitteilung versandt.",
          f"ein Versand höchstens {limit} Arbeitstage nach dem Eingang (bitte Datum prüfen)", sheet_name,
          _col(sheet, "versand_anschreiben"),
          pl.col("versand_anschreiben").dt.strftime("%d.%m.%Y") + " (" + pl.col("_tage").cast(pl.String)
          + " Arbeitstage nach Eingang)")


def _check_raeumungsklagen(frame: pl.DataFrame, sheet_name: str, ctx: _Context) -> None:
    s, p = RAEUMUNGSKLAGEN, ctx.problems
    _check_case_sheet(frame, s, sheet_name, ctx)
    for field, what in (("hausbesuch_1", "Hausbesuch 1"), ("hausbesuch_2", "Hausbesuch 2")):
        _check_not_before(frame, s, sheet_name, field, "eingang_mitteilung", ctx, f"Der {what}")
    hb1, hb2 = _col(s, "hausbesuch_1"), _col(s, "hausbesuch_2")
    _rows(p, FEHLER, frame.filter(pl.col("hausbesuch_2") < pl.col("hausbesuch_1")),
          "Hausbesuch 2 liegt vor Hausbesuch 1.", "ein Datum am oder nach Hausbesuch 1", sheet_name, hb2,
          pl.col("hausbesuch_2").dt.strftime("%d.%m.%Y") + " (Hausbesuch 1: "
          + pl.col("hausbesuch_1").dt.strftime("%d.%m.%Y") + ")")
    _rows(p, WARNUNG, frame.filter(pl.col("hausbesuch_2").is_not_null() & pl.col("hausbesuch_1__text").is_null()),
          "Hausbesuch 2 ist angegeben, Hausbesuch 1 aber nicht.", "zuerst das Datum von Hausbesuch 1",
          sheet_name, hb1)
    _rows(p, WARNUNG, frame.filter(pl.col("versand_anschreiben").is_not_null() & pl.col("reaktion__text").is_null()),
          "Ein Anschreiben wurde versandt, die Reaktion ist aber nicht angegeben. Sie gilt als unbekannt "
          "und zählt nicht als 'keine Reaktion' (Qualitätsstandard 1.2).", "'ja' oder 'nein'", sheet_name,
          _col(s, "reaktion"))


def _check_zwangsraeumungen(frame: pl.DataFrame, sheet_name: str, ctx: _Context) -> None:
    s = ZWANGSRAEUMUNGEN
    _check_case_sheet(frame, s, sheet_name, ctx)
    _rows(ctx.problems, WARNUNG,
          frame.filter(pl.col("anwesenheit_fachstelle").fill_null(False)
                       & pl.col("vorheriger_kontakt__text").is_null()),
          "Die Fachstelle war bei der Räumung anwesend, aber 'Vorheriger Kontakt' ist nicht angegeben; "
          "der Fall kann für Qualitätsstandard 1.4 nicht zugeordnet werden.", "'ja' oder 'nein'", sheet_name,
          _col(s, "vorheriger_kontakt"))


def _check_zugang(frame: pl.DataFrame, sheet_name: str, ctx: _Context) -> None:
    p, nr = ctx.problems, _col(ZUGANG, "nr")
    numbers = [n for n, _ in ZUGANG_STANDARDS]
    expected = f"die Nummern {numbers[0]} bis {numbers[-1]}, jede genau einmal"
    _rows(p, FEHLER, frame.filter(pl.col("nr").is_not_null() & ~pl.col("nr").is_in(numbers)),
          "Diese Nummer gibt es unter den Zugangsstandards nicht.", expected, sheet_name, nr)
    dup = frame.filter(pl.col("nr").is_not_null()).with_columns(
        _first=pl.col("_row").min().over("nr")).filter(pl.col("_row") != pl.col("_first"))
    _rows(p, FEHLER, dup, "Der Standard kommt mehrfach vor.", expected, sheet_name, nr)
    for n in sorted(set(numbers) - set(frame["nr"].drop_nulls().to_list())):
        p.error(f"Zugangsstandard Nr. {n} fehlt.", sheet=sheet_name, column=nr.header, expected=expected)


# --- Meta ----------------------------------------------------------------------------------------

def _read_meta(grid: _Grid, ctx: _Context) -> dict:
    """Check the Meta sheet (Feld | Wert), set district/year/quarter in ``ctx``, return the meta row."""
    p, sheet = ctx.problems, grid.name
    data, found = _resolve(grid, META_COLUMNS, p)
    if found != {"feld", "wert"}:  # already reported; the fields cannot be read
        return {"bezirk_nr": None, "year": None, "quarter": None, "formularversion": None, "stand": None,
                "kontakt": None}
    rows = data.with_columns(key=_normalised(data["feld"]))
    known = {normalise_header(name): (name, required) for name, required, _ in META_FIELDS}
    values: dict[str, tuple[int, str | None]] = {}
    for row, feld, wert, key in rows.select("_row", "feld", "wert", "key").iter_rows():  # a handful of rows
        if key is None:
            p.error("Feldname fehlt.", sheet=sheet, row=row, column="Feld", value=wert,
                    expected="einer der Feldnamen " + ", ".join(n for n, _, _ in META_FIELDS))
        elif personal_term(feld):
            p.error(DATENSCHUTZ, sheet=sheet, row=row, column="Feld", value=feld, expected=DATENSCHUTZ_EXPECTED)
        elif key not in known:
            p.warning("Unbekanntes Feld; es wird ignoriert.", sheet=sheet, row=row, column="Feld", value=feld,
                      expected="einer der Feldnamen " + ", ".join(n for n, _, _ in META_FIELDS))
        elif known[key][0] in values:
            p.error("Das Feld kommt mehrfach vor.", sheet=sheet, row=row, column="Feld", value=feld,
                    expected=f"jedes Feld genau einmal (zuerst in Zeile {values[known[key][0]][0]})")
        else:
            values[known[key][0]] = (row, wert)
    for name, required, _ in META_FIELDS:
        if required and (name not in values or values[name][1] is None):
            p.error(f"Pflichtfeld '{name}' fehlt oder ist leer.", sheet=sheet,
                    row=values[name][0] if name in values else None, column="Wert",
                    expected=f"eine Zeile mit Feld '{name}' und einem Wert")

    def given(name: str) -> tuple[int | None, str | None]:
        return values.get(name, (None, None))

    row, text = given("Bezirk")
    bezirk = normalise_bezirk(text) if text is not None else None
    if text is not None and bezirk is None:
        p.error("Unbekannter Bezirk.", sheet=sheet, row=row, column="Wert", value=text, expected=BEZIRK_EXPECTED)
    this_year = ctx.today.year
    ints = {}
    for name, low, high, expected in (
            ("Jahr", ctx.rules["jahr_min"], this_year, f"eine Jahreszahl von {ctx.rules['jahr_min']} bis {this_year}"),
            ("Quartal", 1, 4, "1, 2, 3 oder 4"),
            ("Formularversion", FORM_VERSION, FORM_VERSION,
             f"{FORM_VERSION} (bitte den aktuellen Erhebungsbogen verwenden)")):
        row, text = given(name)
        value = int(float(text)) if text is not None and re.match(_INT, text) else None
        if text is not None and (value is None or not low <= value <= high):
            p.error(f"Ungültiger Wert für '{name}'.", sheet=sheet, row=row, column="Wert", value=text,
                    expected=expected)
            value = None
        ints[name] = value
    row, text = given("Stand")
    stand = None
    if text is not None:
        parsed, invalid = _parse_dates(pl.Series("Stand", [text], pl.String))
        stand = parsed[0]
        if invalid[0]:
            p.error("Ungültiges Datum für 'Stand'.", sheet=sheet, row=row, column="Wert", value=text,
                    expected=DATE_EXPECTED)
        elif stand > ctx.today:
            p.warning(f"Das Datum liegt in der Zukunft (heute ist der {_fmt(ctx.today)}).", sheet=sheet, row=row,
                      column="Wert", value=_fmt(stand), expected="ein Datum bis heute")
    ctx.bezirk_nr, ctx.year, ctx.quarter = bezirk, ints["Jahr"], ints["Quartal"]
    return {"bezirk_nr": bezirk, "year": ints["Jahr"], "quarter": ints["Quartal"],
            "formularversion": ints["Formularversion"], "stand": stand,
            "kontakt": (given("Kontakt")[1] or "").strip() or None}


def _check_file_name(display_name: str, ctx: _Context) -> None:
    m = _FILE_NAME.search(Path(display_name).name)
    if not m or None in (ctx.bezirk_nr, ctx.year, ctx.quarter):
        return
    bezirk, year, quarter = normalise_bezirk(m.group(1)), int(m.group(2)), int(m.group(3))
    if (bezirk, year, quarter) != (ctx.bezirk_nr, ctx.year, ctx.quarter):
        ctx.problems.warning(
            f"Der Dateiname nennt Bezirk {m.group(1)}, {quarter}. Quartal {year}; das Blatt {META_SHEET} "
            f"(maßgeblich) nennt Bezirk {ctx.bezirk_nr}, {ctx.quarter}. Quartal {ctx.year}.",
            sheet=META_SHEET, value=Path(display_name).name, expected="Dateiname passend zum Blatt Meta")


# --- the reader ----------------------------------------------------------------------------------

def _unreadable(problems: Problems, reason: str) -> None:
    problems.error(f"Die Datei kann nicht gelesen werden: {reason}",
                   expected="eine unbeschädigte Excel-Arbeitsmappe (.xlsx) nach dem Erhebungsbogen, "
                   f"Formularversion {FORM_VERSION}")


def read_erhebungsbogen(path: Path, display_name: str, case_key: str, today: date | None = None) -> ReadResult:
    """Check one Erhebungsbogen and return its raw-layer rows (empty when there is any error)."""
    problems = Problems(display_name)
    result = ReadResult(kind=KIND, problems=problems)
    ctx = _Context(problems, today or date.today(), pruefregeln(), None, None, None)
    try:
        if Path(path).stat().st_size == 0:
            _unreadable(problems, "sie ist leer (0 Bytes).")
            return result
        reader = fastexcel.read_excel(path)
        sheet_names = list(reader.sheet_names)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a rejection, never a crash
        _unreadable(problems, f"keine gültige oder eine beschädigte Excel-Datei ({type(exc).__name__}).")
        return result

    by_key = {normalise_header(n): n for n in sheet_names}
    grids: dict[str, _Grid] = {}
    for name in sheet_names:
        form_sheet = next((s for s in REQUIRED_SHEETS if normalise_header(s) == normalise_header(name)), None)
        try:
            # other sheets are only looked at for personal-data headers
            grid = _load_grid(reader, name, None if form_sheet else 100)
        except Exception as exc:  # noqa: BLE001
            problems.error(f"Das Blatt kann nicht gelesen werden ({type(exc).__name__}).", sheet=name,
                           expected="ein lesbares Tabellenblatt")
            continue
        for i, header in enumerate(grid.headers):
            term = personal_term(header)
            if term:
                problems.error(f"Die Spalte benennt personenbezogene Daten ('{term}'). {DATENSCHUTZ}",
                               sheet=name, row=grid.header_row, column=str(header), value=header,
                               expected=DATENSCHUTZ_EXPECTED)
        if form_sheet:
            grids[form_sheet] = grid
    for s in REQUIRED_SHEETS:
        if normalise_header(s) not in by_key:
            problems.error(f"Das Blatt '{s}' fehlt.", sheet=s,
                           expected="die Blätter " + ", ".join(REQUIRED_SHEETS) + " (Groß-/Kleinschreibung egal)")
        elif s in grids and grids[s].header_row is None:
            problems.error("Das Blatt ist leer; die Überschriftenzeile fehlt.", sheet=grids[s].name, row=1,
                           expected="die Überschriften des Formulars in Zeile 1")

    meta = None
    if META_SHEET in grids and grids[META_SHEET].header_row is not None:
        meta = _read_meta(grids[META_SHEET], ctx)
        _check_file_name(display_name, ctx)
        result.bezirk_nr, result.year, result.quarter = ctx.bezirk_nr, ctx.year, ctx.quarter

    parsed: dict[str, pl.DataFrame] = {}
    for sheet, check in ((RAEUMUNGSKLAGEN, _check_raeumungsklagen), (ZWANGSRAEUMUNGEN, _check_zwangsraeumungen),
                         (ZUGANG, _check_zugang)):
        grid = grids.get(sheet.name)
        if grid is None or grid.header_row is None:
            continue
        data, found = _resolve(grid, sheet.columns, problems)
        frame = _parse_columns(data, found, sheet.columns, grid.name, problems)
        check(frame, grid.name, ctx)
        parsed[sheet.table] = frame

    if problems.has_errors or meta is None:
        result.tables = {t: _conform(None, t) for t in TABLES}
        return result
    result.tables = _build_tables(meta, parsed, case_key)
    return result


def read_submission_key(path: Path, display_name: str) -> tuple[str, int, int] | None:
    """District, year and quarter of a workbook from its Meta sheet alone (cheap: the case sheets are
    not read), or None where Meta is missing or invalid. Decides the Dagster partition a workbook is
    loaded in; the full check is :func:`read_erhebungsbogen`'s."""
    try:
        reader = fastexcel.read_excel(path)
        name = next((n for n in reader.sheet_names if normalise_header(n) == normalise_header(META_SHEET)), None)
        if name is None:
            return None
        grid = _load_grid(reader, name)
    except Exception:  # noqa: BLE001 - an unreadable file has no partition; its report comes from the reader
        return None
    if grid.header_row is None:
        return None
    ctx = _Context(Problems(display_name), date.today(), pruefregeln(), None, None, None)
    _read_meta(grid, ctx)
    if ctx.problems.has_errors or None in (ctx.bezirk_nr, ctx.year, ctx.quarter):
        return None
    return ctx.bezirk_nr, ctx.year, ctx.quarter


def _build_tables(meta: dict, parsed: dict[str, pl.DataFrame], case_key: str) -> dict[str, pl.DataFrame]:
    keys = {"bezirk_nr": meta["bezirk_nr"], "year": meta["year"], "quarter": meta["quarter"]}
    tables = {"erhebungsbogen_meta": _conform(pl.DataFrame([meta]), "erhebungsbogen_meta")}
    for sheet in (*CASE_SHEETS, ZUGANG):
        frame = parsed[sheet.table]
        fields = [c.field for c in sheet.columns]
        frame = frame.select(pl.col("_row").alias("source_row"), *fields).with_columns(
            *[pl.lit(v).alias(k) for k, v in keys.items()])
        if "fall_id" in fields:
            frame = frame.with_columns(hash_case_keys(frame["bezirk_nr"], frame["fall_id"], case_key)).drop("fall_id")
        tables[sheet.table] = _conform(frame, sheet.table)
    return tables
