"""Problems found in an input file, and the German report written for each file.

Every problem names file, sheet, row, column, the value found and what was expected. A file with
at least one ``Fehler`` is rejected as a whole; ``Warnung`` and ``Hinweis`` accept it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Literal

import polars as pl

Severity = Literal["Fehler", "Warnung", "Hinweis"]
FEHLER: Severity = "Fehler"
WARNUNG: Severity = "Warnung"
HINWEIS: Severity = "Hinweis"


@dataclass(frozen=True)
class Problem:
    severity: Severity
    file: str
    message: str
    expected: str = ""
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def describe(self) -> str:
        """One German line: where, what was found, what was expected."""
        where = [f"Datei {self.file}"]
        if self.sheet:
            where.append(f"Blatt {self.sheet}")
        if self.row is not None:
            where.append(f"Zeile {self.row}")
        if self.column:
            where.append(f"Spalte {self.column!r}")
        text = f"{self.severity}: {', '.join(where)}: {self.message}"
        if self.value is not None:
            text += f" Gefunden: {self.value!r}."
        if self.expected:
            text += f" Erwartet: {self.expected}."
        return text


PROBLEM_SCHEMA = {
    "severity": pl.String,
    "file": pl.String,
    "sheet": pl.String,
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "expected": pl.String,
    "message": pl.String,
}


@dataclass
class Problems:
    """Collects the problems of one file."""

    file: str
    items: list[Problem] = field(default_factory=list)

    def add(self, severity: Severity, message: str, *, expected: str = "", sheet: str | None = None,
            row: int | None = None, column: str | None = None, value: object = None) -> None:
        self.items.append(Problem(severity=severity, file=self.file, message=message, expected=expected,
                                  sheet=sheet, row=row, column=column,
                                  value=None if value is None else str(value)))

    def error(self, message: str, **kw) -> None:
        self.add(FEHLER, message, **kw)

    def warning(self, message: str, **kw) -> None:
        self.add(WARNUNG, message, **kw)

    def note(self, message: str, **kw) -> None:
        self.add(HINWEIS, message, **kw)

    def add_rows(self, severity: Severity, bad: pl.DataFrame, *, message: str, expected: str,
                 sheet: str | None, column: str, value_col: str | None = None, row_col: str = "_row") -> None:
        """One problem per row of ``bad`` (already filtered to the offending rows: the loop runs over
        problems, never over all rows). ``row_col`` holds the spreadsheet/CSV line number."""
        value_col = value_col or column
        for row, value in bad.select(row_col, value_col).iter_rows():
            self.add(severity, message, expected=expected, sheet=sheet, row=row, column=column,
                     value=value)

    def extend(self, other: Iterable[Problem]) -> None:
        self.items.extend(other)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == FEHLER]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == WARNUNG]

    @property
    def has_errors(self) -> bool:
        return any(p.severity == FEHLER for p in self.items)

    def to_frame(self) -> pl.DataFrame:
        return pl.DataFrame([asdict(p) for p in self.items], schema=PROBLEM_SCHEMA)


def report_name(file_name: str) -> str:
    """Report file stem derived from the input's path relative to raw/ (subfolders flattened)."""
    return re.sub(r"[^\w.\-]+", "_", file_name.replace("/", "__"))


def write_report(problems: Problems, reports_dir: Path, *, accepted: bool, sha256: str,
                 summary: str = "") -> Path:
    """Write ``<reports>/<file>.bericht.txt`` (German, for the Fachstelle) and a ``.csv`` beside it
    (one problem a line, for sorting in Excel). Returns the path of the text report."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    stem = report_name(problems.file)
    txt = reports_dir / f"{stem}.bericht.txt"
    status = "ANGENOMMEN" if accepted else "ABGELEHNT"
    lines = [
        f"Prüfbericht für {problems.file}",
        f"SHA-256: {sha256}",
        f"Ergebnis: {status}"
        + ("" if accepted else " – die Datei wurde nicht geladen; bisher veröffentlichte Zahlen bleiben unverändert."),
        f"Fehler: {len(problems.errors)}, Warnungen: {len(problems.warnings)}, "
        f"Hinweise: {sum(p.severity == HINWEIS for p in problems.items)}",
    ]
    if summary:
        lines.append(summary)
    lines.append("")
    if not problems.items:
        lines.append("Keine Beanstandungen.")
    for p in sorted(problems.items, key=lambda p: ({"Fehler": 0, "Warnung": 1, "Hinweis": 2}[p.severity],
                                                    p.sheet or "", p.row or 0)):
        lines.append(p.describe())
    if not accepted:
        lines += ["", "Bitte korrigieren Sie die genannten Stellen und senden Sie die Datei erneut ein."]
    txt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(reports_dir / f"{stem}.bericht.csv", "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["Art", "Datei", "Blatt", "Zeile", "Spalte", "Gefundener Wert", "Erwartet", "Meldung"])
        for p in problems.items:
            w.writerow([p.severity, p.file, p.sheet or "", p.row or "", p.column or "", p.value or "",
                        p.expected, p.message])
    return txt
