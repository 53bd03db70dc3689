"""Tests of the problem collector and the German per-file report (text and CSV)."""

from __future__ import annotations

import csv

import polars as pl

from pipelines.common.problems import Problems, report_name, write_report


def sample() -> Problems:
    p = Problems("bezirk05/erhebungsbogen_05_2024Q1.xlsx")
    p.note("Hinweis ohne Ort.")
    p.warning("Datum liegt in der Zukunft.", sheet="Raeumungsklagen", row=7, column="Hausbesuch 1",
              value="01.01.2099", expected="ein Datum bis heute")
    p.error("Ungültiges Datum.", sheet="Raeumungsklagen", row=12, column="Eingang Mitteilung",
            value="31.02.2024", expected="TT.MM.JJJJ")
    p.error("Pflichtspalte fehlt.", sheet="Meta", row=1, column="Jahr", expected="Feld Jahr")
    return p


def test_describe_names_place_value_and_expectation():
    assert sample().items[2].describe() == (
        "Fehler: Datei bezirk05/erhebungsbogen_05_2024Q1.xlsx, Blatt Raeumungsklagen, Zeile 12, "
        "Spalte 'Eingang Mitteilung': Ungültiges Datum. Gefunden: '31.02.2024'. Erwartet: TT.MM.JJJJ.")
    assert sample().items[0].describe() == "Hinweis: Datei bezirk05/erhebungsbogen_05_2024Q1.xlsx: Hinweis ohne Ort."


def test_counts_and_frame():
    p = sample()
    assert (len(p.errors), len(p.warnings), p.has_errors) == (2, 1, True)
    frame = p.to_frame()
    assert frame.height == 4
    assert frame.filter(pl.col("severity") == "Fehler")["row"].to_list() == [12, 1]


def test_add_rows_one_problem_per_bad_row():
    p = Problems("klr_mengen_2019.csv")
    bad = pl.DataFrame({"_row": [3, 9], "Menge": ["12.5", "x"]})
    p.add_rows("Fehler", bad, message="Ungültige Zahl.", expected="1.234,56", sheet=None, column="Menge")
    assert [(i.row, i.column, i.value) for i in p.items] == [(3, "Menge", "12.5"), (9, "Menge", "x")]


def test_report_rejected_text_sorted_german(tmp_path):
    txt = write_report(sample(), tmp_path, accepted=False, sha256="abc123", summary="Zeilen gelesen: 40")
    assert txt.name == "bezirk05__erhebungsbogen_05_2024Q1.xlsx.bericht.txt"
    lines = txt.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Prüfbericht für bezirk05/erhebungsbogen_05_2024Q1.xlsx"
    assert lines[1] == "SHA-256: abc123"
    assert lines[2].startswith("Ergebnis: ABGELEHNT – die Datei wurde nicht geladen")
    assert lines[3] == "Fehler: 2, Warnungen: 1, Hinweise: 1"
    assert lines[4] == "Zeilen gelesen: 40"
    # errors first (sheet Meta before Raeumungsklagen), then warnings, then notes
    f = "Datei bezirk05/erhebungsbogen_05_2024Q1.xlsx"
    assert lines[5] == ""
    assert lines[6] == f"Fehler: {f}, Blatt Meta, Zeile 1, Spalte 'Jahr': Pflichtspalte fehlt. Erwartet: Feld Jahr."
    assert lines[7].startswith(f"Fehler: {f}, Blatt Raeumungsklagen, Zeile 12,")
    assert lines[8].startswith(f"Warnung: {f}, Blatt Raeumungsklagen, Zeile 7,")
    assert lines[9] == f"Hinweis: {f}: Hinweis ohne Ort."
    assert lines[-1] == "Bitte korrigieren Sie die genannten Stellen und senden Sie die Datei erneut ein."


def test_report_accepted_without_problems(tmp_path):
    txt = write_report(Problems("klr_mengen_2019.csv"), tmp_path, accepted=True, sha256="f00")
    text = txt.read_text(encoding="utf-8")
    assert "Ergebnis: ANGENOMMEN\n" in text
    assert "Keine Beanstandungen." in text
    assert "Bitte korrigieren" not in text


def test_report_csv_for_excel(tmp_path):
    write_report(sample(), tmp_path, accepted=False, sha256="abc")
    raw = (tmp_path / "bezirk05__erhebungsbogen_05_2024Q1.xlsx.bericht.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 with umlauts correctly
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == ["Art", "Datei", "Blatt", "Zeile", "Spalte", "Gefundener Wert", "Erwartet", "Meldung"]
    assert rows[3] == ["Fehler", "bezirk05/erhebungsbogen_05_2024Q1.xlsx", "Raeumungsklagen", "12",
                       "Eingang Mitteilung", "31.02.2024", "TT.MM.JJJJ", "Ungültiges Datum."]
    assert rows[1][:5] == ["Hinweis", "bezirk05/erhebungsbogen_05_2024Q1.xlsx", "", "", ""]
    assert len(rows) == 5


def test_report_name_flattens_subfolders():
    assert report_name("a b/c:d.csv") == "a_b__c_d.csv"
