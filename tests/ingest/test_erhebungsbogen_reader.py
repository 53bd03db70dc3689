"""The Erhebungsbogen reader: every hard error and warning of INPUTS.md §1, the tolerances, the Fall-IDs
(hashed by the loader: tests/ingest/test_case_keys.py)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from pipelines.common.problems import FEHLER, WARNUNG, Problem
from pipelines.ingest.erhebungsbogen import personal_term, read_erhebungsbogen
from pipelines.ingest.raw_tables import LOADER_COLUMNS, columns
from pipelines.ingest.read_result import ReadResult
from pipelines.template import write_workbook
from tests.ingest.workbooks import (
    FILE_NAME,
    RK,
    RK_ROWS,
    TODAY,
    ZG,
    ZR,
    ZR_ROWS,
    add_column,
    drop_column,
    meta_table,
    rename_header,
    set_cell,
    valid_sheets,
    write_sheets,
)

TABLES = ("erhebungsbogen_meta", "erhebungsbogen_raeumungsklagen", "erhebungsbogen_zwangsraeumungen",
          "erhebungsbogen_zugang")


def read(path: Path, sheets: dict | None = None, name: str = FILE_NAME) -> ReadResult:
    if sheets is not None:
        write_sheets(path, sheets)
    return read_erhebungsbogen(path, name, today=TODAY)


def find(result: ReadResult, severity: str | None = None, **where) -> list[Problem]:
    return [p for p in result.problems.items
            if (severity is None or p.severity == severity) and all(getattr(p, k) == v for k, v in where.items())]


def one(result: ReadResult, severity: str, **where) -> Problem:
    found = find(result, severity, **where)
    assert len(found) == 1, (where, [p.describe() for p in result.problems.items])
    return found[0]


def reader_columns(table: str) -> list[str]:
    """The raw table's columns as the reader gives them: the loader adds file_id (and seen_at) and
    writes the Fall-ID only as its keyed hash fall_key."""
    return ["fall_id" if c == "fall_key" else c for c in columns(table) if c not in LOADER_COLUMNS]


# --- a valid workbook ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> ReadResult:
    return read(tmp_path_factory.mktemp("valid") / "v.xlsx", valid_sheets())


def test_valid_workbook_is_accepted_without_any_problem(valid):
    assert valid.accepted
    assert [p.describe() for p in valid.problems.items] == []
    assert (valid.kind, valid.bezirk_nr, valid.year, valid.quarter) == ("erhebungsbogen", "01", 2024, 2)
    for t in TABLES:
        assert valid.tables[t].columns == reader_columns(t)
    assert valid.n_rows == 1 + 3 + 2 + 7


def test_valid_workbook_values(valid):
    meta = valid.tables["erhebungsbogen_meta"].row(0, named=True)
    assert meta == {"bezirk_nr": "01", "year": 2024, "quarter": 2, "formularversion": 1,
                    "stand": date(2024, 7, 5), "kontakt": "fachstelle@ba-mitte.berlin.de"}
    rk = valid.tables["erhebungsbogen_raeumungsklagen"]
    assert rk["source_row"].to_list() == [2, 3, 4]
    assert rk["eingang_mitteilung"].to_list() == [date(2024, 4, 2), date(2024, 5, 6), date(2024, 2, 12)]
    assert rk["reaktion"].to_list() == [False, True, True]
    assert rk["hausbesuch_1_zu_zweit"].to_list() == [True, None, None]
    assert rk["hausbesuch_2"].to_list() == [date(2024, 4, 25), None, None]
    assert rk["ergebnis"].to_list() == ["Wohnraum erhalten", "offen", "Wohnraum verloren"]
    assert set(rk["bezirk_nr"]) == {"01"} and set(rk["year"]) == {2024} and set(rk["quarter"]) == {2}
    zr = valid.tables["erhebungsbogen_zwangsraeumungen"]
    assert zr["raeumungstermin"].to_list() == [date(2024, 6, 12), date(2024, 7, 10)]
    assert zr["anwesenheit_fachstelle"].to_list() == [True, None]
    assert zr["vorheriger_kontakt"].to_list() == [False, True]
    zg = valid.tables["erhebungsbogen_zugang"]
    assert zg["nr"].to_list() == [1, 2, 3, 4, 5, 6, 7]
    assert zg["erfuellt"].to_list() == [True, True, False, True, False, True, True]
    assert zg["source_row"].to_list() == [2, 3, 4, 5, 6, 7, 8]


def test_fall_ids_only_in_the_case_rows_for_the_loader(valid):
    rk = valid.tables["erhebungsbogen_raeumungsklagen"]
    assert rk["fall_id"].to_list() == ["A-1", "A-2", "A-3"]
    assert valid.tables["erhebungsbogen_zwangsraeumungen"]["fall_id"].to_list() == ["Z-1", "Z-2"]
    raw_ids = {r["Fall-ID"] for r in RK_ROWS + ZR_ROWS}
    for t in ("erhebungsbogen_meta", "erhebungsbogen_zugang"):
        text = str(valid.tables[t].select(pl.all().cast(pl.String)).to_dicts())
        assert not any(i in text for i in raw_ids), t


# --- tolerances ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tolerant(tmp_path_factory) -> ReadResult:
    rows = [
        {"Fall-ID": " T-1 ", "Eingang Mitteilung": "02.04.2024", "Versand Anschreiben": "2024-04-03",
         "Reaktion": " JA ", "Hausbesuch 1 zu zweit": "x", "Ergebnis": " OFFEN "},
        {"Fall-ID": "T-2", "Eingang Mitteilung": "2024-04-02", "Versand Anschreiben": date(2024, 4, 5),
         "Reaktion": "Nein", "Hausbesuch 1": "8.4.2024", "Hausbesuch 1 zu zweit": "X",
         "Hausbesuch 2 zu zweit": "nein", "Ergebnis": "wohnraum ERHALTEN"},
        {},  # completely empty rows are skipped, the row numbers stay those of the spreadsheet
        {"Fall-ID": "T-3", "Eingang Mitteilung": date(2024, 4, 2), "Versand Anschreiben": "03.04.2024",
         "Reaktion": "ja", "Hausbesuch 1 zu zweit": ""},
    ]
    sheets = valid_sheets(rk_rows=rows)
    # free column order, headers with other case and blanks, sheet names in other case
    rk = sheets.pop("Raeumungsklagen")
    order = [8, 0, 3, 1, 2, 5, 4, 7, 6]
    rk = [[r[i] for i in order] for r in rk]
    rk[0] = [f"  {h.upper()} " if i % 2 else h.lower() for i, h in enumerate(rk[0])]
    sheets = {"META": sheets.pop("Meta"), "raeumungsklagen": rk, **sheets}
    sheets["Zwangsraeumungen"].insert(2, [None] * len(ZR))
    return read(tmp_path_factory.mktemp("tol") / "t.xlsx", sheets)


def test_tolerances_are_accepted(tolerant):
    assert tolerant.accepted, [p.describe() for p in tolerant.problems.items]
    assert tolerant.problems.items == []


def test_dates_as_cells_german_and_iso_text(tolerant):
    rk = tolerant.tables["erhebungsbogen_raeumungsklagen"]
    assert rk["eingang_mitteilung"].to_list() == [date(2024, 4, 2)] * 3
    assert rk["versand_anschreiben"].to_list() == [date(2024, 4, 3), date(2024, 4, 5), date(2024, 4, 3)]
    assert rk["hausbesuch_1"].to_list() == [None, date(2024, 4, 8), None]


def test_yesno_spellings_and_ergebnis_case(tolerant):
    rk = tolerant.tables["erhebungsbogen_raeumungsklagen"]
    assert rk["reaktion"].to_list() == [True, False, True]
    assert rk["hausbesuch_1_zu_zweit"].to_list() == [True, True, None]
    assert rk["hausbesuch_2_zu_zweit"].to_list() == [None, False, None]
    assert rk["ergebnis"].to_list() == ["offen", "Wohnraum erhalten", None]


def test_empty_rows_skipped_and_row_numbers_kept(tolerant):
    assert tolerant.tables["erhebungsbogen_raeumungsklagen"]["source_row"].to_list() == [2, 3, 5]
    assert tolerant.tables["erhebungsbogen_zwangsraeumungen"]["source_row"].to_list() == [2, 4]
    # the Fall-ID is trimmed (the loader hashes it as it is here)
    assert tolerant.tables["erhebungsbogen_raeumungsklagen"]["fall_id"].to_list() == ["T-1", "T-2", "T-3"]


@pytest.mark.parametrize("bezirk", ["1", "01", 1, "Mitte", " mitte "])
def test_district_by_number_or_name(tmp_path, bezirk):
    result = read(tmp_path / "b.xlsx", valid_sheets(Bezirk=bezirk))
    assert result.accepted and result.bezirk_nr == "01"
    assert result.tables["erhebungsbogen_meta"]["bezirk_nr"].to_list() == ["01"]


def test_extra_column_is_warned_and_ignored(tmp_path):
    sheets = add_column(valid_sheets(), "Zwangsraeumungen", "Sachbearbeitung intern", ["AB", "CD"])
    result = read(tmp_path / "x.xlsx", sheets)
    assert result.accepted
    p = one(result, WARNUNG, sheet="Zwangsraeumungen", column="Sachbearbeitung intern")
    assert p.row == 1 and p.value == "Sachbearbeitung intern" and "ignoriert" in p.message
    assert result.tables["erhebungsbogen_zwangsraeumungen"].columns == reader_columns("erhebungsbogen_zwangsraeumungen")


def test_missing_optional_column_is_warned(tmp_path):
    result = read(tmp_path / "o.xlsx", drop_column(valid_sheets(), "Raeumungsklagen", "Ergebnis"))
    assert result.accepted
    p = one(result, WARNUNG, sheet="Raeumungsklagen", column="Ergebnis")
    assert p.row == 1 and "fehlt" in p.message
    assert result.tables["erhebungsbogen_raeumungsklagen"]["ergebnis"].null_count() == 3


def test_other_sheets_are_ignored(tmp_path):
    sheets = valid_sheets()
    sheets["Erläuterungen"] = [["Blatt", "Erläuterung"], ["Meta", "Angaben zum Bogen"]]
    sheets["Notizen"] = [["Thema", "Text"], ["Sprechstunde", "dienstags"]]
    result = read(tmp_path / "s.xlsx", sheets)
    assert result.accepted and result.problems.items == []


# --- unreadable files ----------------------------------------------------------------------------

@pytest.mark.parametrize("content", ["random", "empty", "truncated", "text"])
def test_unreadable_file_is_one_error_never_an_exception(tmp_path, content):
    if content == "truncated":
        valid = write_sheets(tmp_path / "ok.xlsx", valid_sheets()).read_bytes()
        data = valid[: len(valid) // 2]
    else:
        data = {"random": bytes(range(256)) * 40, "empty": b"",
                "text": "Fall-ID;Eingang\nA-1;02.04.2024\n".encode()}[content]
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(data)
    result = read(path)
    assert not result.accepted
    assert len(result.problems.items) == 1
    p = result.problems.errors[0]
    assert p.file == FILE_NAME and "nicht gelesen" in p.message and ".xlsx" in p.expected
    assert ("0 Bytes" in p.message) == (content == "empty")
    assert all(f.is_empty() for f in result.tables.values())


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_a_path_that_is_no_file_is_one_error_never_an_exception(tmp_path, kind):
    # the workbook is read into memory first; where that fails, the report is the one of the path
    path = tmp_path / "weg.xlsx"
    if kind == "directory":
        path.mkdir()
    result = read(path)
    assert not result.accepted and len(result.problems.items) == 1
    p = result.problems.errors[0]
    assert "nicht gelesen" in p.message and ".xlsx" in p.expected and "0 Bytes" not in p.message
    assert ("FileNotFoundError" in p.message) == (kind == "missing")
    assert all(f.is_empty() for f in result.tables.values())


# --- structure errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("sheet", ["Meta", "Raeumungsklagen", "Zwangsraeumungen", "Zugang"])
def test_missing_sheet(tmp_path, sheet):
    sheets = valid_sheets()
    del sheets[sheet]
    result = read(tmp_path / "m.xlsx", sheets)
    assert not result.accepted
    p = one(result, FEHLER, sheet=sheet)
    assert f"'{sheet}' fehlt" in p.message
    assert all(f.is_empty() for f in result.tables.values())


@pytest.mark.parametrize("sheet,header", [("Raeumungsklagen", "Fall-ID"), ("Raeumungsklagen", "Eingang Mitteilung"),
                                          ("Zwangsraeumungen", "Eingang Mitteilung GV"), ("Zugang", "Erfuellt"),
                                          ("Meta", "Wert")])
def test_missing_required_column(tmp_path, sheet, header):
    sheets = rename_header(valid_sheets(), sheet, header, header + " alt")
    result = read(tmp_path / "c.xlsx", sheets)
    assert not result.accepted
    p = one(result, FEHLER, sheet=sheet, column=header)
    assert p.row == 1 and p.message == "Pflichtspalte fehlt." and header in p.expected
    # the renamed column itself is an unknown column (warned), and no row is reported for it
    one(result, WARNUNG, sheet=sheet, column=header + " alt")
    assert not find(result, FEHLER, sheet=sheet, message="Pflichtangabe fehlt.")


def test_empty_sheet_is_an_error(tmp_path):
    sheets = valid_sheets()
    sheets["Zwangsraeumungen"] = []
    result = read(tmp_path / "e.xlsx", sheets)
    p = one(result, FEHLER, sheet="Zwangsraeumungen")
    assert "leer" in p.message and p.row == 1


# --- Meta ----------------------------------------------------------------------------------------

META_ROW = {"Bezirk": 2, "Jahr": 3, "Quartal": 4, "Formularversion": 5, "Stand": 6}


@pytest.mark.parametrize("feld,value,text", [
    ("Bezirk", "13", "Unbekannter Bezirk"), ("Bezirk", "Mitte-Nord", "Unbekannter Bezirk"),
    ("Jahr", "20x4", "'Jahr'"), ("Jahr", 2015, "'Jahr'"), ("Jahr", 2025, "'Jahr'"), ("Jahr", "2024,5", "'Jahr'"),
    ("Quartal", 5, "'Quartal'"), ("Quartal", "Q2", "'Quartal'"), ("Quartal", 0, "'Quartal'"),
    ("Formularversion", 2, "'Formularversion'"), ("Stand", "5.7.24", "'Stand'"), ("Stand", "0000-01-01", "'Stand'"),
])
def test_meta_invalid_values(tmp_path, feld, value, text):
    result = read(tmp_path / "m.xlsx", valid_sheets(**{feld: value}))
    assert not result.accepted
    p = one(result, FEHLER, sheet="Meta", row=META_ROW[feld], column="Wert")
    assert text in p.message and p.value == str(value) and p.expected


@pytest.mark.parametrize("feld", ["Bezirk", "Jahr", "Quartal", "Formularversion"])
def test_meta_missing_required_field(tmp_path, feld):
    result = read(tmp_path / "m.xlsx", valid_sheets(**{feld: None}))
    assert not result.accepted
    p = one(result, FEHLER, sheet="Meta", column="Wert")
    assert f"Pflichtfeld '{feld}'" in p.message and p.row is None


def test_meta_empty_required_value_and_unknown_field(tmp_path):
    sheets = valid_sheets()
    sheets["Meta"] = meta_table() + [["Quartal", None], ["Sachgebiet", "SozWoh"]]
    sheets["Meta"].pop(3)  # the original Quartal row; the empty one is now row 7
    result = read(tmp_path / "m.xlsx", sheets)
    assert one(result, FEHLER, sheet="Meta", row=7, column="Wert").message.startswith("Pflichtfeld 'Quartal'")
    w = one(result, WARNUNG, sheet="Meta", row=8, column="Feld")
    assert w.value == "Sachgebiet" and "Unbekanntes Feld" in w.message


def test_meta_below_empty_rows_with_an_unnamed_column(tmp_path):
    # the header is the first filled row (here row 3), the rows are numbered as in the spreadsheet; a
    # third column without header but with a value is warned (Meta is read as Python values)
    sheets = valid_sheets(Quartal="Q2")
    meta = [[None, None, None], [None, None, None]] + [row + [None] for row in sheets["Meta"]]
    meta[4][2] = "Notiz"
    sheets["Meta"] = meta
    result = read(tmp_path / "m.xlsx", sheets)
    assert one(result, FEHLER, sheet="Meta", column="Wert").row == 6  # Bezirk 4, Jahr 5, Quartal 6
    w = one(result, WARNUNG, sheet="Meta", column="Spalte 3")
    assert w.row == 3 and "keine Überschrift" in w.message
    assert result.bezirk_nr == "01" and result.year == 2024


# --- row errors: one workbook full of them (all are collected) -----------------------------------

BROKEN_RK = [
    RK_ROWS[0],                                                                              # 2 valid
    {"Fall-ID": "B-2", "Eingang Mitteilung": "31.02.2024"},                                  # 3
    {"Fall-ID": "B-3", "Eingang Mitteilung": date(2024, 4, 3), "Versand Anschreiben": "2024/04/05"},  # 4
    {"Fall-ID": "B-4", "Eingang Mitteilung": date(2024, 4, 3), "Versand Anschreiben": date(2024, 4, 4),
     "Reaktion": "vielleicht"},                                                              # 5
    {"Fall-ID": "B-5", "Eingang Mitteilung": date(2024, 4, 3), "Ergebnis": "erledigt"},      # 6
    {"Fall-ID": "B-6", "Eingang Mitteilung": date(2024, 4, 10), "Versand Anschreiben": date(2024, 4, 9),
     "Reaktion": "ja"},                                                                      # 7
    {"Fall-ID": "B-7", "Eingang Mitteilung": date(2024, 4, 10), "Versand Anschreiben": date(2024, 4, 11),
     "Reaktion": "nein", "Hausbesuch 1": date(2024, 4, 8)},                                  # 8
    {"Fall-ID": "B-8", "Eingang Mitteilung": date(2024, 4, 10), "Versand Anschreiben": date(2024, 4, 11),
     "Reaktion": "nein", "Hausbesuch 1": date(2024, 4, 12), "Hausbesuch 2": date(2024, 4, 9)},  # 9
    {"Fall-ID": "B-9", "Eingang Mitteilung": date(2024, 4, 10), "Versand Anschreiben": date(2024, 4, 11),
     "Reaktion": "nein", "Hausbesuch 1": date(2024, 4, 22), "Hausbesuch 2": date(2024, 4, 18)},  # 10
    {"Fall-ID": None, "Eingang Mitteilung": date(2024, 4, 10)},                              # 11
    {"Fall-ID": "B-11", "Versand Anschreiben": date(2024, 4, 12), "Reaktion": "ja"},         # 12
    {"Fall-ID": "A-1", "Eingang Mitteilung": date(2024, 4, 2)},                              # 13 duplicate of 2
    {"Fall-ID": "B-13", "Eingang Mitteilung": date(2024, 7, 1)},                             # 14 after Q2
    {"Fall-ID": "B-14", "Eingang Mitteilung": "31.03.2022"},                                 # 15 > 2 years back
    {"Fall-ID": "B-15", "Eingang Mitteilung": date(2022, 4, 1), "Versand Anschreiben": date(2022, 4, 4),
     "Reaktion": "ja"},                                                                      # 16 fine
]
BROKEN_ZR = [
    ZR_ROWS[0],                                                                              # 2 valid
    {"Fall-ID": "C-2", "Eingang Mitteilung GV": date(2024, 5, 2), "Versand Anschreiben": date(2024, 4, 30)},  # 3
    {"Fall-ID": "C-3", "Eingang Mitteilung GV": "gestern"},                                  # 4
    {"Fall-ID": "C-4", "Eingang Mitteilung GV": date(2024, 5, 2), "Raeumung durchgefuehrt": "j"},  # 5
    {"Fall-ID": "A-1", "Eingang Mitteilung GV": "2024-13-01"},                # 6 (a Fall-ID may repeat across sheets)
]


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> ReadResult:
    sheets = valid_sheets(rk_rows=BROKEN_RK, zr_rows=BROKEN_ZR)
    zugang = sheets["Zugang"]
    set_cell(sheets, "Zugang", 3, "Erfuellt", "vielleicht")       # Nr 2
    set_cell(sheets, "Zugang", 4, "Erfuellt", None)               # Nr 3
    set_cell(sheets, "Zugang", 8, "Nr", 6)                        # Nr 7 missing, 6 twice
    zugang.append([8, "Eigener Standard", "ja", None])            # row 9: no such standard
    return read(tmp_path_factory.mktemp("broken") / "b.xlsx", sheets)


def test_broken_workbook_is_rejected_with_all_errors(broken):
    assert not broken.accepted
    assert all(f.is_empty() for f in broken.tables.values())
    # every error below is collected, none stops the others
    assert len(broken.problems.errors) == 23, [p.describe() for p in broken.problems.errors]


@pytest.mark.parametrize("sheet,row,column,value", [
    ("Raeumungsklagen", 3, "Eingang Mitteilung", "31.02.2024"),
    ("Raeumungsklagen", 4, "Versand Anschreiben", "2024/04/05"),
    ("Zwangsraeumungen", 4, "Eingang Mitteilung GV", "gestern"),
    ("Zwangsraeumungen", 6, "Eingang Mitteilung GV", "2024-13-01"),
])
def test_invalid_date(broken, sheet, row, column, value):
    p = one(broken, FEHLER, sheet=sheet, row=row, column=column)
    assert p.message == "Ungültiges Datum." and p.value == value and "TT.MM.JJJJ" in p.expected


@pytest.mark.parametrize("sheet,row,column,value", [
    ("Raeumungsklagen", 5, "Reaktion", "vielleicht"),
    ("Zwangsraeumungen", 5, "Raeumung durchgefuehrt", "j"),
    ("Zugang", 3, "Erfuellt", "vielleicht"),
])
def test_invalid_yesno(broken, sheet, row, column, value):
    p = one(broken, FEHLER, sheet=sheet, row=row, column=column)
    assert p.message == "Ungültige Ja/Nein-Angabe." and p.value == value and "'ja', 'nein'" in p.expected


def test_invalid_ergebnis(broken):
    p = one(broken, FEHLER, sheet="Raeumungsklagen", row=6, column="Ergebnis")
    assert p.value == "erledigt" and "'Wohnraum erhalten'" in p.expected and "'unbekannt'" in p.expected


@pytest.mark.parametrize("sheet,row,column,value", [
    ("Raeumungsklagen", 7, "Versand Anschreiben", "09.04.2024 (Eingang: 10.04.2024)"),
    ("Raeumungsklagen", 8, "Hausbesuch 1", "08.04.2024 (Eingang: 10.04.2024)"),
    ("Raeumungsklagen", 9, "Hausbesuch 2", "09.04.2024 (Eingang: 10.04.2024)"),
    ("Zwangsraeumungen", 3, "Versand Anschreiben", "30.04.2024 (Eingang: 02.05.2024)"),
])
def test_letter_or_visit_before_arrival(broken, sheet, row, column, value):
    p = [p for p in find(broken, FEHLER, sheet=sheet, row=row, column=column) if "Eingang" in p.message]
    assert len(p) == 1 and p[0].value == value and "vor dem Eingang" in p[0].message


def test_second_visit_before_first(broken):
    p = one(broken, FEHLER, sheet="Raeumungsklagen", row=10, column="Hausbesuch 2")
    assert p.value == "18.04.2024 (Hausbesuch 1: 22.04.2024)" and "vor Hausbesuch 1" in p.message
    # row 9: Hausbesuch 2 before the arrival and before Hausbesuch 1: both reported
    assert len(find(broken, FEHLER, sheet="Raeumungsklagen", row=9, column="Hausbesuch 2")) == 2


def test_empty_required_values(broken):
    p = one(broken, FEHLER, sheet="Raeumungsklagen", row=11, column="Fall-ID")
    assert p.message == "Pflichtangabe fehlt." and p.value is None
    p = one(broken, FEHLER, sheet="Raeumungsklagen", row=12, column="Eingang Mitteilung")
    assert p.message == "Pflichtangabe fehlt." and p.value is None
    p = one(broken, FEHLER, sheet="Zugang", row=4, column="Erfuellt")
    assert p.message == "Pflichtangabe fehlt."


def test_duplicate_fall_id_within_a_sheet(broken):
    p = one(broken, FEHLER, sheet="Raeumungsklagen", row=13, column="Fall-ID")
    assert "mehrfach" in p.message and p.value == "wie in Zeile 2"
    # the same Fall-ID in the other sheet is no duplicate
    assert not find(broken, FEHLER, sheet="Zwangsraeumungen", column="Fall-ID")


def test_fall_ids_never_appear_in_problems(broken):
    text = "\n".join(p.describe() for p in broken.problems.items)
    assert "A-1" not in text and "B-2" not in text


def test_arrival_after_meta_quarter_contradicts_meta(broken):
    p = one(broken, FEHLER, sheet="Raeumungsklagen", row=14, column="Eingang Mitteilung")
    assert p.value == "01.07.2024" and "nach dem Ende" in p.message and "2. Quartal 2024" in p.message
    assert "30.06.2024" in p.expected


def test_arrival_too_long_before_meta_quarter(broken):
    p = one(broken, FEHLER, sheet="Raeumungsklagen", row=15, column="Eingang Mitteilung")
    assert p.value == "31.03.2022" and "mehr als 2 Jahre" in p.message and "01.04.2022" in p.expected
    assert not find(broken, None, sheet="Raeumungsklagen", row=16)  # 01.04.2022 is just inside


def test_zugang_needs_exactly_the_seven_standards(broken):
    p = one(broken, FEHLER, sheet="Zugang", row=8, column="Nr")
    assert p.value == "6" and "mehrfach" in p.message
    p = one(broken, FEHLER, sheet="Zugang", row=None, column="Nr")
    assert p.message == "Zugangsstandard Nr. 7 fehlt."
    p = one(broken, FEHLER, sheet="Zugang", row=9, column="Nr")
    assert p.value == "8" and "1 bis 7" in p.expected


def test_zugang_nr_must_be_a_number(tmp_path):
    sheets = set_cell(valid_sheets(), "Zugang", 2, "Nr", "eins")
    result = read(tmp_path / "z.xlsx", sheets)
    assert one(result, FEHLER, sheet="Zugang", row=2, column="Nr").value == "eins"
    assert one(result, FEHLER, sheet="Zugang", row=None, column="Nr").message == "Zugangsstandard Nr. 1 fehlt."


def test_arrivals_outside_quarter_also_counted_for_zwangsraeumungen(tmp_path):
    rows = [dict(ZR_ROWS[0], **{"Eingang Mitteilung GV": "15.10.2024"})]
    result = read(tmp_path / "q.xlsx", valid_sheets(zr_rows=rows))
    p = one(result, FEHLER, sheet="Zwangsraeumungen", row=2, column="Eingang Mitteilung GV")
    assert p.value == "15.10.2024"


def test_an_arrival_after_the_quarter_next_to_one_in_it(tmp_path):
    # only the late row is an error; a case did arrive in the quarter, so no warning about the quarter
    rows = [dict(RK_ROWS[0]), {"Fall-ID": "L-2", "Eingang Mitteilung": date(2024, 7, 3)}]
    result = read(tmp_path / "q.xlsx", valid_sheets(rk_rows=rows))
    p = one(result, FEHLER, sheet="Raeumungsklagen", column="Eingang Mitteilung")
    assert p.row == 3 and p.value == "03.07.2024" and "nach dem Ende" in p.message
    assert not find(result, WARNUNG, sheet="Raeumungsklagen", column="Eingang Mitteilung")
    # all arrivals after the quarter: each one an error, and none in the quarter is warned
    rows = [{"Fall-ID": "L-1", "Eingang Mitteilung": date(2024, 7, 1)},
            {"Fall-ID": "L-2", "Eingang Mitteilung": "03.07.2024"}]
    result = read(tmp_path / "r.xlsx", valid_sheets(rk_rows=rows))
    assert [p.row for p in find(result, FEHLER, sheet="Raeumungsklagen", column="Eingang Mitteilung")] == [2, 3]
    assert "Kein Fall" in one(result, WARNUNG, sheet="Raeumungsklagen", column="Eingang Mitteilung").message


def test_empty_reaktion_after_letter_next_to_an_invalid_one(tmp_path):
    # an invalid answer sends the yes/no cells through the general parser: an empty one is still found
    rows = [dict(RK_ROWS[0], Reaktion="vielleicht"), {k: v for k, v in RK_ROWS[1].items() if k != "Reaktion"}]
    result = read(tmp_path / "r.xlsx", valid_sheets(rk_rows=rows))
    assert one(result, FEHLER, sheet="Raeumungsklagen", column="Reaktion").row == 2
    w = one(result, WARNUNG, sheet="Raeumungsklagen", column="Reaktion")
    assert w.row == 3 and w.value is None and "unbekannt" in w.message


def test_case_rows_far_down_keep_their_row_numbers(tmp_path):
    # row numbers beyond the first few thousand (the reader's remembered numbers grow with the sheet)
    sheets = valid_sheets()
    sheets["Raeumungsklagen"] += [[None] * len(RK)] * 5200 + [[RK_ROWS[1][h] if h in RK_ROWS[1] else None
                                                               for h in RK]]
    sheets["Raeumungsklagen"][-1][0] = "A-9"
    result = read(tmp_path / "f.xlsx", sheets)
    assert result.accepted, [p.describe() for p in result.problems.items]
    assert result.tables["erhebungsbogen_raeumungsklagen"]["source_row"].to_list() == [2, 3, 4, 5205]


# --- personal data -------------------------------------------------------------------------------

@pytest.mark.parametrize("header", ["Name", " NAME ", "Vorname", "Nachname", "Name des Mieters", "Mietername",
                                    "Mieter-Name", "Anschrift", "Adresse", "Wohnadresse", "Straße", "Strasse",
                                    "Geburtsdatum", "Telefon", "Telefonnummer", "E-Mail", "Email", "E-Mail Mieter"])
def test_personal_data_headers_are_recognised(header):
    assert personal_term(header) is not None


@pytest.mark.parametrize("header", [*RK, *ZR, *ZG, "Feld", "Wert", "Bemerkung intern", "Kontakt", "Stand",
                                    "Namensraum", None, ""])
def test_form_headers_are_not_personal_data(header):
    # 'Namensraum' starts with 'name' but only whole words / compounds ending in it count for 'name'
    assert personal_term(header) is None


@pytest.fixture(scope="module")
def personal(tmp_path_factory) -> ReadResult:
    sheets = add_column(valid_sheets(), "Raeumungsklagen", "Name des Mieters", ["Erika Mustermann", "Max Muster", None])
    sheets["Notizen"] = [[None, None], ["Fall", "Geburtsdatum"], ["A-1", date(1970, 1, 1)]]
    sheets["Meta"].append(["Telefon", "030 1234567"])
    return read(tmp_path_factory.mktemp("personal") / "p.xlsx", sheets)


def test_personal_data_column_rejects_the_file(personal):
    assert not personal.accepted
    assert all(f.is_empty() for f in personal.tables.values())
    p = one(personal, FEHLER, sheet="Raeumungsklagen", column="Name des Mieters")
    assert p.row == 1 and p.value == "Name des Mieters"
    assert "Datenschutz" in p.message and "nicht übermittelt" in p.message and "nicht geladen" in p.message
    # the column is not also reported as an unknown column
    assert len(find(personal, None, column="Name des Mieters")) == 1


def test_personal_data_in_any_sheet_and_in_meta(personal):
    p = one(personal, FEHLER, sheet="Notizen", column="Geburtsdatum")
    assert p.row == 2 and "Datenschutz" in p.message
    p = one(personal, FEHLER, sheet="Meta", column="Feld")
    assert p.value == "Telefon" and p.row == 8 and "Datenschutz" in p.message


def test_personal_values_are_never_repeated(personal):
    text = "\n".join(p.describe() for p in personal.problems.items)
    assert "Mustermann" not in text and "1234567" not in text and "1970" not in text


# --- warnings ------------------------------------------------------------------------------------

WARN_RK = [
    RK_ROWS[0],                                                                              # 2
    {"Fall-ID": "W-1", "Eingang Mitteilung": date(2024, 4, 2), "Versand Anschreiben": date(2024, 7, 1),
     "Reaktion": "ja"},                                                                      # 3: 61 Arbeitstage
    {"Fall-ID": "W-2", "Eingang Mitteilung": date(2024, 4, 2), "Versand Anschreiben": date(2024, 6, 28),
     "Reaktion": "ja"},                                                                      # 4: 60, fine
    {"Fall-ID": "W-3", "Eingang Mitteilung": date(2024, 5, 6), "Versand Anschreiben": date(2024, 5, 7)},  # 5
    {"Fall-ID": "W-4", "Eingang Mitteilung": date(2024, 5, 6), "Versand Anschreiben": date(2024, 5, 7),
     "Reaktion": "nein", "Hausbesuch 2": date(2024, 5, 20)},                                 # 6
    {"Fall-ID": "W-5", "Eingang Mitteilung": date(2024, 6, 3), "Versand Anschreiben": date(2024, 6, 4),
     "Reaktion": "nein", "Hausbesuch 1": date(2024, 7, 20)},                                 # 7 future
]
WARN_ZR = [
    ZR_ROWS[0],                                                                              # 2
    {"Fall-ID": "V-1", "Eingang Mitteilung GV": date(2024, 6, 10), "Anwesenheit Fachstelle": "ja"},  # 3
    {"Fall-ID": "V-2", "Eingang Mitteilung GV": date(2024, 6, 10), "Raeumungstermin": "20.08.2024",
     "Anwesenheit Fachstelle": "nein"},                                                     # 4 future
]


@pytest.fixture(scope="module")
def warned(tmp_path_factory) -> ReadResult:
    sheets = valid_sheets(rk_rows=WARN_RK, zr_rows=WARN_ZR, Stand=date(2024, 7, 20))
    return read(tmp_path_factory.mktemp("warn") / "w.xlsx", sheets, name="bogen.xlsx")


def test_warnings_accept_the_workbook(warned):
    assert warned.accepted
    assert warned.tables["erhebungsbogen_raeumungsklagen"].height == 6
    assert len(warned.problems.warnings) == 7, [p.describe() for p in warned.problems.items]
    assert len(warned.problems.items) == 7


def test_letter_more_than_60_working_days_after_arrival(warned):
    # 02.04.2024 (Tue) -> 01.07.2024: 61 working days (1 May, Ascension 9 May, Whit Monday 20 May off)
    p = one(warned, WARNUNG, sheet="Raeumungsklagen", row=3, column="Versand Anschreiben")
    assert p.value == "01.07.2024 (61 Arbeitstage nach Eingang)" and "mehr als 60 Arbeitstage" in p.message
    assert not find(warned, WARNUNG, sheet="Raeumungsklagen", row=4)  # 28.06.2024 is exactly 60


def test_empty_reaktion_after_letter(warned):
    p = one(warned, WARNUNG, sheet="Raeumungsklagen", row=5, column="Reaktion")
    assert p.value is None and "unbekannt" in p.message and "keine Reaktion" in p.message


def test_second_visit_without_first(warned):
    p = one(warned, WARNUNG, sheet="Raeumungsklagen", row=6, column="Hausbesuch 1")
    assert "Hausbesuch 2 ist angegeben" in p.message


@pytest.mark.parametrize("sheet,row,column,value", [
    ("Raeumungsklagen", 7, "Hausbesuch 1", "20.07.2024"),
    ("Zwangsraeumungen", 4, "Raeumungstermin", "20.08.2024"),
    ("Meta", 6, "Wert", "20.07.2024"),
])
def test_date_in_the_future(warned, sheet, row, column, value):
    p = one(warned, WARNUNG, sheet=sheet, row=row, column=column)
    assert "Zukunft" in p.message and "15.07.2024" in p.message and p.value == value


def test_eviction_attended_without_vorheriger_kontakt(warned):
    p = one(warned, WARNUNG, sheet="Zwangsraeumungen", row=3, column="Vorheriger Kontakt")
    assert p.value is None and "anwesend" in p.message


def test_file_name_contradicting_meta_is_warned(tmp_path):
    result = read(tmp_path / "f.xlsx", valid_sheets(Bezirk="02"), name="x/erhebungsbogen_01_2024Q2.xlsx")
    assert result.accepted and result.bezirk_nr == "02"
    p = one(result, WARNUNG, sheet="Meta")
    assert p.value == "erhebungsbogen_01_2024Q2.xlsx" and "Bezirk 02" in p.message


def test_no_arrival_in_the_meta_quarter_is_warned(tmp_path):
    rows = [{"Fall-ID": "Q-1", "Eingang Mitteilung": date(2024, 3, 28), "Versand Anschreiben": date(2024, 3, 28),
             "Reaktion": "ja"},
            {"Fall-ID": "Q-2", "Eingang Mitteilung": "12.02.2024"}]
    result = read(tmp_path / "q.xlsx", valid_sheets(rk_rows=rows))
    assert result.accepted
    p = one(result, WARNUNG, sheet="Raeumungsklagen", column="Eingang Mitteilung")
    assert p.row is None and "Kein Fall" in p.message and "01.04.2024" in p.expected


# --- size ----------------------------------------------------------------------------------------

def test_five_thousand_case_rows(tmp_path):
    """Sanity for a vectorised reader: 5,000 case rows read in one go (no timing asserted)."""
    arrivals = pl.date_range(date(2024, 4, 1), date(2024, 6, 30), eager=True).to_list()
    rk = [{"Fall-ID": f"R{i:05d}", "Eingang Mitteilung": arrivals[i % len(arrivals)],
           "Versand Anschreiben": arrivals[i % len(arrivals)], "Reaktion": i % 3 == 0} for i in range(4000)]
    zr = [{"Fall-ID": f"G{i:05d}", "Eingang Mitteilung GV": arrivals[i % len(arrivals)],
           "Raeumung durchgefuehrt": "nein"} for i in range(1000)]
    zugang = [{"Nr": n, "Erfuellt": "ja"} for n in range(1, 8)]
    path = write_workbook(tmp_path / "gross.xlsx", {"Bezirk": "10", "Jahr": 2024, "Quartal": 2,
                                                    "Formularversion": 1}, rk, zr, zugang)
    result = read(path)
    assert result.accepted, [p.describe() for p in result.problems.items[:5]]
    assert result.tables["erhebungsbogen_raeumungsklagen"].height == 4000
    assert result.tables["erhebungsbogen_zwangsraeumungen"].height == 1000
    assert result.tables["erhebungsbogen_raeumungsklagen"]["reaktion"].sum() == 1334
    assert result.tables["erhebungsbogen_raeumungsklagen"]["fall_id"].n_unique() == 4000


# --- the fast path: usual shapes and the general parsers agree -----------------------------------

USUAL_RK = [  # as a district's Excel writes them: date cells, ja/nein, Ergebnis as on the form
    {"Fall-ID": "S-1", "Eingang Mitteilung": date(2024, 4, 2), "Versand Anschreiben": date(2024, 4, 4),
     "Reaktion": "nein", "Hausbesuch 1": datetime(2024, 4, 15, 10, 30), "Hausbesuch 1 zu zweit": "ja",
     "Ergebnis": "Wohnraum erhalten"},
    {"Fall-ID": "S-2", "Eingang Mitteilung": date(2024, 5, 6), "Versand Anschreiben": date(2024, 5, 7),
     "Reaktion": "ja", "Ergebnis": "offen"},
]
OTHER_SPELLINGS_RK = [  # the same values in the other accepted spellings: the general parsers read them
    {"Fall-ID": " S-1 ", "Eingang Mitteilung": "02.04.2024", "Versand Anschreiben": "2024-04-04",
     "Reaktion": " Nein", "Hausbesuch 1": "15.4.2024", "Hausbesuch 1 zu zweit": "X",
     "Ergebnis": "wohnraum  ERHALTEN"},
    {"Fall-ID": "S-2", "Eingang Mitteilung": "2024-05-06 00:00", "Versand Anschreiben": date(2024, 5, 7),
     "Reaktion": "JA", "Ergebnis": " offen "},
]


def test_usual_shapes_and_other_spellings_give_the_same_rows(tmp_path):
    usual = read(tmp_path / "u.xlsx", valid_sheets(rk_rows=USUAL_RK))
    other = valid_sheets(rk_rows=OTHER_SPELLINGS_RK, Stand="05.07.2024")
    set_cell(other, "Zugang", 2, "Nr", " 1.0 ")
    other = read(tmp_path / "o.xlsx", other)
    assert usual.accepted and other.accepted, [p.describe() for p in other.problems.items]
    for t in TABLES:
        assert usual.tables[t].equals(other.tables[t]), t
    assert usual.tables["erhebungsbogen_raeumungsklagen"]["hausbesuch_1"].to_list() == [date(2024, 4, 15), None]


def test_tables_have_the_raw_layers_types(tmp_path):
    # the usual shapes (recognised) and the other spellings (general parsers): the raw layer's types
    from pipelines.ingest.erhebungsbogen import _raw_schema

    other = valid_sheets(rk_rows=OTHER_SPELLINGS_RK, Stand="05.07.2024")
    set_cell(other, "Zugang", 2, "Nr", " 1.0 ")
    set_cell(other, "Zugang", 3, "Erfuellt", " JA")
    for name, sheets in (("u", valid_sheets(rk_rows=USUAL_RK)), ("o", other)):
        result = read(tmp_path / f"{name}.xlsx", sheets)
        assert result.accepted, [p.describe() for p in result.problems.items]
        for t in TABLES:
            assert dict(result.tables[t].schema) == _raw_schema(t), (name, t)


@pytest.mark.parametrize("text", ["2024-02-30 00:00:00", "2023-02-29 00:00:00", "2024-13-01 00:00:00",
                                  "2024-04-00 00:00:00", "0000-01-01 00:00:00", "２024-04-15 00:00:00"])
def test_a_date_cell_that_is_no_date_is_invalid(tmp_path, text):
    # text in the shape of a date cell, but no calendar day: the usual-shape path must still reject it
    rows = [dict(RK_ROWS[0], **{"Hausbesuch 2": text})]
    result = read(tmp_path / "d.xlsx", valid_sheets(rk_rows=rows))
    p = one(result, FEHLER, sheet="Raeumungsklagen", row=2, column="Hausbesuch 2")
    assert p.message == "Ungültiges Datum." and p.value == text


def test_a_date_cell_of_a_leap_day_or_with_a_time_is_that_day(tmp_path):
    rows = [dict(RK_ROWS[1], **{"Fall-ID": "L-1", "Eingang Mitteilung": "2024-02-29 00:00:00",
                                "Versand Anschreiben": "2024-03-01 13:45:00"})]
    result = read(tmp_path / "l.xlsx", valid_sheets(rk_rows=rows + RK_ROWS[:1]))
    rk = result.tables["erhebungsbogen_raeumungsklagen"]
    assert result.accepted and rk["eingang_mitteilung"][0] == date(2024, 2, 29)
    assert rk["versand_anschreiben"][0] == date(2024, 3, 1)


# --- parameters are data: cached by their contents -------------------------------------------------

def test_rules_follow_the_seed_file(tmp_path, monkeypatch):
    from pipelines.common import bezirke
    from pipelines.ingest.erhebungsbogen import PRUEFREGELN_SEED, pruefregeln

    seed = (bezirke.PARAMETERS_DIR / PRUEFREGELN_SEED).read_text(encoding="utf-8")
    monkeypatch.setattr(bezirke, "PARAMETERS_DIR", tmp_path)
    (tmp_path / PRUEFREGELN_SEED).write_text(seed, encoding="utf-8")
    assert pruefregeln()["versand_spaet_arbeitstage"] == 60
    sheets = valid_sheets(rk_rows=WARN_RK, zr_rows=WARN_ZR, Stand=date(2024, 7, 20))
    assert [p.row for p in find(read(tmp_path / "w.xlsx", sheets), WARNUNG, column="Versand Anschreiben")] == [3]
    # an edited threshold counts at once (row 4 is exactly 60 working days after arrival)
    (tmp_path / PRUEFREGELN_SEED).write_text(seed.replace("versand_spaet_arbeitstage,60", "versand_spaet_arbeitstage,59"),
                                             encoding="utf-8")
    assert pruefregeln()["versand_spaet_arbeitstage"] == 59
    assert [p.row for p in find(read(tmp_path / "w.xlsx"), WARNUNG, column="Versand Anschreiben")] == [3, 4]
    # a broken file is an error every time, not only the first
    (tmp_path / PRUEFREGELN_SEED).write_text(seed.replace("jahr_min,2016", "jahr_min,zwanzig"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ValueError, match="jahr_min"):
            pruefregeln()


def test_working_day_calendar_is_cached_by_its_settings(tmp_path):
    from pipelines.ingest.arbeitskalender import build_arbeitskalender, cached_arbeitskalender

    settings = tmp_path / "einstellungen.csv"

    def write(heiligabend: str) -> None:
        settings.write_text("einstellung,wert,beschreibung\n"
                            f"heiligabend_arbeitsfrei,{heiligabend},x\nsilvester_arbeitsfrei,true,x\n"
                            "erstes_jahr,2024\nletztes_jahr,2025\n", encoding="utf-8")

    write("true")
    frei = cached_arbeitskalender(2024, 2025, settings)
    assert frei.equals(build_arbeitskalender(2024, 2025, settings))
    assert cached_arbeitskalender(2024, 2025, settings) is frei  # built once
    write("false")
    offen = cached_arbeitskalender(2024, 2025, settings)
    assert offen.equals(build_arbeitskalender(2024, 2025, settings)) and not offen.equals(frei)
    heiligabend = offen.filter(pl.col("datum") == date(2024, 12, 24))
    assert heiligabend["is_arbeitstag"].to_list() == [True]


def test_broken_calendar_settings_fail_only_where_a_letter_is_counted(tmp_path, monkeypatch):
    from pipelines.ingest import arbeitskalender

    broken = tmp_path / "einstellungen.csv"
    broken.write_text("einstellung,wert\nheiligabend_arbeitsfrei,vielleicht\n", encoding="utf-8")
    monkeypatch.setattr(arbeitskalender, "SETTINGS_FILE", broken)
    without_letters = read(tmp_path / "n.xlsx", valid_sheets(rk_rows=[], zr_rows=[]))
    assert without_letters.accepted  # no letter to count: the calendar is not needed
    with pytest.raises(ValueError, match="heiligabend_arbeitsfrei"):  # a configuration error, not a report
        read(tmp_path / "v.xlsx", valid_sheets())


def test_a_workbook_without_any_date_is_read(tmp_path):
    # no case rows and no Stand: no date to parse at all
    result = read(tmp_path / "n.xlsx", valid_sheets(rk_rows=[], zr_rows=[], Stand=None))
    assert result.accepted and result.problems.items == []
    assert result.tables["erhebungsbogen_meta"]["stand"].to_list() == [None]
    assert result.tables["erhebungsbogen_raeumungsklagen"].height == 0
