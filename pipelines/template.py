"""The official Erhebungsbogen as an .xlsx file, written with xlsxwriter from the form definition.

``write_template`` gives the blank form a district fills in (drop-down lists for ja/nein and
Ergebnis, date validation, an explanation sheet); ``write_workbook`` writes the same layout filled
with rows (used by the demo-data generator and by tests). Both read back with the reader unchanged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Iterable

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from pipelines.common.bezirke import BEZIRKE
from pipelines.common.parsing import normalise_bezirk
from pipelines.ingest.erhebungsbogen_form import (
    DATA_SHEETS,
    FORM_VERSION,
    META_FIELDS,
    META_SHEET,
    PERSONAL_DATA_HEADERS,
    ZUGANG,
    ZUGANG_STANDARDS,
    Column,
    Sheet,
)

EXPLANATION_SHEET = "Erläuterungen"
DATE_FORMAT = "dd.mm.yyyy"          # shown by a German Excel as TT.MM.JJJJ
VALIDATED_ROWS = 2000               # data rows with drop-down lists and date validation
DATE_MIN, DATE_MAX = date(2000, 1, 1), date(2099, 12, 31)
JAHR_MIN, JAHR_MAX = 2016, 2099
YESNO = ["ja", "nein"]
TYPE_TEXT = {"text": "Text", "date": "Datum (TT.MM.JJJJ)", "yesno": "ja / nein", "choice": "Auswahl",
             "int": "ganze Zahl"}


def _short(text: str, limit: int) -> str:
    """Excel limits validation titles (32) and messages (255) in length."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "top"})
        self.date = wb.add_format({"num_format": DATE_FORMAT})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.title = wb.add_format({"bold": True, "font_size": 13})


def _cell(value: object) -> object:
    """Python value -> what goes into the cell: dates stay dates, booleans become ja/nein."""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    return value


def _validation(column: Column, title: str) -> dict:
    message = {"input_title": _short(title, 32), "input_message": _short(column.explanation, 255)}
    if column.type == "date":
        return {"validate": "date", "criteria": "between", "minimum": DATE_MIN, "maximum": DATE_MAX,
                "error_title": "Ungültiges Datum",
                "error_message": "Bitte ein Datum im Format TT.MM.JJJJ eingeben, z. B. 03.02.2025.", **message}
    if column.type == "yesno":
        return {"validate": "list", "source": YESNO, "error_title": "Ungültige Angabe",
                "error_message": "Bitte 'ja' oder 'nein' auswählen oder das Feld leer lassen.", **message}
    if column.type == "choice":
        return {"validate": "list", "source": list(column.choices), "error_title": "Ungültiger Wert",
                "error_message": "Bitte einen Wert aus der Liste auswählen: " + ", ".join(column.choices) + ".",
                **message}
    if column.type == "int":
        return {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 7,
                "error_title": "Ungültige Nummer", "error_message": "Bitte eine ganze Zahl von 1 bis 7 eingeben.",
                **message}
    return {"validate": "any", **message}


def _data_sheet(wb: xlsxwriter.Workbook, fmt: _Formats, sheet: Sheet, rows: Iterable[dict], n_validated: int) -> None:
    ws: Worksheet = wb.add_worksheet(sheet.name)
    headers = [c.header for c in sheet.columns]
    for i, c in enumerate(sheet.columns):
        width = 90 if c.field == "standard" else 40 if c.field == "bemerkung" else max(14, len(c.header) + 4)
        ws.set_column(i, i, width, fmt.date if c.type == "date" else None)
    ws.set_row(0, 30)
    ws.write_row(0, 0, headers, fmt.header)
    ws.freeze_panes(1, 0)
    n = 0
    for n, row in enumerate(rows, start=1):
        unknown = set(row) - set(headers)
        if unknown:
            raise ValueError(f"Blatt {sheet.name}: unbekannte Spalten {sorted(unknown)}; erlaubt: {headers}")
        ws.write_row(n, 0, [_cell(row.get(h)) for h in headers])
    last = max(n, n_validated)
    for i, c in enumerate(sheet.columns):
        ws.data_validation(1, i, last, i, _validation(c, c.header))
    ws.autofilter(0, 0, max(n, 1), len(headers) - 1)


def _meta_sheet(wb: xlsxwriter.Workbook, fmt: _Formats, meta: dict) -> None:
    ws: Worksheet = wb.add_worksheet(META_SHEET)
    ws.set_column(0, 0, 20)
    ws.set_column(1, 1, 45)
    ws.write_row(0, 0, ["Feld", "Wert"], fmt.header)
    ws.freeze_panes(1, 0)
    known = {name for name, _, _ in META_FIELDS}
    unknown = set(meta) - known
    if unknown:
        raise ValueError(f"Blatt {META_SHEET}: unbekannte Felder {sorted(unknown)}; erlaubt: {sorted(known)}")
    rules = {
        "Bezirk": {"validate": "list", "source": list(BEZIRKE.values()), "error_type": "warning",
                   "error_title": "Unbekannter Bezirk",
                   "error_message": "Bitte den Bezirk aus der Liste wählen (oder die Nummer 01–12 eingeben)."},
        "Jahr": {"validate": "integer", "criteria": "between", "minimum": JAHR_MIN, "maximum": JAHR_MAX,
                 "error_title": "Ungültiges Jahr", "error_message": "Bitte das Berichtsjahr eingeben, z. B. 2025."},
        "Quartal": {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 4,
                    "error_title": "Ungültiges Quartal", "error_message": "Bitte 1, 2, 3 oder 4 eingeben."},
        "Formularversion": {"validate": "integer", "criteria": "==", "value": FORM_VERSION,
                            "error_title": "Formularversion",
                            "error_message": f"Die Formularversion ist {FORM_VERSION}; bitte nicht ändern."},
        "Stand": {"validate": "date", "criteria": "between", "minimum": DATE_MIN, "maximum": DATE_MAX,
                  "error_title": "Ungültiges Datum",
                  "error_message": "Bitte ein Datum im Format TT.MM.JJJJ eingeben, z. B. 03.02.2025."},
    }
    for r, (name, required, explanation) in enumerate(META_FIELDS, start=1):
        value = _cell(meta.get(name))
        ws.write(r, 0, name)
        if isinstance(value, (date, datetime)):
            ws.write_datetime(r, 1, value, fmt.date)
        elif value is not None:
            ws.write(r, 1, value)
        message = {"input_title": _short(name + (" (Pflichtangabe)" if required else ""), 32),
                   "input_message": _short(explanation, 255)}
        ws.data_validation(r, 1, r, 1, {**rules.get(name, {"validate": "any"}), **message})


def _explanation_sheet(wb: xlsxwriter.Workbook, fmt: _Formats) -> None:
    ws: Worksheet = wb.add_worksheet(EXPLANATION_SHEET)
    for i, width in enumerate((18, 26, 14, 22, 100)):
        ws.set_column(i, i, width, fmt.wrap)
    ws.write_row(0, 0, ["Blatt", "Spalte / Feld", "Pflichtangabe", "Art der Angabe", "Erläuterung"], fmt.header)
    ws.freeze_panes(1, 0)
    words = ", ".join(sorted({t.capitalize() for t in PERSONAL_DATA_HEADERS}))
    rows: list[list[str]] = [
        ["Allgemein", "", "", "", f"Erhebungsbogen Soziale Wohnhilfen, Formularversion {FORM_VERSION}. Ein Bogen je "
         "Bezirk und Quartal. Die Blätter und Spaltenüberschriften nicht umbenennen; die Reihenfolge der "
         "Spalten ist frei. Leere Zeilen werden übersprungen."],
        ["Allgemein", "Datum", "", "", "Als Datum (Zellformat Datum), als TT.MM.JJJJ oder als JJJJ-MM-TT."],
        ["Allgemein", "ja / nein", "", "", "'ja' oder 'nein' (Groß-/Kleinschreibung egal), 'x' gilt als ja; "
         "leer = nicht angegeben."],
        ["Allgemein", "Datenschutz", "", "", "Keine personenbezogenen Daten eintragen: keine Namen, Anschriften, "
         "Geburtsdaten, Telefonnummern oder E-Mail-Adressen von Klientinnen und Klienten. Ein Bogen mit einer "
         f"Spalte, deren Überschrift solche Daten benennt ({words}), wird insgesamt abgelehnt."],
        ["Allgemein", "Prüfung", "", "", "Nach dem Einsenden erhält die Fachstelle einen Prüfbericht. Fehler "
         "(z. B. ungültiges Datum, Anschreiben vor dem Eingang, doppelte Fall-ID) führen zur Ablehnung des ganzen "
         "Bogens; Warnungen (z. B. Datum in der Zukunft) nicht. Eine erneute Einsendung für denselben Bezirk und "
         "dasselbe Quartal ersetzt die frühere."],
        ["Allgemein", "Nachträge", "", "", "Fälle aus früheren Quartalen dürfen mit derselben Fall-ID und "
         "demselben Eingangsdatum erneut aufgeführt werden, um spätere Ereignisse nachzutragen (Hausbesuch, "
         "Räumung, Ergebnis). "
         "Ein Eingang nach dem Ende des gemeldeten Quartals ist ein Fehler."],
        [META_SHEET, "", "", "", "Zwei Spalten Feld | Wert: Angaben zum Bogen. Dieses Blatt ist maßgeblich."],
    ]
    rows += [[META_SHEET, name, "ja" if required else "nein", "", explanation]
             for name, required, explanation in META_FIELDS]
    for sheet in DATA_SHEETS:
        rows.append([sheet.name, "", "", "", sheet.explanation])
        for c in sheet.columns:
            kind = TYPE_TEXT[c.type] + (": " + ", ".join(c.choices) if c.choices else "")
            rows.append([sheet.name, c.header, "ja" if c.required else "nein", kind, c.explanation])
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, row)


def _write(path: Path, meta: dict, raeumungsklagen: Iterable[dict], zwangsraeumungen: Iterable[dict],
           zugang: Iterable[dict], n_validated: int, created: datetime | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "default_date_format": DATE_FORMAT,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    # a fixed creation time makes the same content byte-identical (the demo generator relies on it)
    wb.set_properties({"title": "Erhebungsbogen Soziale Wohnhilfen", "created": created or datetime.now(UTC)})
    fmt = _Formats(wb)
    _meta_sheet(wb, fmt, meta)
    standards = dict(ZUGANG_STANDARDS)
    zugang = [{"Standard": standards.get(r.get("Nr")), **r} for r in zugang]
    for sheet, rows in zip(DATA_SHEETS, (raeumungsklagen, zwangsraeumungen, zugang)):
        _data_sheet(wb, fmt, sheet, rows, n_validated if sheet is not ZUGANG else len(ZUGANG_STANDARDS))
    _explanation_sheet(wb, fmt)
    wb.close()
    return path


def write_template(path: Path, bezirk_nr: str | None = None, year: int | None = None,
                   quarter: int | None = None) -> Path:
    """The blank Erhebungsbogen; Meta pre-filled with the form version and the given district/quarter."""
    meta: dict = {"Formularversion": FORM_VERSION}
    if bezirk_nr is not None:
        nr = normalise_bezirk(bezirk_nr)
        if nr is None:
            raise ValueError(f"Unbekannter Bezirk {bezirk_nr!r}; erwartet 01–12 oder der amtliche Name.")
        meta["Bezirk"] = BEZIRKE[nr]
    if year is not None:
        meta["Jahr"] = int(year)
    if quarter is not None:
        if int(quarter) not in (1, 2, 3, 4):
            raise ValueError(f"Ungültiges Quartal {quarter!r}; erwartet 1–4.")
        meta["Quartal"] = int(quarter)
    zugang = [{"Nr": nr, "Standard": text} for nr, text in ZUGANG_STANDARDS]
    return _write(path, meta, [], [], zugang, VALIDATED_ROWS)


def write_workbook(path: Path, meta: dict, raeumungsklagen: list[dict], zwangsraeumungen: list[dict],
                   zugang: list[dict], created: datetime | None = None) -> Path:
    """The same layout filled with rows keyed by the form headers (``Fall-ID``, ``Eingang Mitteilung`` …;
    Meta keyed by Feld). Dates as ``datetime.date`` become real date cells, booleans ja/nein; a Zugang
    row without ``Standard`` gets the standard's text."""
    return _write(path, meta, raeumungsklagen, zwangsraeumungen, zugang, VALIDATED_ROWS, created)
