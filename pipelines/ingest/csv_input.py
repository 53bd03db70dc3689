"""Shared reading of the CSV inputs (KLR exports, historical case volumes), INPUTS.md "General tolerances".

Bytes are decoded strictly: UTF-8 (a BOM is removed), otherwise Windows-1252 with a Hinweis naming
the detected encoding; bytes that are neither are a Fehler. The text is parsed with polars
(separator ``;``, every value as text), the header is checked against the expected columns (trimmed,
case-insensitive, free order; extra columns are a Warnung, missing ones a Fehler) and every data row
carries ``_row``, its CSV line number (header = line 1). Blank lines are dropped.

The row-level helpers here (required values, duplicate keys, shaping into a raw table) are shared
by the readers in ``klr.py`` and ``fallzahlen.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import polars as pl

from pipelines.common.parsing import normalise_header
from pipelines.common.problems import Problems
from pipelines.ingest.raw_tables import DDL, columns

SEPARATOR = ";"
ROW = "_row"
_BOM = b"\xef\xbb\xbf"
# polars dtypes of the DDL types used in the raw tables
_DDL_TYPES = {"VARCHAR": pl.String, "INTEGER": pl.Int32, "BIGINT": pl.Int64, "DOUBLE": pl.Float64,
              "DATE": pl.Date, "BOOLEAN": pl.Boolean, "TIMESTAMP": pl.Datetime("us")}


@dataclass(frozen=True)
class CsvColumn:
    header: str           # as written in INPUTS.md
    required: bool = True  # a value is required in every data row


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def decode_csv(data: bytes, problems: Problems) -> str | None:
    """The file's text, or None (with a Fehler) if it is empty or not text in a permitted encoding."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
        bom = True
    else:
        bom = False
    if not data.strip():
        problems.error("Die Datei ist leer.", expected="eine Kopfzeile und Datenzeilen, getrennt durch ';'")
        return None
    if b"\x00" in data:
        problems.error(
            "Die Datei enthält Null-Bytes: sie ist keine Textdatei in UTF-8 oder Windows-1252 "
            "(vielleicht UTF-16 oder eine umbenannte Excel-Datei).",
            row=_line_of(data, data.index(b"\x00")),
            expected="CSV-Text in UTF-8 (mit oder ohne BOM) oder Windows-1252, Trennzeichen ';'")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        if bom:
            problems.error(
                "Die Datei beginnt mit einer UTF-8-Kennung (BOM), enthält aber Bytes, die kein gültiges "
                "UTF-8 sind.", row=_line_of(data, utf8_error.start),
                value=f"0x{data[utf8_error.start]:02X}", expected="durchgehend UTF-8-kodierter Text")
            return None
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as cp_error:
        problems.error(
            "Die Zeichenkodierung ist weder UTF-8 noch Windows-1252: das Byte ist in beiden nicht "
            "definiert.", row=_line_of(data, cp_error.start), value=f"0x{data[cp_error.start]:02X}",
            expected="CSV-Text in UTF-8 (mit oder ohne BOM) oder Windows-1252")
        return None
    problems.note("Die Datei ist nicht UTF-8-kodiert; erkannte Zeichenkodierung: Windows-1252. "
                  "Sie wurde entsprechend gelesen.")
    return text


def _record_lines(text: str) -> pl.Series:
    """CSV line number at which each record starts: a line continues the previous record while an
    odd number of quote characters has been seen before it (a quoted field spanning lines)."""
    lines = pl.Series("line", text.split("\n"))
    if text.endswith("\n"):
        lines = lines.head(lines.len() - 1)
    quotes = lines.str.count_matches('"', literal=True)
    before = quotes.cum_sum() - quotes
    starts = (before % 2 == 0)
    return pl.Series(ROW, range(1, lines.len() + 1), pl.Int64).filter(starts)


def _ragged_lines(text: str, n_fields: int) -> list[int]:
    """Lines (without quote characters) holding more fields than the header."""
    lines = pl.DataFrame({"line": text.split("\n")}).with_row_index(ROW, offset=1)
    return (lines.filter(~pl.col("line").str.contains('"', literal=True)
                         & (pl.col("line").str.count_matches(SEPARATOR, literal=True) >= n_fields))
            [ROW].to_list())


def read_csv_rows(path: Path, problems: Problems, expected: Sequence[CsvColumn]) -> pl.DataFrame | None:
    """Decode, parse and header-check one CSV file.

    Returns one String column per expected column (named by its ``header``; trimmed, empty = null)
    plus ``_row``; None if the file cannot be used (the Fehler are in ``problems``).
    """
    text = decode_csv(path.read_bytes(), problems)
    if text is None:
        return None
    expected_text = SEPARATOR.join(c.header for c in expected)
    try:
        grid = pl.read_csv(text.encode("utf-8"), separator=SEPARATOR, has_header=False, infer_schema=False)
    except pl.exceptions.PolarsError:
        header_fields = text.split("\n", 1)[0].count(SEPARATOR) + 1
        ragged = _ragged_lines(text, header_fields)
        for line in ragged:
            problems.error(f"Die Zeile hat mehr Felder als die Kopfzeile ({header_fields}).", row=line,
                           expected=f"höchstens {header_fields} durch ';' getrennte Felder je Zeile")
        if not ragged:
            problems.error("Die Datei lässt sich nicht als CSV mit Trennzeichen ';' lesen.",
                           expected=f"Kopfzeile {expected_text}")
        return None
    starts = _record_lines(text)
    if starts.len() != grid.height:
        problems.error("Die Datei lässt sich nicht eindeutig in Zeilen zerlegen (Anführungszeichen nicht "
                       "geschlossen?).", expected="paarweise Anführungszeichen um Werte mit ';'")
        return None
    grid = grid.with_columns(starts)

    header = [str(v or "").strip() for v in grid.row(0)[:-1]]
    if not header_ok(header, expected, problems, expected_text):
        return None
    by_name = {normalise_header(h): i for i, h in enumerate(header)}
    raw_names = grid.columns
    rows = grid.slice(1).select(
        *[pl.col(raw_names[by_name[normalise_header(c.header)]]).str.strip_chars().alias(c.header)
          for c in expected],
        pl.col(ROW),
    )
    rows = rows.with_columns(pl.when(pl.col(c.header) != "").then(pl.col(c.header)).alias(c.header)
                             for c in expected)
    # blank lines (all fields empty, also in extra columns) are not data rows
    all_fields = grid.slice(1).select(pl.exclude(ROW).str.strip_chars())
    blank = all_fields.select(pl.all_horizontal((pl.all() == "").fill_null(True))).to_series()
    return rows.filter(~blank)


def header_ok(header: list[str], expected: Sequence[CsvColumn], problems: Problems, expected_text: str) -> bool:
    """Check the header line (line 1). Missing or doubled expected columns are Fehler, others Warnung."""
    if not any(header):
        problems.error("Zeile 1 ist leer; sie muss die Spaltenüberschriften enthalten.", row=1,
                       expected=expected_text)
        return False
    if len(header) == 1 and any(sep in header[0] for sep in (",", "\t")):
        problems.error("Die Spalten sind nicht durch ';' getrennt.", row=1, value=header[0],
                       expected=f"Trennzeichen ';', Kopfzeile {expected_text}")
        return False
    wanted = {normalise_header(c.header): c.header for c in expected}
    seen: dict[str, int] = {}
    for h in header:
        seen[normalise_header(h)] = seen.get(normalise_header(h), 0) + 1
    ok = True
    for key, name in wanted.items():
        if key not in seen:
            problems.error("Pflichtspalte fehlt in der Kopfzeile.", row=1, column=name,
                           expected=f"Kopfzeile {expected_text} (Reihenfolge frei)")
            ok = False
        elif seen[key] > 1:
            problems.error(f"Spalte kommt {seen[key]}-mal in der Kopfzeile vor.", row=1, column=name,
                           expected="jede Spalte genau einmal")
            ok = False
    for h in header:
        if normalise_header(h) not in wanted:
            problems.warning("Unbekannte Spalte wird ignoriert.", row=1, column=h or "(ohne Überschrift)",
                             expected=f"nur die Spalten {expected_text}")
    return ok


def check_required(rows: pl.DataFrame, expected: Sequence[CsvColumn], problems: Problems) -> None:
    """A Fehler for every empty value in a required column."""
    for c in expected:
        if c.required:
            problems.add_rows("Fehler", rows.filter(pl.col(c.header).is_null()),
                              message="Pflichtangabe fehlt.", expected="ein Wert (Pflichtangabe)",
                              sheet=None, column=c.header)


def check_duplicate_keys(rows: pl.DataFrame, key: Sequence[str], problems: Problems, label: str) -> None:
    """One Fehler per key (columns ``key`` of ``rows``) that occurs in more than one row, naming all rows.
    Rows with an empty key part are left to the required-value check."""
    dups = (rows.drop_nulls(list(key)).group_by(list(key))
            .agg(pl.col(ROW).sort().alias("rows"))
            .filter(pl.col("rows").list.len() > 1)
            .sort(pl.col("rows").list.first()))
    for record in dups.iter_rows(named=True):
        where = ", ".join(f"{k} {record[k]}" for k in key)
        lines = ", ".join(str(r) for r in record["rows"])
        problems.error(f"Doppelte Zeile für {where}: kommt in den Zeilen {lines} vor.",
                       row=record["rows"][1], column=" / ".join(key),
                       expected=f"je {label} genau eine Zeile")


def format_rows(rows: Sequence[int], limit: int = 20) -> str:
    """``3, 5, 9`` – long lists shortened with the total count."""
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown if len(rows) <= limit else f"{shown} … (insgesamt {len(rows)})"


def format_number(value: float | None, decimals: int = 2) -> str:
    """German number text: 1234.5 -> ``1.234,50``."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def to_raw(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """The columns of ``raw.<table>`` except ``file_id``, in contract order and with its types."""
    types = {}
    for line in DDL[table].strip().splitlines():
        line = line.split("--")[0].strip()
        if line:
            name, ddl_type = line.split()[:2]
            types[name.strip('"')] = _DDL_TYPES[ddl_type.rstrip(",")]
    cols = [c for c in columns(table) if c != "file_id"]
    return frame.select(pl.col(c).cast(types[c]) for c in cols)


def name_year(display_name: str) -> int | None:
    """The single four-digit year in a file name (``klr_mengen_2019.csv`` -> 2019), else None."""
    years = re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", Path(display_name).name)
    return int(years[0]) if len(set(years)) == 1 else None
