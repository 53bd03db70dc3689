"""Reader for the Erhebungsbogen, the quarterly district workbook (INPUTS.md §1, form version 1).

Reads every sheet with fastexcel (calamine) as text, checks it set-based with polars and returns
the rows for the raw layer plus every problem in German. The case sheets' rows carry the trimmed
Fall-ID as ``fall_id``; the loader (:mod:`pipelines.ingest.registry`) stores only its keyed hash
(``fall_key``), computed while it writes the rows. Problem reports never show a Fall-ID (rows are
named by their spreadsheet row number).

Decisions beyond the contract (thresholds in ``dbt_project/seeds/erhebungsbogen_pruefregeln.csv``):
- an arrival date after the end of the Meta quarter is an error, and so is one more than
  ``eingang_max_jahre_vor_quartal`` years before its start (earlier arrivals are allowed: updates);
- a sheet with case rows but none arriving in the Meta quarter is a warning (Meta not updated?);
- Hausbesuch 2 before Hausbesuch 1 is an error; Hausbesuch 2 without Hausbesuch 1 a warning;
- a date cell with a time of day counts as that day; a missing optional column is a warning;
- a header naming personal data is matched as a whole word or as part of a compound word
  (``Mietername``, ``Telefonnummer``), also among the Feld values of ``Meta``;
- working days come from the shared Berlin calendar (pipelines.ingest.arbeitskalender).

Why it is built the way it is: a workbook costs a fixed amount of work, not work per row, and every
polars call has a fixed cost (tens of microseconds; a string function ~100 µs). So the workbook is
parsed at once: the cells of all date columns of all sheets (and Meta's Stand) form one column, the
text cells another, both recognised in their UTF-8 bytes with numpy; yes/no, Ergebnis and Nr columns
are pooled likewise and compared. Cells in the shape they usually have (a date cell as calamine
spells it, text without surrounding blanks, ``ja``/``nein``, an Ergebnis as printed on the form, a
plain number) are recognised on that pass and give exactly what the general parsers
(:mod:`pipelines.common.parsing`) give them; any other spelling sends the whole pool through the
general parser. Every check is then a boolean mask over the parsed columns (numpy; a missing date
never matches, as in a polars filter), and the German problem is written only for the rows it flags,
with the value it shows formatted for those rows only. Rule parameters and the working-day calendar
are cached by the contents of their seed files. Meta's few Feld names are normalised in Python where
they are plain ASCII (the same result as polars), as the rest of the Meta rows are checked one by one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

import fastexcel
import numpy as np
import polars as pl
import pyarrow as pa

from pipelines.common import bezirke
from pipelines.common.parsing import (
    BEZIRK_EXPECTED,
    DATE_EXPECTED,
    YESNO_EXPECTED,
    normalise_bezirk,
    normalise_header,
    parse_date_text,
    parse_yesno,
)
from pipelines.common.problems import FEHLER, WARNUNG, Problems, Severity
from pipelines.ingest.arbeitskalender import cached_arbeitskalender
from pipelines.ingest.erhebungsbogen_form import (
    CASE_SHEETS,
    DATA_SHEETS,
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
from pipelines.ingest.raw_tables import DDL, LOADER_COLUMNS, columns
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
_DAY = "%d.%m.%Y"


def _fmt(d: date) -> str:
    return d.strftime(_DAY)


def pruefregeln() -> dict[str, int]:
    """The check thresholds (parameters as data); a broken parameter file is a configuration error.
    The seed is read on every call and parsed once per content (an edited file counts at once)."""
    return dict(_parse_pruefregeln((bezirke.PARAMETERS_DIR / PRUEFREGELN_SEED).read_bytes()))


@lru_cache(maxsize=8)
def _parse_pruefregeln(content: bytes) -> dict[str, int]:
    rules = {}
    for r in csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")):
        value = (r["wert"] or "").strip()
        if not value.isdigit():
            raise ValueError(f"{PRUEFREGELN_SEED}: Regel {r['regel']!r} hat den Wert {value!r}; "
                             f"erwartet eine ganze Zahl.")
        rules[r["regel"].strip()] = int(value)
    missing = {"versand_spaet_arbeitstage", "eingang_max_jahre_vor_quartal", "jahr_min"} - set(rules)
    if missing:
        raise ValueError(f"{PRUEFREGELN_SEED}: Regeln fehlen: {', '.join(sorted(missing))}.")
    return rules


@cache
def _raw_schema(table: str) -> dict[str, pl.DataType]:
    """polars dtypes of the reader's columns of a raw table, from the raw-layer DDL: without the loader's
    file_id, seen_at, and with the trimmed Fall-ID ``fall_id`` where the table stores its hash ``fall_key``."""
    schema = {}
    for line in DDL[table].strip().splitlines():
        parts = line.split("--")[0].split()
        if parts and parts[0].strip('"') not in LOADER_COLUMNS:
            schema[parts[0].strip('"')] = _PL_TYPES[parts[1].rstrip(",")]
    assert list(schema) == [c for c in columns(table) if c not in LOADER_COLUMNS], table
    return {"fall_id" if c == "fall_key" else c: t for c, t in schema.items()}


def _empty_table(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema=_raw_schema(table))


# --- personal data -------------------------------------------------------------------------------

def _header_key(header: object) -> str:
    """normalise_header, remembered for text headers (the same few dozen in every workbook)."""
    return _text_header_key(header) if header is None or isinstance(header, str) else normalise_header(header)


@lru_cache(maxsize=4096)
def _text_header_key(header: str | None) -> str:
    return normalise_header(header)


def personal_term(header: object) -> str | None:
    """The personal-data term a header (or Meta Feld) names, or None. Whole words, and words that
    start or end with the term (German compounds: Mietername, Wohnadresse, Telefonnummer)."""
    return _personal_term(_header_key(header))


@lru_cache(maxsize=4096)
def _personal_term(text: str) -> str | None:
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
    """One sheet as text: the header cells and the data rows below them (cells ``c0``, ``c1`` …;
    the first data row is spreadsheet row ``header_row + 1``)."""

    name: str
    header_row: int | None
    headers: list[str | None]
    data: pl.DataFrame


def _load_grid(reader: fastexcel.ExcelReader, name: str, n_rows: int | None = None) -> _Grid:
    sheet = reader.load_sheet(name, header_row=None, skip_rows=0, n_rows=n_rows, dtypes="string",
                              whitespace_as_null=True, skip_whitespace_tail_rows=True)
    frame = pl.DataFrame(sheet)
    frame.columns = [f"c{i}" for i in range(frame.width)]
    first = _first_filled_row(frame)
    if first is None:
        return _Grid(name, None, [], frame.clear())
    return _Grid(name, first + 1, list(frame.row(first)), frame.slice(first + 1))


def _load_headers(reader: fastexcel.ExcelReader, name: str) -> _Grid:
    """Only the header cells of a sheet (the first filled row within the first 100): usually row 1."""
    grid = _load_grid(reader, name, 1)
    return grid if grid.header_row is not None else _load_grid(reader, name, 100)


def _first_filled_row(frame: pl.DataFrame) -> int | None:
    """Index of the first row with any cell, or None (the headers are usually in the first row)."""
    if frame.width == 0 or frame.height == 0:
        return None
    if any(v is not None for v in frame.row(0)):
        return 0
    return frame.select(pl.any_horizontal(pl.all().is_not_null()).arg_true().first()).item()


@cache
def _wanted(cols: tuple[Column, ...]) -> dict[str, Column]:
    return {normalise_header(c.header): c for c in cols}


def _match_columns(grid: _Grid, cols: tuple[Column, ...], problems: Problems) -> dict[str, str]:
    """Find the form's columns by header (trimmed, case-insensitive, any order): field -> cell.
    Reports unknown, duplicate, unnamed-but-filled and missing columns."""
    wanted = _wanted(cols)
    found: dict[str, str] = {}
    for i, header in enumerate(grid.headers):
        key = _header_key(header)
        cell = f"c{i}"
        if not key:
            if grid.data.get_column(cell).null_count() < grid.data.height:
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
    return found


def _repeat(value: object, dtype: pl.DataType, n: int) -> pl.Series:
    return _unit(value, dtype).new_from_index(0, n)


def _unit(value: object, dtype: pl.DataType) -> pl.Series:
    """A one-value column (remembered: district, year, quarter … repeat from workbook to workbook)."""
    return _cached_unit(type(value), value, dtype)


@lru_cache(maxsize=256)
def _cached_unit(kind: type, value: object, dtype: pl.DataType) -> pl.Series:
    return pl.Series([value], dtype=dtype)


@dataclass
class _Rows:
    """The form's columns of one sheet as found (text; an all-null column where a column is missing),
    without the rows that are empty over all of them; ``rows`` holds the spreadsheet row numbers."""

    grid: _Grid
    cols: tuple[Column, ...]
    found: dict[str, str]
    rows: pl.Series
    raw: dict[str, pl.Series]

    @classmethod
    def of(cls, grid: _Grid, cols: tuple[Column, ...], found: dict[str, str]) -> _Rows:
        n = grid.data.height
        raw = {c.field: grid.data.get_column(found[c.field]) if c.field in found else _repeat(None, pl.String, n)
               for c in cols}
        rows = pl.Series("_row", np.arange(grid.header_row + 1, grid.header_row + 1 + n, dtype=np.int32))
        # a row counts when any form column has a value; a column without gaps settles it at once
        if n and all(raw[f].null_count() for f in found):
            keep = pl.DataFrame([s.alias(f) for f, s in raw.items()]).select(
                pl.any_horizontal(pl.all().is_not_null())).to_series()
            rows, raw = rows.filter(keep), {f: s.filter(keep) for f, s in raw.items()}
        return cls(grid, cols, found, rows, raw)

    @property
    def height(self) -> int:
        return self.rows.len()


# --- parsing the workbook ------------------------------------------------------------------------

_DATE_CELL = np.frombuffer(b"0000-00-00 00:00:00", dtype=np.uint8)  # a date cell as calamine spells it
_DATE_DIGITS = _DATE_CELL == ord("0")
_YEAR_MONTH_DAY = np.zeros((10, 3), np.int64)  # the digits of JJJJ-MM-TT -> year, month, day
_YEAR_MONTH_DAY[0:4, 0], _YEAR_MONTH_DAY[5:7, 1], _YEAR_MONTH_DAY[8:10, 2] = [1000, 100, 10, 1], [10, 1], [10, 1]
_ERGEBNIS = {normalise_header(v): v for v in ERGEBNIS_WERTE}
_ERGEBNIS_OLD = pl.Series(list(_ERGEBNIS), dtype=pl.String)
_ERGEBNIS_NEW = pl.Series(list(_ERGEBNIS.values()), dtype=pl.String)
_STANDARD_NUMBERS = [n for n, _ in ZUGANG_STANDARDS]
_BLANKS = re.compile(r"[\t\n\x0b\x0c\r ]+")  # the ASCII blanks of Unicode White_Space (\s in polars)
_ASCII_WHITE_SPACE = "\t\n\x0b\x0c\r "


def _normalised(text: pl.Expr) -> pl.Expr:
    """normalise_header for a whole column: blanks collapsed and trimmed, case ignored."""
    return text.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


def _day_of_cell(text: pl.Expr) -> pl.Expr:
    # a real date cell arrives as 'JJJJ-MM-TT hh:mm:ss'; a time of day does not change the day
    return text.str.replace(r"^\s*(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*$", "$1")


def _parse_dates(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(parsed, invalid) of date text as read by calamine."""
    return parse_date_text(text, _day_of_cell)


def _parse_choice(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    """An Ergebnis in any case, blanks collapsed."""
    out = (raw.alias("v").to_frame().lazy()
           .with_columns(_normalised(pl.col("v")).replace_strict(_ERGEBNIS_OLD, _ERGEBNIS_NEW, default=None,
                                                                 return_dtype=pl.String).alias("p"))
           .select("p", (pl.col("v").is_not_null() & pl.col("p").is_null()).alias("i"))
           .collect())
    return out.get_column("p"), out.get_column("i")


def _parse_int(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    """A whole number (blanks and a decimal part of zeros allowed)."""
    ok = pl.col("v").str.contains(_INT).fill_null(False)
    out = raw.alias("v").to_frame().select(
        pl.when(ok).then(pl.col("v").str.strip_chars().str.replace(r"\.0+$", "").cast(pl.Int64, strict=False))
        .alias("p"), (pl.col("v").is_not_null() & ~ok).alias("i"))
    return out.get_column("p"), out.get_column("i")


def _meta_keys(feld: pl.Series) -> list[str | None]:
    """Meta Feld values normalised as polars does (blanks collapsed and trimmed, lower case); for the
    usual ASCII names in Python, over the handful of Meta rows, as the rest of the Meta checks."""
    names = feld.to_list()
    if all(n is None or n.isascii() for n in names):
        return [None if n is None else _BLANKS.sub(" ", n).strip(_ASCII_WHITE_SPACE).lower() for n in names]
    return feld.alias("k").to_frame().select(_normalised(pl.col("k"))).to_series().to_list()


@dataclass
class _Parsed:
    """Per (sheet, field): the parsed column, and where a given value could not be parsed (None: nowhere);
    ``stand`` is the Meta Stand (date, invalid) when there is one."""

    value: dict[tuple[str, str], pl.Series]
    invalid: dict[tuple[str, str], pl.Series | None]
    stand: tuple[date | None, bool] | None


def _parse_workbook(sheets: dict[str, _Rows], stand: str | None) -> _Parsed:
    """Parse every cell of the workbook at once (see the module docstring): the cells of one kind form
    one column, recognised in their usual shape, else parsed by the general parser, and cut back into
    the sheets' columns. Dates and texts are recognised in their UTF-8 bytes (numpy), yes/no, Ergebnis
    and Nr by comparison."""
    parts: dict[str, list[tuple[tuple[str, str], pl.Series]]] = {"date": [], "yesno": [], "choice": [],
                                                                  "text": [], "int": []}
    if stand is not None:
        parts["date"].append(((META_SHEET, "Stand"), pl.Series([stand], dtype=pl.String)))
    for name, rows in sheets.items():
        for c in rows.cols:
            parts[c.type].append(((name, c.field), rows.raw[c.field]))
    value: dict[tuple[str, str], pl.Series] = {}
    invalid: dict[tuple[str, str], pl.Series | None] = {}
    # dates: every given cell a date cell of a calendar day -> its day (what the general parser makes
    # of it), else the general parser for all
    dates, bad = _pool(parts["date"]), None
    day = _days_of_date_cells(dates)
    if day is None:
        day, bad = _parse_dates(dates)
    _cut(parts["date"], day, bad, value, invalid)
    texts = _pool(parts["text"])
    _cut(parts["text"], texts if _trimmed(texts) else texts.str.strip_chars(), None, value, invalid)
    # ja/nein as on the form, else the general parser
    answers = _pool(parts["yesno"])
    ja = answers == "ja"
    if ja.sum() + (answers == "nein").sum() == answers.len() - answers.null_count():
        _cut(parts["yesno"], ja, None, value, invalid)
    else:
        _cut(parts["yesno"], *parse_yesno(answers), value, invalid)
    # an Ergebnis as printed on the form, else the general parser
    choices = _pool(parts["choice"])
    if sum((choices == v).sum() for v in ERGEBNIS_WERTE) == choices.len() - choices.null_count():
        _cut(parts["choice"], choices, None, value, invalid)
    else:
        _cut(parts["choice"], *_parse_choice(choices), value, invalid)
    # a plain whole number, else the general parser
    numbers = _pool(parts["int"])
    whole = numbers.cast(pl.Int64, strict=False)
    if ((whole.cast(pl.String) == numbers) & (whole >= 0)).sum() == numbers.len() - numbers.null_count():
        _cut(parts["int"], whole, None, value, invalid)
    else:
        _cut(parts["int"], *_parse_int(numbers), value, invalid)

    parsed_stand = None
    if stand is not None:
        bad = invalid.pop((META_SHEET, "Stand"))
        parsed_stand = value.pop((META_SHEET, "Stand"))[0], bad is not None and bool(bad[0])
    return _Parsed(value, invalid, parsed_stand)


def _pool(parts: list[tuple[object, pl.Series]]) -> pl.Series:
    return pl.concat([s for _, s in parts]) if parts else pl.Series([], dtype=pl.String)


def _utf8(text: pl.Series) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A text column in arrow's layout: the arrow array, where a value is given, and the start and
    length of each value in the UTF-8 bytes (the last array)."""
    layout = text.to_arrow()
    if layout.type != pa.large_string():
        layout = layout.cast(pa.large_string())
    validity, offsets, data = layout.buffers()
    n, at = len(layout), layout.offset
    given = (np.ones(n, bool) if validity is None else
             np.unpackbits(np.frombuffer(validity, np.uint8), count=at + n, bitorder="little")[at:].view(bool))
    bounds = np.frombuffer(offsets, np.int64, count=n + 1, offset=8 * at)
    raw = np.zeros(0, np.uint8) if data is None else np.frombuffer(data, np.uint8)
    return layout, given, bounds[:-1], np.diff(bounds), raw


def _days_of_date_cells(text: pl.Series) -> pl.Series | None:
    """The days of date text where every given value is a date cell as calamine spells it
    (``JJJJ-MM-TT hh:mm:ss``) of a calendar day from the year 1 on, else None (the general parser
    decides). A time of day does not change the day."""
    layout, given, start, length, raw = _utf8(text)
    if not (length == np.where(given, _DATE_CELL.size, 0)).all():
        return None
    # every value has the length of a date cell (a null none): the values' bytes, one row per value
    cells = (raw[start[0]:start[-1] + length[-1]] if start.size else raw[:0]).reshape(-1, _DATE_CELL.size)
    digits = cells - ord("0")  # a byte below '0' wraps around: no digit either
    if not np.where(_DATE_DIGITS, digits <= 9, cells == _DATE_CELL).all():
        return None
    year, month, day = (digits[:, :10] @ _YEAR_MONTH_DAY).T
    if ((year < 1) | (month < 1) | (month > 12)).any():
        return None
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]").view(np.int64)  # days since 1970
    if ((day < 1) | (day > (months + 1).astype("datetime64[D]").view(np.int64) - first)).any():
        return None
    # days since 1970 where a value is given, in arrow's layout of dates (the text's validity: its nulls)
    days = np.zeros(layout.offset + len(layout), np.int32)
    days[layout.offset:][given] = first + day - 1
    return pl.Series(pa.Array.from_buffers(pa.date32(), len(layout), [layout.buffers()[0], pa.py_buffer(days)],
                                           offset=layout.offset))


def _trimmed(text: pl.Series) -> bool:
    """Whether no value starts or ends with a blank, so that str.strip_chars would change nothing: the
    first and last byte of every value printable ASCII (anything else is left to str.strip_chars)."""
    _, given, start, length, raw = _utf8(text)
    filled = given & (length > 0)
    ends = np.concatenate([raw[start[filled]], raw[start[filled] + length[filled] - 1]])
    return bool(((ends > 0x20) & (ends < 0x80)).all())


def _cut(parts: list[tuple[tuple[str, str], pl.Series]], value: pl.Series, invalid: pl.Series | None,
         values: dict, invalids: dict) -> None:
    """Cut a pooled column back into its parts."""
    offset = 0
    for key, part in parts:
        values[key] = value.slice(offset, part.len())
        invalids[key] = None if invalid is None else invalid.slice(offset, part.len())
        offset += part.len()


# --- checks --------------------------------------------------------------------------------------

@dataclass
class _Context:
    problems: Problems
    today: date
    rules: dict[str, int]
    bezirk_nr: str | None
    year: int | None
    quarter: int | None
    _working_days: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)

    def working_days(self, first_year: int, last_year: int) -> np.ndarray:
        """``arbeitstag_nr`` of every day from 1 January ``first_year`` (once per workbook: the calendar
        is cached by the contents of its settings file)."""
        if (first_year, last_year) not in self._working_days:
            calendar = cached_arbeitskalender(first_year, last_year)
            self._working_days[(first_year, last_year)] = calendar.get_column("arbeitstag_nr").to_numpy()
        return self._working_days[(first_year, last_year)]

    @property
    def quarter_bounds(self) -> tuple[date, date] | None:
        if self.year is None or self.quarter is None:
            return None
        start = date(self.year, 3 * self.quarter - 2, 1)
        end = date(self.year + (self.quarter == 4), 1 if self.quarter == 4 else 3 * self.quarter + 1, 1)
        return start, date.fromordinal(end.toordinal() - 1)


_COLUMNS = {(s.name, c.field): c for s in DATA_SHEETS for c in s.columns}


def _col(sheet: Sheet, field_name: str) -> Column:
    return _COLUMNS[(sheet.name, field_name)]


def _joined(*parts: str | pl.Series) -> pl.Series:
    """Texts and text columns joined row by row (null where a column is null)."""
    series = [p for p in parts if not isinstance(p, str)]
    names = iter(range(len(series)))
    expr = pl.lit("")
    for p in parts:
        expr = expr + (pl.lit(p) if isinstance(p, str) else pl.col(f"p{next(names)}"))
    return pl.DataFrame([s.alias(f"p{i}") for i, s in enumerate(series)]).select(expr).to_series()


def _days(s: pl.Series) -> pl.Series:
    return s.dt.strftime(_DAY).cast(pl.String)


def _true(s: pl.Series) -> np.ndarray:
    """A boolean column as a mask: null counts as false."""
    return s.cast(pl.Int8).to_numpy() == 1


def _is_null(s: pl.Series) -> np.ndarray:
    return np.isnan(s.eq(s).cast(pl.Int8).to_numpy())


def _repeated(s: pl.Series) -> np.ndarray | None:
    """Rows whose value (not null) appeared in an earlier row, or None when no value repeats."""
    if s.n_unique() - (s.null_count() > 0) == s.len() - s.null_count():
        return None
    return ~s.is_first_distinct().to_numpy() & ~_is_null(s)


@lru_cache(maxsize=256)
def _day(d: date) -> np.datetime64:
    return np.datetime64(d, "D")


Values = Callable[[pl.Series], pl.Series]


class _Checks:
    """One data sheet after parsing, and the problems found in it. A check is a mask over the rows
    (numpy: a comparison with a missing date is false, as a filter in polars treats null); a problem
    is written for each flagged row, with the value it shows computed for the flagged rows only."""

    def __init__(self, form: Sheet, rows: _Rows, parsed: _Parsed, ctx: _Context):
        self.form, self.rows, self.parsed, self.ctx = form, rows, parsed, ctx
        self.sheet = rows.grid.name
        self.row_numbers = rows.rows.to_numpy()
        self._dates: dict[str, np.ndarray] = {}

    def __getitem__(self, field_name: str) -> pl.Series:
        """The parsed column."""
        return self.parsed.value[(self.form.name, field_name)]

    def date(self, field_name: str) -> np.ndarray:
        """A parsed date column as days (NaT where missing)."""
        if field_name not in self._dates:
            self._dates[field_name] = self[field_name].to_numpy()
        return self._dates[field_name]

    def given(self, field_name: str) -> np.ndarray:
        return ~np.isnat(self.date(field_name))

    def missing(self, field_name: str) -> np.ndarray | None:
        """Where no value is found (None: found in every row)."""
        raw = self.rows.raw[field_name]
        return _is_null(raw) if raw.null_count() else None

    def as_found(self, field_name: str) -> Values:
        return lambda flagged: self.rows.raw[field_name].filter(flagged)

    def shown(self, field_name: str) -> Values:
        """The column as the user sees it: a parsed date as TT.MM.JJJJ, other values as found."""
        if _col(self.form, field_name).type != "date":
            return self.as_found(field_name)

        def values(flagged: pl.Series) -> pl.Series:
            frame = pl.DataFrame([self[field_name].filter(flagged).alias("p"),
                                  self.rows.raw[field_name].filter(flagged).alias("r")])
            return frame.select(pl.coalesce(pl.col("p").dt.strftime(_DAY), pl.col("r"))).to_series()

        return values

    def flag(self, severity: Severity, mask: np.ndarray | None, message: str, expected: str, column: Column,
             values: Values) -> None:
        """One problem per row where ``mask`` is true, showing ``values(mask)``."""
        if mask is None or not mask.any():
            return
        self.rows_problem(severity, self.row_numbers[mask], values(pl.Series(mask)), message, expected, column)

    def rows_problem(self, severity: Severity, rows: np.ndarray, values: pl.Series, message: str, expected: str,
                     column: Column) -> None:
        for row, value in zip(rows.tolist(), values.to_list()):  # one turn per problem, not per row
            self.ctx.problems.add(severity, message, expected=expected, sheet=self.sheet, row=row,
                                  column=column.header, value=value)


_INVALID = {"date": ("Ungültiges Datum.", DATE_EXPECTED), "yesno": ("Ungültige Ja/Nein-Angabe.", YESNO_EXPECTED),
            "int": ("Keine ganze Zahl.", "eine ganze Zahl")}


def _check_values(ch: _Checks) -> None:
    """Invalid values and empty required values are errors, column by column."""
    for c in ch.form.columns:
        if c.type != "text":
            message, expected = _INVALID.get(c.type) or (
                "Unzulässiger Wert.", "einer der Werte " + ", ".join(f"'{v}'" for v in c.choices))
            invalid = ch.parsed.invalid[(ch.form.name, c.field)]
            ch.flag(FEHLER, None if invalid is None else _true(invalid), message, expected, c, ch.as_found(c.field))
        if c.required and c.field in ch.rows.found:  # a missing column is reported once, not per row
            ch.flag(FEHLER, ch.missing(c.field), "Pflichtangabe fehlt.", f"einen Wert in der Spalte '{c.header}'",
                    c, ch.as_found(c.field))


def _check_future(ch: _Checks) -> None:
    today = _day(ch.ctx.today)
    for c in ch.form.columns:
        if c.type == "date":
            future = ch.date(c.field) > today
            if future.any():
                ch.flag(WARNUNG, future, f"Das Datum liegt in der Zukunft (heute ist der {_fmt(ch.ctx.today)}).",
                        "ein Datum bis heute", c, ch.shown(c.field))


def _check_not_before(ch: _Checks, field_name: str, reference: str, what: str) -> None:
    early = ch.date(field_name) < ch.date(reference)
    if not early.any():
        return
    col, ref = _col(ch.form, field_name), _col(ch.form, reference)
    ch.flag(FEHLER, early,
            f"{what} liegt vor dem Eingang der Mitteilung ({ref.header}).",
            f"ein Datum am oder nach dem Eingang der Mitteilung ({ref.header})", col,
            lambda flagged: _joined(_days(ch[field_name].filter(flagged)), " (Eingang: ",
                                    _days(ch[reference].filter(flagged)), ")"))


def _check_case_sheet(ch: _Checks) -> None:
    """Rules shared by both case sheets: Fall-ID, arrival vs. Meta quarter, letter dates, future dates."""
    ctx, s = ch.ctx, ch.form
    fall, arrival_field = _col(s, "fall_id"), s.columns[1].field
    arrival = _col(s, arrival_field)
    ids = ch["fall_id"]

    def same_as(flagged: pl.Series) -> pl.Series:
        first = pl.DataFrame([ch.rows.rows.alias("r"), ids.alias("i")]).select(
            pl.col("r").min().over("i")).to_series()
        return _joined("wie in Zeile ", first.filter(flagged).cast(pl.String))

    # the Fall-ID itself is not repeated in the report: it must not reach the warehouse
    ch.flag(FEHLER, _repeated(ids),
            "Die Fall-ID kommt in diesem Blatt mehrfach vor (gleiche Fall-ID wie in der genannten Zeile).",
            "jede Fall-ID höchstens einmal je Blatt", fall, same_as)
    bounds = ctx.quarter_bounds
    arrived = ch.date(arrival_field)
    if bounds is not None:
        start, end = bounds
        years_back = ctx.rules["eingang_max_jahre_vor_quartal"]
        oldest = start.replace(year=start.year - years_back)
        quarter = f"{ctx.quarter}. Quartal {ctx.year}"
        late, early = arrived > _day(end), arrived < _day(oldest)
        if late.any():
            ch.flag(FEHLER, late,
                    f"Der Eingang liegt nach dem Ende des im Blatt {META_SHEET} gemeldeten Quartals ({quarter}); "
                    f"Blatt {META_SHEET} und Eingangsdaten widersprechen sich.",
                    f"ein Eingang bis zum {_fmt(end)} (frühere Quartale sind als Nachträge erlaubt)", arrival,
                    ch.shown(arrival_field))
        if early.any():
            ch.flag(FEHLER, early,
                    f"Der Eingang liegt mehr als {years_back} Jahre vor dem gemeldeten Quartal ({quarter}); "
                    f"vermutlich ein Tippfehler oder ein falsches Quartal im Blatt {META_SHEET}.",
                    f"ein Eingang zwischen {_fmt(oldest)} und {_fmt(end)}", arrival, ch.shown(arrival_field))
        if ch.given(arrival_field).any() and not ((arrived >= _day(start)) & (arrived <= _day(end))).any():
            ctx.problems.warning(f"Kein Fall in diesem Blatt ist im gemeldeten Quartal ({quarter}) eingegangen; "
                                 f"bitte Jahr und Quartal im Blatt {META_SHEET} prüfen.", sheet=ch.sheet,
                                 column=arrival.header, expected=f"Eingänge zwischen {_fmt(start)} und {_fmt(end)}")
    _check_not_before(ch, "versand_anschreiben", arrival_field, "Der Versand des Anschreibens")
    _check_late_letter(ch, arrival_field)
    _check_future(ch)


def _check_late_letter(ch: _Checks, arrival_field: str) -> None:
    """Warn where the letter went out more than ``versand_spaet_arbeitstage`` working days after arrival.

    Working days are counted in the Berlin calendar from ``jahr_min - eingang_max_jahre_vor_quartal``
    to next year (a date outside it is not counted: no warning)."""
    rules = ch.ctx.rules
    first_year, last_year = rules["jahr_min"] - rules["eingang_max_jahre_vor_quartal"], ch.ctx.today.year + 1
    if first_year > last_year:
        return
    arrived, letter = ch.date(arrival_field), ch.date("versand_anschreiben")
    pairs = letter >= arrived
    if not pairs.any():
        return
    try:
        number = ch.ctx.working_days(first_year, last_year)
    except Exception:
        # a configuration error, raised where the calendar is needed: some letter within its years
        selected = pl.Series(pairs)
        if (max(ch[arrival_field].filter(selected).dt.year().min(), first_year)
                <= min(ch["versand_anschreiben"].filter(selected).dt.year().max(), last_year)):
            raise
        return
    day_zero = _day(date(first_year, 1, 1))
    counted = pairs & (arrived >= day_zero) & (letter <= _day(date(last_year, 12, 31)))
    days = np.zeros(len(counted), dtype=number.dtype)
    days[counted] = (number[(letter[counted] - day_zero).astype(np.int64)]
                     - number[(arrived[counted] - day_zero).astype(np.int64)])
    limit = rules["versand_spaet_arbeitstage"]
    late = counted & (days > limit)
    if not late.any():
        return
    flagged = pl.Series(late)
    ch.rows_problem(WARNUNG, ch.row_numbers[late],
                    _joined(_days(ch["versand_anschreiben"].filter(flagged)), " (",
                            pl.Series(days[late]).cast(pl.String), " Arbeitstage nach Eingang)"),
                    f"Das Anschreiben wurde mehr als {limit} Arbeitstage nach dem Eingang der Mitteilung versandt.",
                    f"ein Versand höchstens {limit} Arbeitstage nach dem Eingang (bitte Datum prüfen)",
                    _col(ch.form, "versand_anschreiben"))


def _check_raeumungsklagen(ch: _Checks) -> None:
    s = ch.form
    _check_case_sheet(ch)
    for field_name, what in (("hausbesuch_1", "Hausbesuch 1"), ("hausbesuch_2", "Hausbesuch 2")):
        _check_not_before(ch, field_name, "eingang_mitteilung", f"Der {what}")
    hb1, hb2 = ch["hausbesuch_1"], ch["hausbesuch_2"]
    ch.flag(FEHLER, ch.date("hausbesuch_2") < ch.date("hausbesuch_1"), "Hausbesuch 2 liegt vor Hausbesuch 1.",
            "ein Datum am oder nach Hausbesuch 1", _col(s, "hausbesuch_2"),
            lambda flagged: _joined(_days(hb2.filter(flagged)), " (Hausbesuch 1: ", _days(hb1.filter(flagged)), ")"))
    for given, missing, message, expected in (
            ("hausbesuch_2", "hausbesuch_1", "Hausbesuch 2 ist angegeben, Hausbesuch 1 aber nicht.",
             "zuerst das Datum von Hausbesuch 1"),
            ("versand_anschreiben", "reaktion", ("Ein Anschreiben wurde versandt, die Reaktion ist aber nicht "
             "angegeben. Sie gilt als unbekannt und zählt nicht als 'keine Reaktion' (Qualitätsstandard 1.2)."),
             "'ja' oder 'nein'")):
        if ch.given(given).any():
            absent = ch.missing(missing)
            ch.flag(WARNUNG, None if absent is None else ch.given(given) & absent, message, expected,
                    _col(s, missing), ch.shown(missing))


def _check_zwangsraeumungen(ch: _Checks) -> None:
    _check_case_sheet(ch)
    present = _true(ch["anwesenheit_fachstelle"])
    if present.any():
        absent = ch.missing("vorheriger_kontakt")
        ch.flag(WARNUNG, None if absent is None else present & absent,
                "Die Fachstelle war bei der Räumung anwesend, aber 'Vorheriger Kontakt' ist nicht angegeben; "
                "der Fall kann für Qualitätsstandard 1.4 nicht zugeordnet werden.", "'ja' oder 'nein'",
                _col(ch.form, "vorheriger_kontakt"), ch.shown("vorheriger_kontakt"))


def _check_zugang(ch: _Checks) -> None:
    nr_col = _col(ZUGANG, "nr")
    nr = ch["nr"]
    numbers = _STANDARD_NUMBERS
    expected = f"die Nummern {numbers[0]} bis {numbers[-1]}, jede genau einmal"
    values = nr.cast(pl.Float64).to_numpy()
    ch.flag(FEHLER, ~np.isnan(values) & ~np.isin(values, numbers),
            "Diese Nummer gibt es unter den Zugangsstandards nicht.", expected, nr_col, ch.as_found("nr"))
    ch.flag(FEHLER, _repeated(nr), "Der Standard kommt mehrfach vor.", expected, nr_col, ch.as_found("nr"))
    for n in sorted(set(numbers) - set(nr.to_list())):
        ch.ctx.problems.error(f"Zugangsstandard Nr. {n} fehlt.", sheet=ch.sheet, column=nr_col.header,
                              expected=expected)


_SHEET_CHECKS = {RAEUMUNGSKLAGEN.name: _check_raeumungsklagen, ZWANGSRAEUMUNGEN.name: _check_zwangsraeumungen,
                 ZUGANG.name: _check_zugang}


# --- Meta ----------------------------------------------------------------------------------------

_NO_META = {"bezirk_nr": None, "year": None, "quarter": None, "formularversion": None, "stand": None,
            "kontakt": None}
_META_KNOWN = {normalise_header(name): (name, required) for name, required, _ in META_FIELDS}
_META_NAMES = "einer der Feldnamen " + ", ".join(n for n, _, _ in META_FIELDS)


def _meta_rows(grid: _Grid, problems: Problems) -> _Rows | None:
    """The Feld | Wert rows of Meta, or None where a column is missing (reported)."""
    found = _match_columns(grid, META_COLUMNS, problems)
    return _Rows.of(grid, META_COLUMNS, found) if set(found) == {"feld", "wert"} else None


@dataclass
class _Meta:
    """The Meta fields as read; ``stand`` (row, text) is checked once the dates are parsed."""

    row: dict
    stand: tuple[int, str] | None = None


def _read_meta(rows: _Rows | None, ctx: _Context) -> _Meta:
    """Check the Meta fields but Stand, return the meta row."""
    if rows is None:  # a column is missing (already reported): the fields cannot be read
        return _Meta(dict(_NO_META))
    p, sheet = ctx.problems, rows.grid.name
    values: dict[str, tuple[int, str | None]] = {}
    fields = zip(rows.rows.to_list(), rows.raw["feld"].to_list(), rows.raw["wert"].to_list(),
                 _meta_keys(rows.raw["feld"]))
    for row, feld, wert, key in fields:  # a handful of rows
        if key is None:
            p.error("Feldname fehlt.", sheet=sheet, row=row, column="Feld", value=wert, expected=_META_NAMES)
        elif personal_term(feld):
            p.error(DATENSCHUTZ, sheet=sheet, row=row, column="Feld", value=feld, expected=DATENSCHUTZ_EXPECTED)
        elif key not in _META_KNOWN:
            p.warning("Unbekanntes Feld; es wird ignoriert.", sheet=sheet, row=row, column="Feld", value=feld,
                      expected=_META_NAMES)
        elif _META_KNOWN[key][0] in values:
            p.error("Das Feld kommt mehrfach vor.", sheet=sheet, row=row, column="Feld", value=feld,
                    expected=f"jedes Feld genau einmal (zuerst in Zeile {values[_META_KNOWN[key][0]][0]})")
        else:
            values[_META_KNOWN[key][0]] = (row, wert)
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
    return _Meta({"bezirk_nr": bezirk, "year": ints["Jahr"], "quarter": ints["Quartal"],
                  "formularversion": ints["Formularversion"], "stand": None,
                  "kontakt": (given("Kontakt")[1] or "").strip() or None},
                 None if text is None else (row, text))


def _check_stand(meta: _Meta, parsed: _Parsed, sheet: str, ctx: _Context) -> dict:
    """Check Stand (now parsed), set district/year/quarter in ``ctx``, return the meta row."""
    if meta.stand is not None:
        row, text = meta.stand
        stand, invalid = parsed.stand
        if invalid:
            ctx.problems.error("Ungültiges Datum für 'Stand'.", sheet=sheet, row=row, column="Wert", value=text,
                               expected=DATE_EXPECTED)
        elif stand > ctx.today:
            ctx.problems.warning(f"Das Datum liegt in der Zukunft (heute ist der {_fmt(ctx.today)}).", sheet=sheet,
                                 row=row, column="Wert", value=_fmt(stand), expected="ein Datum bis heute")
        meta.row["stand"] = stand
    ctx.bezirk_nr, ctx.year, ctx.quarter = meta.row["bezirk_nr"], meta.row["year"], meta.row["quarter"]
    return meta.row


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


_FORM_SHEET = {normalise_header(s): s for s in REQUIRED_SHEETS}


def read_erhebungsbogen(path: Path, display_name: str, today: date | None = None) -> ReadResult:
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

    by_key = {_header_key(n): n for n in sheet_names}
    grids: dict[str, _Grid] = {}
    for name in sheet_names:
        form_sheet = _FORM_SHEET.get(_header_key(name))
        try:
            # other sheets are only looked at for personal-data headers (in their first 100 rows)
            grid = _load_grid(reader, name) if form_sheet else _load_headers(reader, name)
        except Exception as exc:  # noqa: BLE001
            problems.error(f"Das Blatt kann nicht gelesen werden ({type(exc).__name__}).", sheet=name,
                           expected="ein lesbares Tabellenblatt")
            continue
        for header in grid.headers:
            term = personal_term(header)
            if term:
                problems.error(f"Die Spalte benennt personenbezogene Daten ('{term}'). {DATENSCHUTZ}",
                               sheet=name, row=grid.header_row, column=str(header), value=header,
                               expected=DATENSCHUTZ_EXPECTED)
        if form_sheet:
            grids[form_sheet] = grid
    for s in REQUIRED_SHEETS:
        if _header_key(s) not in by_key:
            problems.error(f"Das Blatt '{s}' fehlt.", sheet=s,
                           expected="die Blätter " + ", ".join(REQUIRED_SHEETS) + " (Groß-/Kleinschreibung egal)")
        elif s in grids and grids[s].header_row is None:
            problems.error("Das Blatt ist leer; die Überschriftenzeile fehlt.", sheet=grids[s].name, row=1,
                           expected="die Überschriften des Formulars in Zeile 1")

    meta, fields = None, None
    meta_grid = grids.get(META_SHEET)
    if meta_grid is not None and meta_grid.header_row is not None:
        fields = _read_meta(_meta_rows(meta_grid, problems), ctx)
    # the columns of every data sheet (their problems are reported below, in order), then one parse
    column_problems = {s.name: Problems(display_name) for s in DATA_SHEETS}
    sheets: dict[str, _Rows] = {}
    for sheet in DATA_SHEETS:
        grid = grids.get(sheet.name)
        if grid is not None and grid.header_row is not None:
            found = _match_columns(grid, sheet.columns, column_problems[sheet.name])
            sheets[sheet.name] = _Rows.of(grid, sheet.columns, found)
    parsed = _parse_workbook(sheets, fields.stand[1] if fields is not None and fields.stand else None)
    if fields is not None:
        meta = _check_stand(fields, parsed, meta_grid.name, ctx)
        _check_file_name(display_name, ctx)
        result.bezirk_nr, result.year, result.quarter = ctx.bezirk_nr, ctx.year, ctx.quarter
    for sheet in DATA_SHEETS:
        if sheet.name in sheets:
            problems.extend(column_problems[sheet.name].items)
            checks = _Checks(sheet, sheets[sheet.name], parsed, ctx)
            _check_values(checks)
            _SHEET_CHECKS[sheet.name](checks)

    if problems.has_errors or meta is None:
        result.tables = {t: _empty_table(t) for t in TABLES}
        return result
    result.tables = _build_tables(meta, sheets, parsed)
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
    fields = _read_meta(_meta_rows(grid, ctx.problems), ctx)
    _check_stand(fields, _parse_workbook({}, fields.stand[1] if fields.stand else None), grid.name, ctx)
    if ctx.problems.has_errors or None in (ctx.bezirk_nr, ctx.year, ctx.quarter):
        return None
    return ctx.bezirk_nr, ctx.year, ctx.quarter


def _build_tables(meta: dict, sheets: dict[str, _Rows], parsed: _Parsed) -> dict[str, pl.DataFrame]:
    """The raw tables, from the parsed columns (the case sheets with their trimmed Fall-IDs)."""
    meta_schema = _raw_schema("erhebungsbogen_meta")
    tables = {"erhebungsbogen_meta": pl.DataFrame([_unit(meta[c], t).alias(c) for c, t in meta_schema.items()])}
    for sheet in DATA_SHEETS:
        n = sheets[sheet.name].height
        given = {"bezirk_nr": _repeat(meta["bezirk_nr"], pl.String, n), "year": _repeat(meta["year"], pl.Int32, n),
                 "quarter": _repeat(meta["quarter"], pl.Int32, n), "source_row": sheets[sheet.name].rows}
        columns = [(given[c] if c in given else parsed.value[(sheet.name, c)]).alias(c)
                   for c in _raw_schema(sheet.table)]
        tables[sheet.table] = pl.DataFrame([s if s.dtype == t else s.cast(t)
                                            for s, t in zip(columns, _raw_schema(sheet.table).values())])
    return tables
