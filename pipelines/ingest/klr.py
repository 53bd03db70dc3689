"""Reader for the annual KLR exports (INPUTS.md §2): ``klr_mengen_*.csv``, ``klr_kosten_*.csv``,
``klr_stellen_*.csv``, each with one or all districts.

Decisions beyond the contract:
- Only ``Produktbezeichnung``, ``Bezugsgroesse``, ``Kostenstellenbezeichnung`` and ``Budget`` may be
  empty; every other value is required.
- ``Menge``, ``Budget`` and ``Stellenanteile`` must be >= 0. Cost parts (``Kosten``, ``Personalkosten``,
  ``Sachkosten``, ``Umlagen``) may be negative, because cost accounting books corrections
  (Stornos, Umlagekorrekturen); a negative ``Kosten`` total is accepted with a Warnung.
- A year in the file name (``klr_mengen_2019.csv``) binds every row; a file without one may hold
  several years (a Hinweis lists them).
- ``Wertigkeit`` is normalised to ``<Laufbahn> <Stufe>`` (``e9b`` -> ``E 9b``, ``A11`` -> ``A 11``).
- A file with a header but no data rows is accepted with a Warnung and loads nothing.
- A rejected file (any Fehler) returns no rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from pipelines.common.bezirke import PRODUKTE
from pipelines.common.parsing import BEZIRK_EXPECTED, NUMBER_EXPECTED, parse_bezirk, parse_german_number
from pipelines.common.problems import FEHLER, WARNUNG, Problems
from pipelines.ingest.csv_input import (
    ROW, CsvColumn, check_duplicate_keys, check_required, format_number, format_rows, name_year,
    read_csv_rows, to_raw)
from pipelines.ingest.raw_tables import columns
from pipelines.ingest.read_result import ReadResult

_KEY = (CsvColumn("Jahr"), CsvColumn("Bezirk"), CsvColumn("Produkt"))
EXPECTED: dict[str, tuple[CsvColumn, ...]] = {
    "klr_mengen": _KEY + (CsvColumn("Produktbezeichnung", False), CsvColumn("Bezugsgroesse", False),
                          CsvColumn("Menge"), CsvColumn("Budget", False)),
    "klr_kosten": _KEY + (CsvColumn("Kostenstelle"), CsvColumn("Kostenstellenbezeichnung", False),
                          CsvColumn("Kosten"), CsvColumn("Personalkosten"), CsvColumn("Sachkosten"),
                          CsvColumn("Umlagen")),
    "klr_stellen": _KEY + (CsvColumn("Kostenstelle"), CsvColumn("Wertigkeit"), CsvColumn("Stellenanteile")),
}
# grain of each file: header -> warehouse column
GRAIN: dict[str, dict[str, str]] = {
    "klr_mengen": {"Jahr": "year", "Bezirk": "bezirk_nr", "Produkt": "product"},
    "klr_kosten": {"Jahr": "year", "Bezirk": "bezirk_nr", "Produkt": "product", "Kostenstelle": "kostenstelle"},
    "klr_stellen": {"Jahr": "year", "Bezirk": "bezirk_nr", "Produkt": "product", "Kostenstelle": "kostenstelle",
                    "Wertigkeit": "wertigkeit"},
}
GRAIN_LABEL = {"klr_mengen": "Jahr, Bezirk und Produkt",
               "klr_kosten": "Jahr, Bezirk, Produkt und Kostenstelle",
               "klr_stellen": "Jahr, Bezirk, Produkt, Kostenstelle und Wertigkeit"}
# amounts: header -> (warehouse column, must be >= 0)
NUMBERS: dict[str, dict[str, tuple[str, bool]]] = {
    "klr_mengen": {"Menge": ("menge", True), "Budget": ("budget_eur", True)},
    "klr_kosten": {"Kosten": ("kosten_eur", False), "Personalkosten": ("personalkosten_eur", False),
                   "Sachkosten": ("sachkosten_eur", False), "Umlagen": ("umlagen_eur", False)},
    "klr_stellen": {"Stellenanteile": ("stellenanteile_vza", True)},
}
TEXTS: dict[str, dict[str, str]] = {
    "klr_mengen": {"Produktbezeichnung": "produktbezeichnung", "Bezugsgroesse": "bezugsgroesse"},
    "klr_kosten": {"Kostenstelle": "kostenstelle", "Kostenstellenbezeichnung": "kostenstellenbezeichnung"},
    "klr_stellen": {"Kostenstelle": "kostenstelle"},
}
CENT = 0.01
PRODUKT_EXPECTED = "eine fünfstellige Produktnummer; geladen werden " + ", ".join(sorted(PRODUKTE))
JAHR_EXPECTED = "eine vierstellige Jahreszahl (z. B. 2019)"


def klr_kind(display_name: str) -> str | None:
    m = re.match(r"klr_(mengen|kosten|stellen)(?![a-z])", Path(display_name).name.lower())
    return f"klr_{m.group(1)}" if m else None


def read_klr(path: Path, display_name: str) -> ReadResult:
    """Read one KLR export; the kind comes from the file name."""
    problems = Problems(display_name)
    kind = klr_kind(display_name)
    if kind is None:
        problems.error("Der Dateiname lässt nicht erkennen, welcher KLR-Export vorliegt.",
                       value=Path(display_name).name,
                       expected="klr_mengen_<JJJJ>.csv, klr_kosten_<JJJJ>.csv oder klr_stellen_<JJJJ>.csv")
        return ReadResult(kind="klr", problems=problems)
    file_year = name_year(display_name)
    expected = EXPECTED[kind]
    rows = read_csv_rows(path, problems, expected)
    if rows is None:
        return ReadResult(kind=kind, problems=problems, year=file_year)
    if rows.is_empty():
        problems.warning("Die Datei enthält nur die Kopfzeile und keine Datenzeilen; es wird nichts geladen.",
                         expected="mindestens eine Datenzeile")
        return ReadResult(kind=kind, problems=problems, year=file_year,
                          tables={kind: to_raw(_empty(kind), kind)})

    rows = _products(rows, problems)
    check_required(rows, expected, problems)
    rows = _year(rows, problems, file_year)
    bezirk, bad = parse_bezirk(rows["Bezirk"])
    problems.add_rows(FEHLER, rows.filter(bad), message="Unbekannter Bezirk.", expected=BEZIRK_EXPECTED,
                      sheet=None, column="Bezirk")
    rows = rows.with_columns(bezirk.alias("bezirk_nr"))
    rows = _numbers(rows, kind, problems)
    rows = rows.with_columns(pl.col(h).alias(f) for h, f in TEXTS[kind].items())
    if kind == "klr_kosten":
        _check_cost_sum(rows, problems)
    if kind == "klr_stellen":
        rows = rows.with_columns(normalise_wertigkeit(pl.col("Wertigkeit")).alias("wertigkeit"))
    key = rows.select([pl.col(f).alias(h) for h, f in GRAIN[kind].items()] + [pl.col(ROW)])
    check_duplicate_keys(key, list(GRAIN[kind]), problems, GRAIN_LABEL[kind])

    years = sorted(rows["year"].drop_nulls().unique().to_list())
    districts = rows["bezirk_nr"].drop_nulls().unique().to_list()
    if file_year is None and len(years) > 1:
        problems.note(f"Die Datei enthält mehrere Jahre: {', '.join(map(str, years))}.", column="Jahr")
    result = ReadResult(kind=kind, problems=problems,
                        year=years[0] if len(years) == 1 else file_year,
                        bezirk_nr=districts[0] if len(districts) == 1 else None)
    if not problems.has_errors:
        result.tables[kind] = to_raw(rows.rename({ROW: "source_row"}), kind)
    return result


def _empty(kind: str) -> pl.DataFrame:
    return pl.DataFrame({c: [] for c in columns(kind) if c != "file_id"})


def _products(rows: pl.DataFrame, problems: Problems) -> pl.DataFrame:
    """Normalise ``Produkt`` to the five-digit text (``80633``, ``80633.0``, ``80633,0``); invalid
    codes are Fehler, valid codes of other products are skipped with one Hinweis per code."""
    code = pl.col("Produkt").str.extract(r"^(\d{5})(?:[.,]0+)?$", 1)
    rows = rows.with_columns(code.alias("product"))
    problems.add_rows(FEHLER, rows.filter(pl.col("Produkt").is_not_null() & pl.col("product").is_null()),
                      message="Ungültige Produktnummer.", expected=PRODUKT_EXPECTED, sheet=None,
                      column="Produkt")
    other = rows.filter(pl.col("product").is_not_null() & ~pl.col("product").is_in(list(PRODUKTE)))
    skipped = other.group_by("product").agg(pl.col(ROW).sort()).sort("product")
    for product, lines in skipped.iter_rows():
        count = "1 Zeile wird" if len(lines) == 1 else f"{len(lines)} Zeilen werden"
        label = "Zeile" if len(lines) == 1 else "Zeilen"
        problems.note(f"Produkt {product} gehört nicht zu den Sozialen Wohnhilfen; {count} übersprungen "
                      f"({label} {format_rows(lines)}).",
                      column="Produkt", value=product, expected=PRODUKT_EXPECTED)
    return rows.filter(pl.col("product").is_null() | pl.col("product").is_in(list(PRODUKTE)))


def _year(rows: pl.DataFrame, problems: Problems, file_year: int | None) -> pl.DataFrame:
    year = pl.when(pl.col("Jahr").str.contains(r"^\d{4}$")).then(pl.col("Jahr").cast(pl.Int32, strict=False))
    rows = rows.with_columns(year.alias("year"))
    problems.add_rows(FEHLER, rows.filter(pl.col("Jahr").is_not_null() & pl.col("year").is_null()),
                      message="Ungültige Jahresangabe.", expected=JAHR_EXPECTED, sheet=None, column="Jahr")
    if file_year is not None:
        problems.add_rows(FEHLER, rows.filter(pl.col("year") != file_year),
                          message=f"Das Jahr widerspricht dem Dateinamen, der das Jahr {file_year} nennt.",
                          expected=f"{file_year} in jeder Zeile (oder ein Dateiname ohne Jahreszahl)",
                          sheet=None, column="Jahr")
    return rows


def _numbers(rows: pl.DataFrame, kind: str, problems: Problems) -> pl.DataFrame:
    for header, (field, non_negative) in NUMBERS[kind].items():
        parsed, bad = parse_german_number(rows[header])
        problems.add_rows(FEHLER, rows.filter(bad), message="Ungültige Zahl.", expected=NUMBER_EXPECTED,
                          sheet=None, column=header)
        rows = rows.with_columns(parsed.alias(field))
        if non_negative:
            problems.add_rows(FEHLER, rows.filter(pl.col(field) < 0), message="Der Wert darf nicht negativ sein.",
                              expected="eine Zahl größer oder gleich 0", sheet=None, column=header)
    if kind == "klr_kosten":
        problems.add_rows(WARNUNG, rows.filter(pl.col("kosten_eur") < 0),
                          message="Negative Kosten (Korrekturbuchung?) werden übernommen; bitte prüfen.",
                          expected="in der Regel Kosten größer oder gleich 0", sheet=None, column="Kosten")
    return rows


def _check_cost_sum(rows: pl.DataFrame, problems: Problems) -> None:
    """``Kosten`` = ``Personalkosten`` + ``Sachkosten`` + ``Umlagen`` within one cent."""
    parts = pl.col("personalkosten_eur") + pl.col("sachkosten_eur") + pl.col("umlagen_eur")
    bad = rows.with_columns(parts.alias("_parts")).filter(
        (pl.col("kosten_eur") - pl.col("_parts")).abs() > CENT + 1e-6)
    for line, kosten, p, s, u, total, k in bad.select(
            ROW, "kosten_eur", "personalkosten_eur", "sachkosten_eur", "umlagen_eur", "_parts", "Kosten").iter_rows():
        problems.error(
            f"Kosten {format_number(kosten)} € weichen um {format_number(abs(kosten - total))} € von der Summe "
            f"der Teile ab: Personalkosten {format_number(p)} + Sachkosten {format_number(s)} + Umlagen "
            f"{format_number(u)} = {format_number(total)} €.",
            row=line, column="Kosten", value=k,
            expected="Kosten = Personalkosten + Sachkosten + Umlagen (auf einen Cent genau)")


def normalise_wertigkeit(grade: pl.Expr) -> pl.Expr:
    """``e9b`` / ``E 9 b`` -> ``E 9b``, ``a11`` -> ``A 11``; other texts only trimmed (inner blanks collapsed)."""
    m = grade.str.extract_groups(r"^\s*([A-Za-z]{1,2})\s*(\d{1,2})\s*([A-Za-z]?)\s*$")
    norm = pl.concat_str(m.struct.field("1").str.to_uppercase(), pl.lit(" "), m.struct.field("2"),
                         m.struct.field("3").str.to_lowercase())
    return pl.when(m.struct.field("1").is_not_null()).then(norm).otherwise(
        grade.str.replace_all(r"\s+", " ").str.strip_chars())
