"""The blank Erhebungsbogen and write_workbook: layout, validation, and the round trip through the reader."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from pipelines.common.problems import FEHLER
from pipelines.ingest.erhebungsbogen import read_erhebungsbogen
from pipelines.ingest.erhebungsbogen_form import (
    DATA_SHEETS,
    META_FIELDS,
    RAEUMUNGSKLAGEN,
    ZUGANG_STANDARDS,
    ZWANGSRAEUMUNGEN,
)
from pipelines.template import VALIDATED_ROWS, write_template, write_workbook

TODAY = date(2024, 7, 15)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("tpl") / "erhebungsbogen_07_2024Q2.xlsx", "7", 2024, 2)


@pytest.fixture(scope="module")
def book(template) -> openpyxl.Workbook:
    return openpyxl.load_workbook(template)


def validations(ws) -> dict[str, object]:
    """First cell of each validated range -> its validation."""
    return {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}


def test_sheets_and_meta_prefilled(book):
    assert book.sheetnames == ["Meta", "Raeumungsklagen", "Zwangsraeumungen", "Zugang", "Erläuterungen"]
    meta = [[c.value for c in row] for row in book["Meta"].iter_rows()]
    assert meta[0] == ["Feld", "Wert"]
    assert [r[0] for r in meta[1:]] == [name for name, _, _ in META_FIELDS]
    assert meta[1:5] == [["Bezirk", "Tempelhof-Schöneberg"], ["Jahr", 2024], ["Quartal", 2], ["Formularversion", 1]]
    assert meta[5][1] is None and meta[6][1] is None
    dv = validations(book["Meta"])
    assert "Mitte" in dv["B2"].formula1 and dv["B3"].type == "whole" and dv["B6"].type == "date"


@pytest.mark.parametrize("sheet", DATA_SHEETS, ids=lambda s: s.name)
def test_header_bold_frozen_and_widths(book, sheet):
    ws = book[sheet.name]
    assert [c.value for c in ws[1]] == [c.header for c in sheet.columns]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert all(ws.column_dimensions[chr(65 + i)].width >= 14 for i in range(len(sheet.columns)))


@pytest.mark.parametrize("sheet", [RAEUMUNGSKLAGEN, ZWANGSRAEUMUNGEN], ids=lambda s: s.name)
def test_case_sheets_validated_for_2000_rows(book, sheet):
    ws, dv = book[sheet.name], validations(book[sheet.name])
    for i, c in enumerate(sheet.columns):
        letter = chr(65 + i)
        v = dv[f"{letter}2"]
        assert str(v.sqref) == f"{letter}2:{letter}{VALIDATED_ROWS + 1}"
        assert v.promptTitle == c.header and v.prompt  # input message from the form's explanation
        if c.type == "date":
            assert v.type == "date" and "TT.MM.JJJJ" in v.error and v.errorTitle == "Ungültiges Datum"
            assert ws.column_dimensions[letter].number_format == "dd.mm.yyyy"
        elif c.type == "yesno":
            assert v.type == "list" and v.formula1 == '"ja,nein"' and "'ja' oder 'nein'" in v.error
        elif c.type == "choice":
            assert v.formula1 == '"Wohnraum erhalten,Wohnraum verloren,offen,unbekannt"'


def test_zugang_prefilled_with_erfuellt_dropdown(book):
    ws = book["Zugang"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [(r[0], r[1]) for r in rows] == list(ZUGANG_STANDARDS)
    assert all(r[2] is None for r in rows)
    dv = validations(ws)["C2"]
    assert str(dv.sqref) == "C2:C8" and dv.formula1 == '"ja,nein"'


def test_explanation_sheet_covers_every_column(book):
    ws = book["Erläuterungen"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    explained = {(r[0], r[1]) for r in rows}
    for sheet in DATA_SHEETS:
        for c in sheet.columns:
            assert (sheet.name, c.header) in explained
            row = next(r for r in rows if (r[0], r[1]) == (sheet.name, c.header))
            assert row[4] == c.explanation and row[2] == ("ja" if c.required else "nein")
    assert all(("Meta", name) in explained for name, _, _ in META_FIELDS)
    assert any("personenbezogenen Daten" in (r[4] or "") for r in rows)


def test_blank_template_reads_back_with_only_erfuellt_missing(template):
    result = read_erhebungsbogen(template, template.name, today=TODAY)
    assert (result.bezirk_nr, result.year, result.quarter) == ("07", 2024, 2)
    errors = [(p.sheet, p.row, p.column) for p in result.problems.errors]
    assert errors == [("Zugang", r, "Erfuellt") for r in range(2, 9)]
    assert result.problems.warnings == []


def test_template_filled_in_excel_style_is_accepted(template, tmp_path):
    """Fill the generated file itself (as a Fachstelle would) and read it back."""
    wb = openpyxl.load_workbook(template)
    wb["Meta"]["B6"] = datetime(2024, 7, 3)
    rk = wb["Raeumungsklagen"]
    rk.append(["F-1", datetime(2024, 4, 2), datetime(2024, 4, 4), "nein", datetime(2024, 4, 12), "ja", None, None,
               "offen"])
    rk.append(["F-2", "03.05.2024", "2024-05-06", "ja", None, None, None, None, "Wohnraum erhalten"])
    wb["Zwangsraeumungen"].append(["G-1", datetime(2024, 6, 3), datetime(2024, 6, 4), datetime(2024, 6, 28), "ja",
                                   "nein", "ja", "ja", "nein"])
    for r in range(2, 9):
        wb["Zugang"].cell(r, 3, "ja" if r % 2 else "nein")
    path = tmp_path / "ausgefuellt.xlsx"
    wb.save(path)
    result = read_erhebungsbogen(path, path.name, today=TODAY)
    assert result.accepted and result.problems.items == [], [p.describe() for p in result.problems.items]
    rk = result.tables["erhebungsbogen_raeumungsklagen"]
    assert rk["eingang_mitteilung"].to_list() == [date(2024, 4, 2), date(2024, 5, 3)]
    assert rk["versand_anschreiben"].to_list() == [date(2024, 4, 4), date(2024, 5, 6)]
    assert rk["hausbesuch_1_zu_zweit"].to_list() == [True, None]
    assert result.tables["erhebungsbogen_zwangsraeumungen"]["raeumungstermin"].to_list() == [date(2024, 6, 28)]
    assert result.tables["erhebungsbogen_zugang"]["erfuellt"].sum() == 3
    assert result.tables["erhebungsbogen_meta"]["stand"].to_list() == [date(2024, 7, 3)]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    return write_workbook(
        tmp_path_factory.mktemp("wb") / "w.xlsx",
        {"Bezirk": "08", "Jahr": 2024, "Quartal": 2, "Formularversion": 1, "Stand": date(2024, 7, 1),
         "Kontakt": "sozialewohnhilfen@bezirksamt-neukoelln.de"},
        [{"Fall-ID": "=1+1", "Eingang Mitteilung": date(2024, 4, 2), "Versand Anschreiben": date(2024, 4, 5),
          "Reaktion": False, "Hausbesuch 1": date(2024, 4, 16), "Hausbesuch 1 zu zweit": True, "Ergebnis": "offen"},
         {"Fall-ID": "0815", "Eingang Mitteilung": date(2024, 6, 28), "Reaktion": None}],
        [{"Fall-ID": "GV-1", "Eingang Mitteilung GV": date(2024, 5, 2), "Raeumungstermin": date(2024, 6, 11),
          "Raeumung durchgefuehrt": "ja", "Vorheriger Kontakt": "nein", "Anwesenheit Fachstelle": True}],
        [{"Nr": n, "Erfuellt": n <= 5, "Bemerkung": "seit 2023" if n == 1 else None} for n in range(1, 8)],
    )


def test_write_workbook_round_trip(written):
    result = read_erhebungsbogen(written, written.name, today=TODAY)
    assert result.accepted and result.problems.items == [], [p.describe() for p in result.problems.items]
    assert (result.bezirk_nr, result.year, result.quarter) == ("08", 2024, 2)
    rk = result.tables["erhebungsbogen_raeumungsklagen"]
    assert rk["source_row"].to_list() == [2, 3]
    assert rk["eingang_mitteilung"].to_list() == [date(2024, 4, 2), date(2024, 6, 28)]
    assert rk["reaktion"].to_list() == [False, None]
    assert rk["hausbesuch_1"].to_list() == [date(2024, 4, 16), None]
    assert rk["ergebnis"].to_list() == ["offen", None]
    zr = result.tables["erhebungsbogen_zwangsraeumungen"].row(0, named=True)
    assert (zr["raeumungstermin"], zr["raeumung_durchgefuehrt"], zr["vorheriger_kontakt"],
            zr["anwesenheit_fachstelle"], zr["begleitung_zu_zweit"]) == (date(2024, 6, 11), True, False, True, None)
    zg = result.tables["erhebungsbogen_zugang"]
    assert zg["erfuellt"].to_list() == [True] * 5 + [False] * 2
    assert zg["standard"].to_list() == [text for _, text in ZUGANG_STANDARDS]
    assert zg["bemerkung"].to_list()[:2] == ["seit 2023", None]
    assert result.tables["erhebungsbogen_meta"]["kontakt"].to_list() == ["sozialewohnhilfen@bezirksamt-neukoelln.de"]


def test_write_workbook_cells(written):
    ws = openpyxl.load_workbook(written)["Raeumungsklagen"]
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s"   # text stays text, never a formula
    assert ws["A3"].value == "0815"
    assert ws["B2"].value == datetime(2024, 4, 2) and ws["B2"].number_format == "dd.mm.yyyy"
    assert ws["D2"].value == "nein" and ws["F2"].value == "ja"


def test_write_workbook_rejects_unknown_headers(tmp_path):
    with pytest.raises(ValueError, match="Name"):
        write_workbook(tmp_path / "x.xlsx", {"Bezirk": "01"}, [{"Fall-ID": "A", "Name": "X"}], [], [])


def test_write_template_rejects_unknown_district(tmp_path):
    with pytest.raises(ValueError, match="Bezirk"):
        write_template(tmp_path / "x.xlsx", "13")


def test_blank_template_without_meta_values(tmp_path):
    path = write_template(tmp_path / "leer.xlsx")
    result = read_erhebungsbogen(path, path.name, today=TODAY)
    missing = {p.message for p in result.problems.errors if p.sheet == "Meta"}
    assert missing == {"Pflichtfeld 'Bezirk' fehlt oder ist leer.", "Pflichtfeld 'Jahr' fehlt oder ist leer.",
                       "Pflichtfeld 'Quartal' fehlt oder ist leer."}
    assert all(p.severity == FEHLER for p in result.problems.items)
