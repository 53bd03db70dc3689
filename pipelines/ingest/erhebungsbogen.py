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
polars call has a fixed cost (tens of microseconds; a string function ~100 µs), so does every numpy
call and every Python function (a few microseconds each once calamine has run through the caches).
So the workbook is parsed at once: the cells of all text and date columns of all sheets (and Meta's
Stand) form one column, turned into arrow's layout once and recognised in its UTF-8 bytes with numpy;
yes/no, Ergebnis and Nr columns are pooled likewise and compared. Cells in the shape they usually have
(a date cell as calamine spells it, text without surrounding blanks, ``ja``/``nein``, an Ergebnis as
printed on the form, a plain number) are recognised on that pass and give exactly what the general
parsers (:mod:`pipelines.common.parsing`) give them; any other spelling sends the whole pool through
the general parser. The parsed dates and yes/no answers are kept in numpy too (views of one array per
pool), so every check is a boolean mask over them (a missing date never matches, as in a polars
filter), usually settled for a whole sheet at once (all its dates against today, the first and last
arrival against the quarter), and the German problem is written only for the rows it flags, with the
value it shows taken or formatted for those rows only (one turn per problem). What does not change
from workbook to workbook is worked out once and remembered: how a header row matches the form, which
headers name personal data, the Meta Feld names, the problems of each column, the row numbers. Rule
parameters and the working-day calendar are cached by the contents of their seed files. Meta, a
handful of rows checked one by one, is read as Python values; its Feld names are normalised in Python
where they are plain ASCII (the same result as polars). The workbook is read into memory at once:
calamine then unzips it without the many small reads and seeks of a file.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property, lru_cache
from itertools import count
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
# the columns of each sheet by its name (a cache keyed by the name needs not hash the columns)
_FORM_COLUMNS = {META_SHEET: META_COLUMNS, **{s.name: s.columns for s in DATA_SHEETS}}

DATENSCHUTZ = ("Datenschutz: personenbezogene Daten dürfen nicht übermittelt werden (§ 35 SGB I, § 67 SGB X). "
               "Die Datei wird deshalb insgesamt nicht geladen.")
DATENSCHUTZ_EXPECTED = ("keine Spalte mit Namen, Anschriften, Geburtsdaten, Telefonnummern oder E-Mail-Adressen; "
                        "bitte die Spalte löschen (nicht nur ausblenden) und die Datei erneut senden")
_FILE_NAME = re.compile(r"erhebungsbogen_(\d{1,2})_(\d{4})q([1-4])", re.IGNORECASE)
_INT = r"^\s*\d+(\.0+)?\s*$"
_INT_RE = re.compile(_INT)
_PL_TYPES = {"VARCHAR": pl.String, "INTEGER": pl.Int32, "BIGINT": pl.Int64, "DATE": pl.Date,
             "BOOLEAN": pl.Boolean, "DOUBLE": pl.Float64}
_DAY = "%d.%m.%Y"


def _fmt(d: date) -> str:
    return d.strftime(_DAY)


def pruefregeln() -> dict[str, int]:
    """The check thresholds (parameters as data); a broken parameter file is a configuration error.
    The seed is read on every call and parsed once per content (an edited file counts at once)."""
    return dict(_parse_pruefregeln(_file_bytes(bezirke.PARAMETERS_DIR / PRUEFREGELN_SEED)))


def _file_bytes(path: Path) -> bytes:
    """A file's contents, read unbuffered (a third of the cost of Path.read_bytes for a seed file): one
    read where the file is shorter than the buffer, else until the end."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = [os.read(fd, 1 << 16)]
        while len(chunks[-1]) == 1 << 16:
            chunks.append(os.read(fd, 1 << 16))
        return b"".join(chunks)
    finally:
        os.close(fd)


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
    """A new empty frame of the raw table (cleared from a frame built once: the schema is not parsed again)."""
    return _empty_template(table).clear()


@cache
def _empty_template(table: str) -> pl.DataFrame:
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


@lru_cache(maxsize=1024)
def _personal_headers(headers: tuple[object, ...]) -> tuple[tuple[object, str], ...]:
    """The cells of a header row that name personal data, each with its term (remembered: the header
    rows are the same in most workbooks)."""
    return tuple((header, term) for header in headers if (term := personal_term(header)))


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
    """One sheet as text: the header cells and the data rows below them (column ``i`` of ``data`` is the
    sheet's ``i + 1``-th column; the first data row is spreadsheet row ``header_row + 1``)."""

    name: str
    header_row: int | None
    headers: tuple[str | None, ...]
    data: pl.DataFrame | list[list[str | None]]  # a polars frame; for Meta its columns as Python lists


_SHEET_OPTIONS = {"header_row": None, "skip_rows": 0, "dtypes": "string", "whitespace_as_null": True,
                  "skip_whitespace_tail_rows": True}
_NO_DATA = pl.DataFrame()  # of a sheet only looked at for its headers (never read)


def _load_grid(reader: fastexcel.ExcelReader, name: str, n_rows: int | None = None) -> _Grid:
    frame = pl.DataFrame(reader.load_sheet(name, n_rows=n_rows, **_SHEET_OPTIONS))
    top = frame.row(0) if frame.width and frame.height else ()
    if any(v is not None for v in top):
        return _Grid(name, 1, top, frame.slice(1))  # the usual case: the headers in the first row
    first = _first_filled_row(frame)
    if first is None:
        return _Grid(name, None, (), frame.clear())
    return _Grid(name, first + 1, frame.row(first), frame.slice(first + 1))


def _load_headers(reader: fastexcel.ExcelReader, name: str) -> _Grid:
    """Only the header cells of a sheet (the first filled row within the first 100): usually row 1,
    then read as one arrow row (cheaper than a polars frame; the cells are the same)."""
    batch = reader.load_sheet(name, n_rows=1, eager=True, **_SHEET_OPTIONS)
    headers = tuple(column[0].as_py() for column in batch.columns) if batch.num_rows else ()
    if any(h is not None for h in headers):
        return _Grid(name, 1, headers, _NO_DATA)
    return _load_grid(reader, name, 100)


def _load_meta_grid(reader: fastexcel.ExcelReader, name: str) -> _Grid:
    """The Meta sheet with its columns as Python lists: a handful of rows, checked one by one (an arrow
    batch turned into lists is cheaper than a polars frame)."""
    columns = [column.to_pylist() for column in reader.load_sheet(name, eager=True, **_SHEET_OPTIONS).columns]
    first = next((i for i, row in enumerate(zip(*columns)) if any(v is not None for v in row)), None)
    if first is None:
        return _Grid(name, None, (), [])
    return _Grid(name, first + 1, tuple(column[first] for column in columns),
                 [column[first + 1:] for column in columns])


def _has_values(grid: _Grid, i: int) -> bool:
    """Whether the ``i``-th column of a sheet has any value below its header."""
    if isinstance(grid.data, list):
        return any(v is not None for v in grid.data[i])
    return grid.data.to_series(i).null_count() < grid.data.height


def _first_filled_row(frame: pl.DataFrame) -> int | None:
    """Index of the first row with any cell, or None."""
    if frame.width == 0 or frame.height == 0:
        return None
    return frame.select(pl.any_horizontal(pl.all().is_not_null()).arg_true().first()).item()


def _match_columns(grid: _Grid, form: str, problems: Problems) -> dict[str, int]:
    """Find the columns of the form's sheet ``form`` by header (trimmed, case-insensitive, any order):
    field -> column index. Reports unknown, duplicate, unnamed-but-filled and missing columns."""
    cols = _FORM_COLUMNS[form]
    found, events = _column_plan(grid.headers, form)
    for event, i, c, header in events:
        if event == "unnamed":
            if _has_values(grid, i):
                problems.warning("Die Spalte hat keine Überschrift, enthält aber Werte; sie wird ignoriert.",
                                 sheet=grid.name, row=grid.header_row, column=f"Spalte {i + 1}",
                                 expected="eine Überschrift aus dem Formular")
        elif event == "twice":
            problems.error("Die Spalte kommt mehrfach vor.", sheet=grid.name, row=grid.header_row,
                           column=c.header, value=header, expected="jede Spalte genau einmal")
        elif event == "unknown":
            problems.warning("Unbekannte Spalte; sie wird ignoriert.", sheet=grid.name, row=grid.header_row,
                             column=str(header), value=header,
                             expected="nur die Spalten des Formulars: " + ", ".join(c.header for c in cols))
        elif c.required:
            problems.error("Pflichtspalte fehlt.", sheet=grid.name, row=grid.header_row, column=c.header,
                           expected=f"eine Spalte mit der Überschrift '{c.header}'")
        else:
            problems.warning("Spalte fehlt; ihre Werte gelten als nicht angegeben.", sheet=grid.name,
                             row=grid.header_row, column=c.header,
                             expected=f"eine Spalte mit der Überschrift '{c.header}'")
    return dict(found)


@lru_cache(maxsize=256)
def _column_plan(headers: tuple[str | None, ...], form: str) -> tuple[dict[str, int], tuple]:
    """How a header row matches the columns of the form's sheet ``form`` (remembered: most workbooks
    have the same header rows): field -> column index, and what to report, in order, as (event, column
    index, form column, header): "unnamed" (reported only where the column has values), "twice",
    "unknown", "missing"."""
    cols = _FORM_COLUMNS[form]
    wanted = {normalise_header(c.header): c for c in cols}
    found: dict[str, int] = {}
    events = []
    for i, header in enumerate(headers):
        key = _header_key(header)
        if not key:
            events.append(("unnamed", i, None, header))
        elif key in wanted:
            c = wanted[key]
            if c.field in found:
                events.append(("twice", i, c, header))
            else:
                found[c.field] = i
        elif personal_term(header) is None:
            events.append(("unknown", i, None, header))
    events += [("missing", None, c, None) for c in cols if c.field not in found]
    return found, tuple(events)


def _repeat(value: object, dtype: pl.DataType, n: int) -> pl.Series:
    return _unit(value, dtype).new_from_index(0, n)


def _unit(value: object, dtype: pl.DataType) -> pl.Series:
    """A one-value column (remembered: district, year, quarter … repeat from workbook to workbook)."""
    return _cached_unit(type(value), value, dtype)


@lru_cache(maxsize=256)
def _cached_unit(kind: type, value: object, dtype: pl.DataType) -> pl.Series:
    return pl.Series("v", [value], dtype=dtype)  # named: a frame built from it renames, never aliases


_ROW_NUMBERS = [pl.Series("row", np.arange(4096, dtype=np.int32))]  # 0, 1, 2 …: sliced, grown on demand
_MAX_ROW = 1_048_576  # the last row of a worksheet


def _row_numbers(first: int, n: int) -> pl.Series:
    """The spreadsheet row numbers ``first`` … ``first + n - 1``: a slice of one remembered column (an
    eager range costs a polars query), grown when a sheet is longer (any column long enough will do)."""
    numbers = _ROW_NUMBERS[0]
    if first + n > numbers.len():
        numbers = pl.Series("row", np.arange(max(first + n, min(2 * (first + n), _MAX_ROW + 1)), dtype=np.int32))
        _ROW_NUMBERS[0] = numbers
    return numbers.slice(first, n)


@dataclass
class _Rows:
    """The form's columns of one sheet as found (text; an all-null column where a column is missing),
    without the rows that are empty over all of them; ``rows`` holds the spreadsheet row numbers."""

    grid: _Grid
    cols: tuple[Column, ...]
    found: dict[str, int]
    rows: pl.Series
    raw: dict[str, pl.Series]

    @classmethod
    def of(cls, grid: _Grid, cols: tuple[Column, ...], found: dict[str, int]) -> _Rows:
        n, columns = grid.data.height, grid.data.get_columns()
        raw = {c.field: columns[found[c.field]] if c.field in found else _repeat(None, pl.String, n) for c in cols}
        rows = _row_numbers(grid.header_row + 1, n)
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
_DATE_SPAN = np.where(_DATE_CELL == ord("0"), 9, 0).astype(np.uint8)  # a digit there, else exactly that byte
_DAY_ONE = np.datetime64("0001-01-01", "D")
_ERGEBNIS = {normalise_header(v): v for v in ERGEBNIS_WERTE}
_ERGEBNIS_OLD = pl.Series(list(_ERGEBNIS), dtype=pl.String)
_ERGEBNIS_NEW = pl.Series(list(_ERGEBNIS.values()), dtype=pl.String)
_ERGEBNIS_ENUM = pl.Enum(ERGEBNIS_WERTE)
_YESNO_ENUM = pl.Enum(["ja", "nein"])
_STANDARD_NUMBERS = [n for n, _ in ZUGANG_STANDARDS]
_STANDARD_SET = frozenset(_STANDARD_NUMBERS)
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


@lru_cache(maxsize=256)
def _meta_keys(names: tuple[str | None, ...]) -> tuple[str | None, ...]:
    """Meta Feld values normalised as polars does (blanks collapsed and trimmed, lower case); for the
    usual ASCII names in Python, over the handful of Meta rows, as the rest of the Meta checks
    (remembered: the Feld column is the same in most workbooks)."""
    if all(n is None or n.isascii() for n in names):
        return tuple(None if n is None else _BLANKS.sub(" ", n).strip(_ASCII_WHITE_SPACE).lower() for n in names)
    keys = pl.Series("k", names, dtype=pl.String).to_frame().select(_normalised(pl.col("k"))).to_series()
    return tuple(keys.to_list())


@dataclass
class _Parsed:
    """Per (sheet, field): the parsed column, and where a given value could not be parsed (None: nowhere);
    per (sheet, field) of a date column its days in numpy (NaT where missing) and where it has one, and per
    sheet the days of all its date columns one after the other; per (sheet, field) of a yes/no column its
    answers in numpy (1 ja, 0 nein, NaN none); ``stand`` is the Meta Stand (date, invalid) if there is one."""

    value: dict[tuple[str, str], pl.Series]
    invalid: dict[tuple[str, str], pl.Series | None]
    days: dict[tuple[str, str], np.ndarray]
    sheet_days: dict[str, np.ndarray]
    dated: dict[tuple[str, str], np.ndarray]
    answers: dict[tuple[str, str], np.ndarray]
    stand: tuple[date | None, bool] | None


def _parse_workbook(sheets: dict[str, _Rows], stand: str | None) -> _Parsed:
    """Parse every cell of the workbook at once (see the module docstring): the cells of one kind form
    one column, recognised in their usual shape, else parsed by the general parser, and cut back into
    the sheets' columns. Dates and texts are recognised in their UTF-8 bytes (numpy), yes/no, Ergebnis
    and Nr by comparison."""
    parts: dict[str, list[tuple[tuple[str, str], pl.Series]]] = {"date": [], "yesno": [], "choice": [],
                                                                  "text": [], "int": []}
    if stand is not None:
        parts["date"].append(((META_SHEET, "Stand"), _unit(stand, pl.String)))
    for name, rows in sheets.items():
        for c in rows.cols:
            parts[c.type].append(((name, c.field), rows.raw[c.field]))
    value: dict[tuple[str, str], pl.Series] = {}
    invalid: dict[tuple[str, str], pl.Series | None] = {}
    # texts and dates are recognised in their UTF-8 bytes: one column of both (texts first), in arrow's
    # layout once
    cells = _pool(parts["text"] + parts["date"])
    n_text = sum(part.len() for _, part in parts["text"])
    utf8 = _utf8(cells)
    # dates: every given cell a date cell of a calendar day -> its day (what the general parser makes
    # of it), else the general parser for all
    recognised, bad = _days_of_date_cells(utf8, n_text, cells.name), None
    if recognised is None:
        day, bad = _parse_dates(cells.slice(n_text))
        days = day.to_numpy()
        dated = ~np.isnat(days)
    else:
        day, days, dated = recognised
    _cut(parts["date"], day, bad, value, invalid)
    # the same days in numpy for the checks: views of one array (a sheet's date columns lie side by side)
    day_views, sheet_days = _views(parts["date"], days)
    dated_views, _ = _views(parts["date"], dated)
    _cut(parts["text"], cells if _trimmed(utf8, n_text) else cells.slice(0, n_text).str.strip_chars(), None,
         value, invalid)
    # ja/nein as on the form, else the general parser (a cast to the values leaves any other value null)
    answers = _pool(parts["yesno"])
    if answers.cast(_YESNO_ENUM, strict=False).null_count() == answers.null_count():
        yes, bad = answers == "ja", None
    else:
        yes, bad = parse_yesno(answers)
    _cut(parts["yesno"], yes, bad, value, invalid)
    answer_views, _ = _views(parts["yesno"], yes.cast(pl.Int8).to_numpy())
    # an Ergebnis as printed on the form, else the general parser
    choices = _pool(parts["choice"])
    if choices.cast(_ERGEBNIS_ENUM, strict=False).null_count() == choices.null_count():
        _cut(parts["choice"], choices, None, value, invalid)
    else:
        _cut(parts["choice"], *_parse_choice(choices), value, invalid)
    # a plain whole number, else the general parser
    numbers = _pool(parts["int"])
    whole = numbers.cast(pl.Int64, strict=False)
    given = numbers.len() - numbers.null_count()
    if (whole.cast(pl.String) == numbers).sum() == given and (not given or whole.min() >= 0):
        _cut(parts["int"], whole, None, value, invalid)
    else:
        _cut(parts["int"], *_parse_int(numbers), value, invalid)

    parsed_stand = None
    if stand is not None:
        bad = invalid.pop((META_SHEET, "Stand"))
        parsed_stand = value.pop((META_SHEET, "Stand"))[0], bad is not None and bool(bad[0])
    return _Parsed(value, invalid, day_views, sheet_days, dated_views, answer_views, parsed_stand)


def _views(parts: list[tuple[tuple[str, str], pl.Series]], pooled: np.ndarray
           ) -> tuple[dict[tuple[str, str], np.ndarray], dict[str, np.ndarray]]:
    """A pooled column in numpy cut back into its parts, as views: per (sheet, field), and per sheet all
    its parts together (a sheet's parts lie side by side)."""
    views, spans, offset = {}, {}, 0
    for (sheet, field_name), part in parts:
        n = part.len()
        views[(sheet, field_name)] = pooled[offset:offset + n]
        spans[sheet] = (spans[sheet][0] if sheet in spans else offset, offset + n)
        offset += n
    return views, {sheet: pooled[start:end] for sheet, (start, end) in spans.items()}


def _pool(parts: list[tuple[object, pl.Series]]) -> pl.Series:
    if len(parts) == 1:
        return parts[0][1]
    return pl.concat([s for _, s in parts]) if parts else pl.Series([], dtype=pl.String)


@dataclass
class _Utf8:
    """A text column in arrow's layout: the arrow array, the bounds of each value in the UTF-8 bytes
    (value ``i`` is ``raw[bounds[i]:bounds[i + 1]]``; a null has none) and the bytes ``raw``."""

    layout: pa.Array
    bounds: np.ndarray
    raw: np.ndarray


_LARGE_STRING = pa.large_string()


def _utf8(text: pl.Series) -> _Utf8:
    layout = text.to_arrow()
    if layout.type != _LARGE_STRING:
        layout = layout.cast(_LARGE_STRING)
    _, offsets, data = layout.buffers()
    bounds = np.frombuffer(offsets, np.int64, count=len(layout) + 1, offset=8 * layout.offset)
    return _Utf8(layout, bounds, np.zeros(0, np.uint8) if data is None else np.frombuffer(data, np.uint8))


def _days_of_date_cells(text: _Utf8, first: int, name: str) -> tuple[pl.Series, np.ndarray, np.ndarray] | None:
    """The days of date text (the values from ``first`` on) where every given value is a date cell as
    calamine spells it (``JJJJ-MM-TT hh:mm:ss``) of a calendar day from the year 1 on, else None (the
    general parser decides): as a polars column, in numpy (NaT where missing), and where there is one.
    A time of day does not change the day."""
    validity, n, at = text.layout.buffers()[0], len(text.layout) - first, text.layout.offset + first
    bounds = text.bounds[first:]
    given = (np.ones(n, bool) if validity is None else
             np.unpackbits(np.frombuffer(validity, np.uint8), count=at + n, bitorder="little")[at:].view(bool))
    if not (bounds[1:] - bounds[:-1] == given * _DATE_CELL.size).all():
        return None
    # every value has the length of a date cell (a null none): the values' bytes, one row per value, a
    # digit where the cell has one and its very separators elsewhere (a byte below '0' wraps around)
    cells = text.raw[bounds[0]:bounds[-1]].reshape(-1, _DATE_CELL.size)
    if not ((cells - _DATE_CELL) <= _DATE_SPAN).all():
        return None
    # JJJJ-MM-TT is ISO 8601: numpy reads it, and refuses a month or day that does not exist
    try:
        days = np.ascontiguousarray(cells[:, :10]).view("S10").ravel().astype("datetime64[D]")
    except ValueError:
        return None
    if (days < _DAY_ONE).any():
        return None
    # in numpy NaT where no value is given; in arrow's layout of dates the text's validity (its nulls)
    # over days since 1970
    missing = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    missing[given] = days
    out = np.zeros(at + n, np.int32)
    out[at:][given] = days.view(np.int64)
    day = pl.Series(name, pa.Array.from_buffers(pa.date32(), n, [validity, pa.py_buffer(out)], offset=at))
    return day, missing, given


def _trimmed(text: _Utf8, end: int) -> bool:
    """Whether no value (before ``end``) starts or ends with a blank, so that str.strip_chars would
    change nothing: the first and last byte of every value printable ASCII (anything else is left to
    str.strip_chars)."""
    start, stop = text.bounds[:end], text.bounds[1:end + 1]
    filled = stop > start  # a null has no bytes
    ends = np.concatenate([text.raw[start[filled]], text.raw[stop[filled] - 1]]) - 0x21
    return bool((ends < 0x7F - 0x20).all())


def _cut(parts: list[tuple[tuple[str, str], pl.Series]], value: pl.Series, invalid: pl.Series | None,
         values: dict, invalids: dict) -> None:
    """Cut a pooled column back into its parts (a single part may be the whole of it)."""
    if len(parts) == 1 and parts[0][1].len() == value.len():
        values[parts[0][0]], invalids[parts[0][0]] = value, invalid
        return
    offset = 0
    for key, part in parts:
        n = part.len()
        values[key] = value.slice(offset, n)
        invalids[key] = None if invalid is None else invalid.slice(offset, n)
        offset += n


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


def _day_text(d: date) -> str:
    """A parsed date as a problem shows it: TT.MM.JJJJ (the year always with four digits, as polars
    writes it)."""
    return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"


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


Values = Callable[[list[int]], list]
"""The values a problem shows, for the flagged rows (their indices in the sheet's rows)."""


class _Checks:
    """One data sheet after parsing, and the problems found in it. A check is a mask over the rows
    (numpy: a comparison with a missing date is false, as a filter in polars treats null); a problem
    is written for each flagged row, with the value it shows taken or formatted for that row only."""

    def __init__(self, form: Sheet, rows: _Rows, parsed: _Parsed, ctx: _Context):
        self.form, self.rows, self.parsed, self.ctx = form, rows, parsed, ctx
        self.sheet = rows.grid.name

    @cached_property
    def row_numbers(self) -> np.ndarray:
        """The spreadsheet row numbers (asked only where a problem is written)."""
        return self.rows.rows.to_numpy()

    def __getitem__(self, field_name: str) -> pl.Series:
        """The parsed column."""
        return self.parsed.value[(self.form.name, field_name)]

    def date(self, field_name: str) -> np.ndarray:
        """A parsed date column as days (NaT where missing)."""
        return self.parsed.days[(self.form.name, field_name)]

    def given(self, field_name: str) -> np.ndarray:
        """Where a date column has a date."""
        return self.parsed.dated[(self.form.name, field_name)]

    def answer(self, field_name: str) -> np.ndarray:
        """A parsed yes/no column as numbers: 1 ja, 0 nein, NaN where missing."""
        return self.parsed.answers[(self.form.name, field_name)]

    def missing(self, field_name: str) -> np.ndarray | None:
        """Where no value is found (None: found in every row). Where every value found was read (no
        invalid one), a date or yes/no is missing exactly where its parsed value is."""
        raw = self.rows.raw[field_name]
        if not raw.null_count():
            return None
        if self.parsed.invalid[(self.form.name, field_name)] is None:
            kind = _col(self.form, field_name).type
            if kind == "date":
                return ~self.given(field_name)
            if kind == "yesno":
                return np.isnan(self.answer(field_name))
        return _is_null(raw)

    def as_found(self, field_name: str) -> Values:
        raw = self.rows.raw[field_name]
        return lambda flagged: [raw[i] for i in flagged]

    def shown(self, field_name: str) -> Values:
        """The column as the user sees it: a parsed date as TT.MM.JJJJ, other values as found."""
        if _col(self.form, field_name).type != "date":
            return self.as_found(field_name)
        parsed, raw = self[field_name], self.rows.raw[field_name]
        return lambda flagged: [raw[i] if (d := parsed[i]) is None else _day_text(d) for i in flagged]

    def days(self, field_name: str, flagged: list[int]) -> list[str]:
        """A parsed date column as TT.MM.JJJJ in the flagged rows (each has a date)."""
        parsed = self[field_name]
        return [_day_text(parsed[i]) for i in flagged]

    def flag(self, severity: Severity, mask: np.ndarray | None, message: str, expected: str, column: Column,
             values: Values) -> None:
        """One problem per row where ``mask`` is true, showing ``values`` of those rows."""
        if mask is None or not mask.any():
            return
        flagged = mask.nonzero()[0]
        self.rows_problem(severity, self.row_numbers[flagged], values(flagged.tolist()), message, expected, column)

    def rows_problem(self, severity: Severity, rows: np.ndarray, values: list, message: str, expected: str,
                     column: Column) -> None:
        for row, value in zip(rows.tolist(), values):  # one turn per problem, not per row
            self.ctx.problems.add(severity, message, expected=expected, sheet=self.sheet, row=row,
                                  column=column.header, value=value)


_INVALID = {"date": ("Ungültiges Datum.", DATE_EXPECTED), "yesno": ("Ungültige Ja/Nein-Angabe.", YESNO_EXPECTED),
            "int": ("Keine ganze Zahl.", "eine ganze Zahl")}


def _check_values(ch: _Checks) -> None:
    """Invalid values and empty required values are errors, column by column."""
    for c, invalid_problem, required_expected in _value_checks(ch.form.name):
        if invalid_problem is not None:
            invalid = ch.parsed.invalid[(ch.form.name, c.field)]
            if invalid is not None:
                ch.flag(FEHLER, _true(invalid), *invalid_problem, c, ch.as_found(c.field))
        if required_expected is not None and c.field in ch.rows.found:  # a missing column: reported once
            ch.flag(FEHLER, ch.missing(c.field), "Pflichtangabe fehlt.", required_expected, c, ch.as_found(c.field))


@cache
def _value_checks(form: str) -> tuple[tuple[Column, tuple[str, str] | None, str | None], ...]:
    """Per column of the form's sheet ``form``: the problem (message, expected) of a value that cannot
    be read (None for text), and what an empty required value is expected to be (None if not required)."""
    return tuple((c, None if c.type == "text" else _INVALID.get(c.type) or (
                      "Unzulässiger Wert.", "einer der Werte " + ", ".join(f"'{v}'" for v in c.choices)),
                  f"einen Wert in der Spalte '{c.header}'" if c.required else None)
                 for c in _FORM_COLUMNS[form])


def _check_future(ch: _Checks) -> None:
    today = _day(ch.ctx.today)
    if not (ch.parsed.sheet_days[ch.form.name] > today).any():  # all date columns of the sheet at once
        return
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
            lambda flagged: [f"{day} (Eingang: {arrival})"
                             for day, arrival in zip(ch.days(field_name, flagged), ch.days(reference, flagged))])


def _check_case_sheet(ch: _Checks) -> None:
    """Rules shared by both case sheets: Fall-ID, arrival vs. Meta quarter, letter dates, future dates."""
    ctx, s = ch.ctx, ch.form
    fall, arrival_field = _col(s, "fall_id"), s.columns[1].field
    arrival = _col(s, arrival_field)
    ids = ch["fall_id"]

    def same_as(flagged: list[int]) -> list[str]:
        first = pl.DataFrame([ch.rows.rows.alias("r"), ids.alias("i")]).select(
            pl.col("r").min().over("i")).to_series()
        return [f"wie in Zeile {first[i]}" for i in flagged]

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
        # the first and last arrival settle most of it: rows are flagged only where one is out of bounds
        known = arrived[ch.given(arrival_field)]
        first, last = (known.min(), known.max()) if known.size else (None, None)
        q_start, q_end = _day(start), _day(end)
        if last is not None and last > q_end:
            ch.flag(FEHLER, arrived > q_end,
                    f"Der Eingang liegt nach dem Ende des im Blatt {META_SHEET} gemeldeten Quartals ({quarter}); "
                    f"Blatt {META_SHEET} und Eingangsdaten widersprechen sich.",
                    f"ein Eingang bis zum {_fmt(end)} (frühere Quartale sind als Nachträge erlaubt)", arrival,
                    ch.shown(arrival_field))
        if first is not None and first < _day(oldest):
            ch.flag(FEHLER, arrived < _day(oldest),
                    f"Der Eingang liegt mehr als {years_back} Jahre vor dem gemeldeten Quartal ({quarter}); "
                    f"vermutlich ein Tippfehler oder ein falsches Quartal im Blatt {META_SHEET}.",
                    f"ein Eingang zwischen {_fmt(oldest)} und {_fmt(end)}", arrival, ch.shown(arrival_field))
        if last is not None and not (q_start <= last <= q_end or
                                     (last > q_end and ((known >= q_start) & (known <= q_end)).any())):
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
    counted = (pairs & (arrived >= day_zero) & (letter <= _day(date(last_year, 12, 31)))).nonzero()[0]
    zero = day_zero.astype(np.int64)  # the calendar's first day, in days since 1970 (as a date's int64 view)
    days = number[letter[counted].view(np.int64) - zero] - number[arrived[counted].view(np.int64) - zero]
    limit = rules["versand_spaet_arbeitstage"]
    late = days > limit
    if not late.any():
        return
    flagged = counted[late]
    ch.rows_problem(WARNUNG, ch.row_numbers[flagged],
                    [f"{day} ({n} Arbeitstage nach Eingang)"
                     for day, n in zip(ch.days("versand_anschreiben", flagged.tolist()), days[late].tolist())],
                    f"Das Anschreiben wurde mehr als {limit} Arbeitstage nach dem Eingang der Mitteilung versandt.",
                    f"ein Versand höchstens {limit} Arbeitstage nach dem Eingang (bitte Datum prüfen)",
                    _col(ch.form, "versand_anschreiben"))


def _check_raeumungsklagen(ch: _Checks) -> None:
    s = ch.form
    _check_case_sheet(ch)
    for field_name, what in (("hausbesuch_1", "Hausbesuch 1"), ("hausbesuch_2", "Hausbesuch 2")):
        _check_not_before(ch, field_name, "eingang_mitteilung", f"Der {what}")
    ch.flag(FEHLER, ch.date("hausbesuch_2") < ch.date("hausbesuch_1"), "Hausbesuch 2 liegt vor Hausbesuch 1.",
            "ein Datum am oder nach Hausbesuch 1", _col(s, "hausbesuch_2"),
            lambda flagged: [f"{second} (Hausbesuch 1: {first})" for second, first
                             in zip(ch.days("hausbesuch_2", flagged), ch.days("hausbesuch_1", flagged))])
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
    present = ch.answer("anwesenheit_fachstelle") == 1
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
    found = set(nr.to_list())  # a handful of numbers: an unknown or repeated one is seen in them at once
    if found - {None} - _STANDARD_SET:
        values = nr.to_numpy().astype(np.float64, copy=False)  # a missing number is NaN
        ch.flag(FEHLER, ~np.isnan(values) & ~np.isin(values, numbers),
                "Diese Nummer gibt es unter den Zugangsstandards nicht.", expected, nr_col, ch.as_found("nr"))
    if len(found - {None}) < nr.len() - nr.null_count():
        ch.flag(FEHLER, _repeated(nr), "Der Standard kommt mehrfach vor.", expected, nr_col, ch.as_found("nr"))
    for n in sorted(set(numbers) - found):
        ch.ctx.problems.error(f"Zugangsstandard Nr. {n} fehlt.", sheet=ch.sheet, column=nr_col.header,
                              expected=expected)


_SHEET_CHECKS = {RAEUMUNGSKLAGEN.name: _check_raeumungsklagen, ZWANGSRAEUMUNGEN.name: _check_zwangsraeumungen,
                 ZUGANG.name: _check_zugang}


# --- Meta ----------------------------------------------------------------------------------------

_NO_META = {"bezirk_nr": None, "year": None, "quarter": None, "formularversion": None, "stand": None,
            "kontakt": None}
_META_KNOWN = {normalise_header(name): (name, required) for name, required, _ in META_FIELDS}
_META_NAMES = "einer der Feldnamen " + ", ".join(n for n, _, _ in META_FIELDS)


@dataclass
class _MetaRows:
    """The Feld | Wert rows of Meta with a value in either cell: (spreadsheet row, Feld, Wert)."""

    sheet: str
    rows: list[tuple[int, str | None, str | None]]


def _meta_rows(grid: _Grid, problems: Problems) -> _MetaRows | None:
    """The Feld | Wert rows of Meta, or None where a column is missing (reported). Meta is a handful of
    rows checked one by one, so they are taken as Python values at once."""
    found = _match_columns(grid, META_SHEET, problems)
    if set(found) != {"feld", "wert"}:
        return None
    feld, wert = grid.data[found["feld"]], grid.data[found["wert"]]
    return _MetaRows(grid.name, [(row, f, w) for row, f, w in zip(count(grid.header_row + 1), feld, wert)
                                 if f is not None or w is not None])


@dataclass
class _Meta:
    """The Meta fields as read; ``stand`` (row, text) is checked once the dates are parsed."""

    row: dict
    stand: tuple[int, str] | None = None


def _read_meta(meta: _MetaRows | None, ctx: _Context) -> _Meta:
    """Check the Meta fields but Stand, return the meta row."""
    if meta is None:  # a column is missing (already reported): the fields cannot be read
        return _Meta(dict(_NO_META))
    p, sheet = ctx.problems, meta.sheet
    values: dict[str, tuple[int, str | None]] = {}
    keys = _meta_keys(tuple(feld for _, feld, _ in meta.rows))
    for (row, feld, wert), key in zip(meta.rows, keys):  # a handful of rows
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
        value = int(float(text)) if text is not None and _INT_RE.match(text) else None
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

def _workbook_source(path: Path) -> bytes | Path:
    """The workbook's bytes, read at once: calamine then unzips and parses them in memory, without the
    many small reads and seeks of a file. Where the file cannot be read so, the path itself (fastexcel
    then fails on it, as it would have)."""
    try:
        return _file_bytes(path)
    except OSError:
        return path


def _why_unreadable(path: Path, exc: Exception) -> str:
    """Why the workbook could not be opened: an empty file has its own report, and a file that cannot
    even be looked at the error of that (asked only once opening failed: a readable file needs no stat)."""
    try:
        if Path(path).stat().st_size == 0:
            return "sie ist leer (0 Bytes)."
    except Exception as stat_exc:  # noqa: BLE001
        exc = stat_exc
    return f"keine gültige oder eine beschädigte Excel-Datei ({type(exc).__name__})."


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
        reader = fastexcel.read_excel(_workbook_source(path))
        sheet_names = list(reader.sheet_names)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a rejection, never a crash
        _unreadable(problems, _why_unreadable(path, exc))
        return result

    by_key = {_header_key(n): n for n in sheet_names}
    grids: dict[str, _Grid] = {}
    for name in sheet_names:
        form_sheet = _FORM_SHEET.get(_header_key(name))
        try:
            # other sheets are only looked at for personal-data headers (in their first 100 rows)
            grid = (_load_meta_grid(reader, name) if form_sheet == META_SHEET else
                    _load_grid(reader, name) if form_sheet else _load_headers(reader, name))
        except Exception as exc:  # noqa: BLE001
            problems.error(f"Das Blatt kann nicht gelesen werden ({type(exc).__name__}).", sheet=name,
                           expected="ein lesbares Tabellenblatt")
            continue
        for header, term in _personal_headers(grid.headers):
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
            found = _match_columns(grid, sheet.name, column_problems[sheet.name])
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
        grid = _load_meta_grid(reader, name)
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


# the column types the parsers give each type of form column (the recognition above and the general
# parsers alike); a raw table storing a form column otherwise gets it cast (tests compare the tables'
# types with the raw layer's)
_PARSED_TYPES = {"text": pl.String, "choice": pl.String, "date": pl.Date, "yesno": pl.Boolean, "int": pl.Int64}


@cache
def _casts(sheet: str) -> dict[str, pl.DataType]:
    """The columns of a data sheet's raw table that are cast from their parsed type (Zugang's Nr)."""
    schema = _raw_schema(next(s.table for s in DATA_SHEETS if s.name == sheet))
    return {c.field: schema[c.field] for c in _FORM_COLUMNS[sheet] if schema[c.field] is not _PARSED_TYPES[c.type]}


def _build_tables(meta: dict, sheets: dict[str, _Rows], parsed: _Parsed) -> dict[str, pl.DataFrame]:
    """The raw tables, from the parsed columns (the case sheets with their trimmed Fall-IDs). The frames
    name their columns themselves (``schema=`` names)."""
    meta_schema = _raw_schema("erhebungsbogen_meta")
    tables = {"erhebungsbogen_meta": pl.DataFrame([_unit(meta[c], t) for c, t in meta_schema.items()],
                                                  schema=list(meta_schema))}
    for sheet in DATA_SHEETS:
        n, schema = sheets[sheet.name].height, _raw_schema(sheet.table)
        columns = {"bezirk_nr": _repeat(meta["bezirk_nr"], pl.String, n), "year": _repeat(meta["year"], pl.Int32, n),
                   "quarter": _repeat(meta["quarter"], pl.Int32, n), "source_row": sheets[sheet.name].rows}
        for c in schema:
            if c not in columns:
                columns[c] = parsed.value[(sheet.name, c)]
        for c, dtype in _casts(sheet.name).items():
            columns[c] = columns[c].cast(dtype)
        tables[sheet.table] = pl.DataFrame([columns[c] for c in schema], schema=list(schema))
    return tables
