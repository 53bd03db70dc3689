"""Vectorised parsing of hand-filled values, with the tolerances of INPUTS.md.

Each ``parse_*`` takes a polars Series of any dtype (as read from a workbook or CSV) and returns
``(parsed, invalid)``: the parsed Series (null where empty or invalid) and a boolean Series that is
true where a value was given but could not be parsed. Callers turn ``invalid`` rows into problems.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import polars as pl

from pipelines.common.bezirke import BEZIRKE

DATE_EXPECTED = "ein Datum (Zellformat Datum, TT.MM.JJJJ oder JJJJ-MM-TT)"
YESNO_EXPECTED = "'ja', 'nein', 'x' (= ja) oder leer"
BEZIRK_EXPECTED = "Bezirksnummer 01–12 (auch 1–12) oder der amtliche Name eines der 12 Bezirke"
NUMBER_EXPECTED = "eine Zahl im deutschen Format (z. B. 1.234,56)"


def _as_text(s: pl.Series) -> pl.Series:
    """Text with surrounding blanks removed; empty text becomes null."""
    t = s.cast(pl.String, strict=False).str.strip_chars()
    return t.set(t == "", None) if t.len() else t


def _text_expr(text: pl.Expr) -> pl.Expr:
    """``_as_text`` inside a query: blanks removed, empty text null."""
    return pl.when(text.str.strip_chars() != "").then(text.str.strip_chars())


def _false(s: pl.Series) -> pl.Series:
    return pl.Series(s.name, [False] * s.len(), pl.Boolean)


_DATE_MIDNIGHT = r"^(\S+)[ T]00:00(:00(\.0+)?)?$"
_DATE_GERMAN = r"^\d{1,2}\.\d{1,2}\.\d{4}$"
_DATE_ISO = r"^\d{4}-\d{2}-\d{2}$"


def parse_date_text(s: pl.Series, clean: Callable[[pl.Expr], pl.Expr] | None = None) -> tuple[pl.Series, pl.Series]:
    """:func:`parse_date` of a text column in one query, each step computed once; ``clean`` first
    rewrites the text (the reader of a workbook turns a date cell with a time of day into the day)."""
    v = pl.col("v") if clean is None else clean(pl.col("v"))
    t = pl.col("t")
    out = (
        s.cast(pl.String, strict=False).alias("v").to_frame().lazy()
        .select(v.alias("v"))
        # a date cell read as text may carry a midnight time part
        .select(_text_expr(pl.col("v")).str.replace(_DATE_MIDNIGHT, "$1").alias("t"),
                (pl.col("v").str.strip_chars().fill_null("") != "").alias("given"))
        # strptime is lenient about some single-digit forms; insist on the documented shapes
        .select(pl.coalesce(
            pl.when(t.str.contains(_DATE_GERMAN)).then(t.str.strptime(pl.Date, "%d.%m.%Y", strict=False)),
            pl.when(t.str.contains(_DATE_ISO)).then(t.str.strptime(pl.Date, "%Y-%m-%d", strict=False))).alias("p"),
            "given")
        # the year 0 parses but is no calendar date (and no Python date): invalid like any other
        .select(pl.when(pl.col("p").dt.year() >= 1).then(pl.col("p")).alias("p"), "given")
        .select("p", (pl.col("given") & pl.col("p").is_null()).alias("i"))
        .collect()
    )
    return out.get_column("p").alias(s.name), out.get_column("i").alias(s.name)


def parse_date(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Real spreadsheet dates, ``TT.MM.JJJJ`` or ``JJJJ-MM-TT`` (also with a 00:00:00 time part)."""
    if s.dtype == pl.Date:
        return s, _false(s)
    if isinstance(s.dtype, pl.Datetime):
        return s.dt.date(), _false(s)
    parsed, invalid = parse_date_text(s)
    if s.dtype != pl.String:  # a value is given where the cell is not empty
        invalid = s.is_not_null() & parsed.is_null()
    return parsed, invalid.alias(s.name)


_YES = ["ja", "x"]
_NO = ["nein"]


def parse_yesno(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``ja``/``nein`` in any case, ``x`` = ja, empty = not given (null)."""
    if s.dtype == pl.Boolean:
        return s, _false(s)
    t = pl.col("t")
    out = (
        s.cast(pl.String, strict=False).alias("v").to_frame().lazy()
        .select(_text_expr(pl.col("v")).str.to_lowercase().alias("t"))
        .select(pl.when(t.is_in(_YES)).then(True).when(t.is_in(_NO)).then(False).otherwise(None).alias("p"),
                t.is_not_null().alias("given"))
        .select("p", (pl.col("given") & pl.col("p").is_null()).alias("i"))
        .collect()
    )
    return out.get_column("p").alias(s.name), out.get_column("i").alias(s.name)


def _normalise_name(name: str) -> str:
    n = unicodedata.normalize("NFKC", name).casefold().strip()
    n = n.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return re.sub(r"[\s\-–_]+", "-", n)


_BEZIRK_LOOKUP: dict[str, str] = {}
for _nr, _name in BEZIRKE.items():
    _BEZIRK_LOOKUP[_nr] = _nr
    _BEZIRK_LOOKUP[str(int(_nr))] = _nr
    _BEZIRK_LOOKUP[_normalise_name(_name)] = _nr


def normalise_bezirk(value: object) -> str | None:
    """One district value (number or official name) → ``'01'``…``'12'``, or None if unknown."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return _BEZIRK_LOOKUP.get(text) or _BEZIRK_LOOKUP.get(_normalise_name(text))


def parse_bezirk(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Vectorised over the distinct values (a handful), mapped back with a join-like replace."""
    t = _as_text(s)
    mapping = {v: normalise_bezirk(v) for v in t.drop_nulls().unique().to_list()}
    parsed = t.replace_strict(mapping, default=None, return_dtype=pl.String).alias(s.name)
    invalid = (t.is_not_null() & parsed.is_null()).alias(s.name)
    return parsed, invalid


def parse_german_number(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``1.234,56`` → 1234.56, ``-0,50`` → -0.5, empty → null. A plain ``1234`` or ``12,5`` is fine;
    a dot used as decimal separator (``12.5``) is ambiguous and rejected."""
    if s.dtype.is_numeric():
        return s.cast(pl.Float64), pl.Series(s.name, [False] * s.len(), pl.Boolean)
    t = _as_text(s).str.replace_all(r"[\s\u00a0]", "")
    shape_ok = t.str.contains(r"^[-+]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$").fill_null(False)
    parsed = (
        t.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
        .cast(pl.Float64, strict=False)
    )
    parsed = parsed.set(~shape_ok, None).alias(s.name)
    invalid = (t.is_not_null() & parsed.is_null()).alias(s.name)
    return parsed, invalid


def normalise_header(name: object) -> str:
    """Header cells are compared after trimming blanks and ignoring case."""
    return re.sub(r"\s+", " ", str(name or "")).strip().casefold()
