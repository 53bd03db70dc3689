"""German CSV output for the demo exports (``;``, decimal comma, thousands dots), vectorised in
polars, and writing in a chosen encoding (``cp1252``, ``utf-8-sig`` = with BOM, ``utf-8``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl


def _thousands(digits: pl.Expr) -> pl.Expr:
    """'1234567' -> '1.234.567' (groups of three from the right)."""
    return (digits.str.reverse().str.replace_all(r"(\d{3})", "$1.").str.reverse()
            .str.strip_chars_start("."))


def german_int(value: pl.Expr) -> pl.Expr:
    """Whole number with thousands dots; null stays empty."""
    return _thousands(value.cast(pl.Int64).cast(pl.String))


def german_fixed(hundredths: pl.Expr) -> pl.Expr:
    """An amount given in hundredths (cents, VZÄ/100) as '1.234,56'; null stays empty."""
    h = hundredths.cast(pl.Int64)
    return _thousands((h // 100).cast(pl.String)) + "," + (h % 100).cast(pl.String).str.zfill(2)


def write_csv(path: Path, frame: pl.DataFrame, encoding: str) -> Path:
    """Write a frame of text columns as ``;``-separated lines; Windows-1252 files get CRLF line ends
    (as exported on Windows), the others LF. Values must not contain ``;`` or line breaks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    newline = "\r\n" if encoding == "cp1252" else "\n"
    bad = [c for c in frame.columns if frame[c].str.contains(r"[;\r\n]").any()]
    if bad:
        raise ValueError(f"{path.name}: Spalten {bad} enthalten ';' oder Zeilenumbrüche")
    lines = frame.select(pl.concat_str([pl.col(c).fill_null("") for c in frame.columns], separator=";"))
    text = newline.join([";".join(frame.columns), *lines.to_series().to_list()]) + newline
    path.write_bytes(text.encode(encoding))
    return path
