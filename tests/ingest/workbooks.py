"""Test workbooks written with xlsxwriter from python rows: a valid Erhebungsbogen, and the means to
break it (renamed or extra columns, text dates, missing sheets, personal-data columns ...).

A workbook is a dict ``sheet name -> list of rows``, each row a list of cell values written as they
are: ``date`` -> real date cell, ``str`` -> text (also '=…' and '01'), numbers -> numbers, None -> empty.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from pipelines.ingest.erhebungsbogen_form import RAEUMUNGSKLAGEN, ZUGANG, ZUGANG_STANDARDS, ZWANGSRAEUMUNGEN

Sheets = dict[str, list[list]]

RK = [c.header for c in RAEUMUNGSKLAGEN.columns]
ZR = [c.header for c in ZWANGSRAEUMUNGEN.columns]
ZG = [c.header for c in ZUGANG.columns]

TODAY = date(2024, 7, 15)          # "today" for every test: Meta quarter 2024 Q2 is complete
FILE_NAME = "bezirk01/erhebungsbogen_01_2024Q2.xlsx"

# the valid baseline: district 01, 2024 Q2; row 4 of Raeumungsklagen is an update of a Q1 case
RK_ROWS = [
    {"Fall-ID": "A-1", "Eingang Mitteilung": date(2024, 4, 2), "Versand Anschreiben": date(2024, 4, 4),
     "Reaktion": "nein", "Hausbesuch 1": date(2024, 4, 15), "Hausbesuch 1 zu zweit": "ja",
     "Hausbesuch 2": date(2024, 4, 25), "Hausbesuch 2 zu zweit": "nein", "Ergebnis": "Wohnraum erhalten"},
    {"Fall-ID": "A-2", "Eingang Mitteilung": date(2024, 5, 6), "Versand Anschreiben": date(2024, 5, 7),
     "Reaktion": "ja", "Ergebnis": "offen"},
    {"Fall-ID": "A-3", "Eingang Mitteilung": date(2024, 2, 12), "Versand Anschreiben": date(2024, 2, 13),
     "Reaktion": "ja", "Ergebnis": "Wohnraum verloren"},
]
ZR_ROWS = [
    {"Fall-ID": "Z-1", "Eingang Mitteilung GV": date(2024, 4, 10), "Versand Anschreiben": date(2024, 4, 11),
     "Raeumungstermin": date(2024, 6, 12), "Raeumung durchgefuehrt": "ja", "Vorheriger Kontakt": "nein",
     "Begleitung notwendig": "ja", "Anwesenheit Fachstelle": "ja", "Begleitung zu zweit": "ja"},
    {"Fall-ID": "Z-2", "Eingang Mitteilung GV": date(2024, 6, 3), "Versand Anschreiben": date(2024, 6, 5),
     "Raeumungstermin": date(2024, 7, 10), "Raeumung durchgefuehrt": "nein", "Vorheriger Kontakt": "ja"},
]
ZUGANG_ERFUELLT = ["ja", "ja", "nein", "ja", "nein", "ja", "ja"]


def table(headers: list[str], rows: list[dict]) -> list[list]:
    """Header row plus one list per row dict (keys must be headers; missing keys are empty cells)."""
    for r in rows:
        unknown = set(r) - set(headers)
        assert not unknown, f"unknown headers {unknown}"
    return [list(headers)] + [[r.get(h) for h in headers] for r in rows]


def meta_table(**fields) -> list[list]:
    """Feld | Wert rows; keyword arguments override the defaults, None removes a Feld."""
    values = {"Bezirk": "01", "Jahr": 2024, "Quartal": 2, "Formularversion": 1, "Stand": date(2024, 7, 5),
              "Kontakt": "fachstelle@ba-mitte.berlin.de"}
    values.update(fields)
    return [["Feld", "Wert"]] + [[k, v] for k, v in values.items() if v is not None]


def zugang_table(erfuellt: list | None = None) -> list[list]:
    marks = erfuellt or ZUGANG_ERFUELLT
    return [list(ZG)] + [[nr, text, mark, None] for (nr, text), mark in zip(ZUGANG_STANDARDS, marks)]


def valid_sheets(rk_rows: list[dict] | None = None, zr_rows: list[dict] | None = None, **meta) -> Sheets:
    """A complete, valid workbook (baseline rows unless given); ``meta`` overrides Meta fields."""
    return {
        "Meta": meta_table(**meta),
        "Raeumungsklagen": table(RK, copy.deepcopy(RK_ROWS if rk_rows is None else rk_rows)),
        "Zwangsraeumungen": table(ZR, copy.deepcopy(ZR_ROWS if zr_rows is None else zr_rows)),
        "Zugang": zugang_table(),
    }


def rename_header(sheets: Sheets, sheet: str, old: str, new: str) -> Sheets:
    header = sheets[sheet][0]
    header[header.index(old)] = new
    return sheets


def drop_column(sheets: Sheets, sheet: str, header: str) -> Sheets:
    i = sheets[sheet][0].index(header)
    sheets[sheet] = [row[:i] + row[i + 1:] for row in sheets[sheet]]
    return sheets


def add_column(sheets: Sheets, sheet: str, header: str, values: list | None = None) -> Sheets:
    rows = sheets[sheet]
    values = values or [None] * (len(rows) - 1)
    sheets[sheet] = [rows[0] + [header]] + [row + [v] for row, v in zip(rows[1:], values)]
    return sheets


def set_cell(sheets: Sheets, sheet: str, row: int, header: str, value: object) -> Sheets:
    """Set a cell by spreadsheet row number (header = 1, first data row = 2) and header."""
    rows = sheets[sheet]
    rows[row - 1][rows[0].index(header)] = value
    return sheets


def write_sheets(path: Path, sheets: Sheets) -> Path:
    """Write the sheets exactly as given (any names, any cells)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    date_format = wb.add_format({"num_format": "dd.mm.yyyy"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, (date, datetime)):
                    ws.write_datetime(r, c, value, date_format)
                elif isinstance(value, str):
                    ws.write_string(r, c, value)
                elif value is not None:
                    ws.write(r, c, value)
    wb.close()
    return path
