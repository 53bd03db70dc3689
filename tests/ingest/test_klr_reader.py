"""Tests of the KLR readers and the shared CSV decoding (INPUTS.md §2, general tolerances)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.common.parsing import NUMBER_EXPECTED
from pipelines.ingest.klr import read_klr
from pipelines.ingest.raw_tables import columns

MENGEN_HEADER = "Jahr;Bezirk;Produkt;Produktbezeichnung;Bezugsgroesse;Menge;Budget"
KOSTEN_HEADER = "Jahr;Bezirk;Produkt;Kostenstelle;Kostenstellenbezeichnung;Kosten;Personalkosten;Sachkosten;Umlagen"
STELLEN_HEADER = "Jahr;Bezirk;Produkt;Kostenstelle;Wertigkeit;Stellenanteile"


def write(tmp_path: Path, name: str, lines: list[str], encoding: str = "utf-8", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "\n".join(lines).encode(encoding) + b"\n")
    return path


def read(path: Path):
    return read_klr(path, f"klr/{path.name}")


def only(result, severity: str):
    return [p for p in result.problems.items if p.severity == severity]


# --- mengen ---------------------------------------------------------------------------------------

def test_mengen_all_districts_utf8(tmp_path):
    path = write(tmp_path, "klr_mengen_2019.csv", [
        MENGEN_HEADER,
        "2019;01;80633;Bedarfsfeststellung;Fälle;1.234,5;2.500.000,00",
        "2019;Neukölln;80635.0;Prävention;Fälle;980;",
        "2019;8;12345;Fremdes Produkt;Fälle;7;1,00",
        "",
        "2019;10;99999;Noch eins;Fälle;1;",
        "2019;12;12345;Fremdes Produkt;Fälle;3;",
    ])
    r = read(path)
    assert r.accepted and r.kind == "klr_mengen"
    assert (r.year, r.bezirk_nr) == (2019, None)
    frame = r.tables["klr_mengen"]
    assert frame.columns == [c for c in columns("klr_mengen") if c != "file_id"]
    assert frame.rows() == [
        (2, 2019, "01", "80633", "Bedarfsfeststellung", "Fälle", 1234.5, 2_500_000.0),
        (3, 2019, "08", "80635", "Prävention", "Fälle", 980.0, None),
    ]
    assert frame.schema["source_row"] == pl.Int32 and frame.schema["menge"] == pl.Float64
    notes = [p.describe() for p in only(r, "Hinweis")]
    # one note per foreign product, with the count and the CSV line numbers (line 5 is blank)
    assert notes == [
        "Hinweis: Datei klr/klr_mengen_2019.csv, Spalte 'Produkt': Produkt 12345 gehört nicht zu den Sozialen "
        "Wohnhilfen; 2 Zeilen werden übersprungen (Zeilen 4, 7). Gefunden: '12345'. Erwartet: eine "
        "fünfstellige Produktnummer; geladen werden 80633, 80635, 80921, 80922.",
        "Hinweis: Datei klr/klr_mengen_2019.csv, Spalte 'Produkt': Produkt 99999 gehört nicht zu den Sozialen "
        "Wohnhilfen; 1 Zeile wird übersprungen (Zeile 6). Gefunden: '99999'. Erwartet: eine "
        "fünfstellige Produktnummer; geladen werden 80633, 80635, 80921, 80922.",
    ]


def test_mengen_one_district_windows_1252(tmp_path):
    path = write(tmp_path, "klr_mengen_2020.csv", [
        MENGEN_HEADER,
        "2020;Tempelhof-Schöneberg;80921;Unterbringung (Maßnahme, €-Beträge);Unterbringungsfälle;1.020;",
        "2020;07;80922;Beratung zur Erlangung von Wohnraum;Beratungsfälle;455;12.345,67",
    ], encoding="cp1252")
    r = read(path)
    assert r.accepted and (r.year, r.bezirk_nr) == (2020, "07")
    assert r.tables["klr_mengen"]["produktbezeichnung"].to_list() == [
        "Unterbringung (Maßnahme, €-Beträge)", "Beratung zur Erlangung von Wohnraum"]
    assert r.tables["klr_mengen"]["budget_eur"].to_list() == [None, 12345.67]
    [note] = only(r, "Hinweis")
    assert "erkannte Zeichenkodierung: Windows-1252" in note.message


def test_utf8_with_bom_header_recognised(tmp_path):
    path = write(tmp_path, "klr_mengen_2021.csv", [MENGEN_HEADER, "2021;03;80635;Prävention;Fälle;10;"], bom=True)
    r = read(path)
    assert r.accepted and r.problems.items == []
    assert r.tables["klr_mengen"]["bezugsgroesse"].to_list() == ["Fälle"]


def test_undecodable_bytes_rejected_with_line(tmp_path):
    path = tmp_path / "klr_mengen_2019.csv"
    path.write_bytes(f"{MENGEN_HEADER}\n2019;01;80633;x;F\xe4lle;1;\n2019;02;80633;x;y\x81;1;\n".encode("latin-1"))
    r = read(path)
    assert not r.accepted and r.tables == {}
    [err] = r.problems.errors
    assert (err.row, err.value) == (3, "0x81")
    assert "weder UTF-8 noch Windows-1252" in err.message


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \n\n"])
def test_empty_file_rejected(tmp_path, content):
    path = tmp_path / "klr_stellen_2019.csv"
    path.write_bytes(content)
    r = read(path)
    assert [p.message for p in r.problems.errors] == ["Die Datei ist leer."]


def test_header_only_accepted_with_warning(tmp_path):
    r = read(write(tmp_path, "klr_stellen_2018.csv", [STELLEN_HEADER]))
    assert r.accepted and r.year == 2018
    assert r.tables["klr_stellen"].height == 0
    assert r.tables["klr_stellen"].schema["stellenanteile_vza"] == pl.Float64
    assert [p.severity for p in r.problems.items] == ["Warnung"]


def test_headers_trimmed_case_free_order_missing_and_extra(tmp_path):
    ok = read(write(tmp_path, "klr_stellen_2019.csv", [
        " stellenanteile ;WERTIGKEIT;Kostenstelle;Produkt;Bezirk;Jahr;Bemerkung",
        "0,5;E 9b;4711;80635;05;2019;egal"]))
    assert ok.accepted
    assert ok.tables["klr_stellen"].row(0) == (2, 2019, "05", "80635", "4711", "E 9b", 0.5)
    [warning] = only(ok, "Warnung")
    assert (warning.row, warning.column) == (1, "Bemerkung")
    assert warning.message == "Unbekannte Spalte wird ignoriert."

    missing = read(write(tmp_path, "klr_kosten_2019.csv", [
        "Jahr;Bezirk;Produkt;Kostenstelle;Kosten;Personalkosten;Sachkosten", "2019;01;80633;1;1;1;0"]))
    assert not missing.accepted and missing.tables == {}
    assert [(p.row, p.column) for p in missing.problems.errors] == [(1, "Kostenstellenbezeichnung"), (1, "Umlagen")]
    assert missing.problems.errors[0].describe() == (
        "Fehler: Datei klr/klr_kosten_2019.csv, Zeile 1, Spalte 'Kostenstellenbezeichnung': Pflichtspalte fehlt "
        f"in der Kopfzeile. Erwartet: Kopfzeile {KOSTEN_HEADER} (Reihenfolge frei).")


def test_wrong_separator_and_ragged_lines(tmp_path):
    comma = read(write(tmp_path, "klr_stellen_2019.csv", [STELLEN_HEADER.replace(";", ","), "2019,01,80633,1,E 9,1"]))
    [err] = comma.problems.errors
    assert err.message == "Die Spalten sind nicht durch ';' getrennt." and err.row == 1

    ragged = read(write(tmp_path, "klr_stellen_2020.csv", [STELLEN_HEADER, "2020;01;80633;1;E 9;1",
                                                           "2020;01;80633;1;E 11;1;7"]))
    [err] = ragged.problems.errors
    assert err.row == 3 and "mehr Felder als die Kopfzeile (6)" in err.message


# --- values -----------------------------------------------------------------------------------------

def test_invalid_values_name_row_column_value_expected(tmp_path):
    path = write(tmp_path, "klr_mengen_2019.csv", [
        MENGEN_HEADER,
        "2019;01;80633;a;Fälle;12.5;",          # dot as decimal separator
        "2019;13;80633;a;Fälle;1;",             # no such district
        "19;02;80633;a;Fälle;1;",               # no four-digit year
        "2019;03;8063;a;Fälle;1;",              # not a five-digit product
        "2019;04;80633;a;Fälle;-1;",            # negative quantity
        "2019;05;80633;a;Fälle;;-0,50",         # Menge missing, negative budget
        "2018;06;80633;a;Fälle;1;",             # year contradicts the file name
    ])
    r = read(path)
    assert not r.accepted and r.tables == {}
    found = sorted((p.row, p.column, p.value, p.expected) for p in r.problems.errors)
    assert found == [
        (2, "Menge", "12.5", NUMBER_EXPECTED),
        (3, "Bezirk", "13", "Bezirksnummer 01–12 (auch 1–12) oder der amtliche Name eines der 12 Bezirke"),
        (4, "Jahr", "19", "eine vierstellige Jahreszahl (z. B. 2019)"),
        (5, "Produkt", "8063", "eine fünfstellige Produktnummer; geladen werden 80633, 80635, 80921, 80922"),
        (6, "Menge", "-1", "eine Zahl größer oder gleich 0"),
        (7, "Budget", "-0,50", "eine Zahl größer oder gleich 0"),
        (7, "Menge", None, "ein Wert (Pflichtangabe)"),
        (8, "Jahr", "2018", "2019 in jeder Zeile (oder ein Dateiname ohne Jahreszahl)"),
    ]
    assert all(p.message for p in r.problems.errors)


def test_several_years_without_year_in_name(tmp_path):
    r = read(write(tmp_path, "klr_mengen_historie.csv", [
        MENGEN_HEADER, "2016;01;80633;a;Fälle;1;", "2017;01;80633;a;Fälle;2;"]))
    assert r.accepted and (r.year, r.bezirk_nr) == (None, "01")
    assert r.tables["klr_mengen"]["year"].to_list() == [2016, 2017]
    assert [p.message for p in only(r, "Hinweis")] == ["Die Datei enthält mehrere Jahre: 2016, 2017."]


def test_unknown_file_name_rejected(tmp_path):
    r = read(write(tmp_path, "klr_sonstiges_2019.csv", [MENGEN_HEADER]))
    assert r.kind == "klr" and not r.accepted
    assert r.problems.errors[0].value == "klr_sonstiges_2019.csv"


# --- kosten -------------------------------------------------------------------------------------------

def test_kosten_sum_of_parts_within_one_cent(tmp_path):
    path = write(tmp_path, "klr_kosten_2022.csv", [
        KOSTEN_HEADER,
        "2022;05;80635;KS100;Fachstelle Soziale Wohnhilfen;100,00;50,00;30,00;20,01",     # 1 cent off: fine
        "2022;05;80633;KS100;Fachstelle Soziale Wohnhilfen;1.000,00;600,00;300,00;100,00",
        "2022;05;80921;KS200;Korrektur;-250,00;-300,00;40,00;10,00",                     # correction booking
    ])
    r = read(path)
    assert r.accepted
    assert r.tables["klr_kosten"].select("kosten_eur", "umlagen_eur").rows() == [
        (100.0, 20.01), (1000.0, 100.0), (-250.0, 10.0)]
    [warning] = r.problems.warnings
    assert (warning.row, warning.column, warning.value) == (4, "Kosten", "-250,00")


def test_kosten_sum_of_parts_beyond_one_cent(tmp_path):
    path = write(tmp_path, "klr_kosten_2022.csv", [
        KOSTEN_HEADER,
        "2022;05;80635;KS100;Fachstelle;100,00;50,00;30,00;20,02",
        "2022;05;80633;KS100;Fachstelle;1.234,56;1.000,00;200,00;30,00",
    ])
    r = read(path)
    assert not r.accepted
    assert [p.describe() for p in r.problems.errors] == [
        "Fehler: Datei klr/klr_kosten_2022.csv, Zeile 2, Spalte 'Kosten': Kosten 100,00 € weichen um 0,02 € von "
        "der Summe der Teile ab: Personalkosten 50,00 + Sachkosten 30,00 + Umlagen 20,02 = 100,02 €. "
        "Gefunden: '100,00'. Erwartet: Kosten = Personalkosten + Sachkosten + Umlagen (auf einen Cent genau).",
        "Fehler: Datei klr/klr_kosten_2022.csv, Zeile 3, Spalte 'Kosten': Kosten 1.234,56 € weichen um 4,56 € "
        "von der Summe der Teile ab: Personalkosten 1.000,00 + Sachkosten 200,00 + Umlagen 30,00 = 1.230,00 €. "
        "Gefunden: '1.234,56'. Erwartet: Kosten = Personalkosten + Sachkosten + Umlagen (auf einen Cent genau).",
    ]


def test_kosten_duplicate_cost_centre(tmp_path):
    r = read(write(tmp_path, "klr_kosten_2022.csv", [
        KOSTEN_HEADER,
        "2022;Spandau;80635;KS1;a;1;1;0;0",
        "2022;05;80635;KS2;b;1;1;0;0",
        "2022;5;80635;KS1;c;2;2;0;0",
    ]))
    [err] = r.problems.errors
    assert err.row == 4
    assert err.message == ("Doppelte Zeile für Jahr 2022, Bezirk 05, Produkt 80635, Kostenstelle KS1: "
                           "kommt in den Zeilen 2, 4 vor.")
    assert err.expected == "je Jahr, Bezirk, Produkt und Kostenstelle genau eine Zeile"


# --- stellen ------------------------------------------------------------------------------------------

def test_stellen_grades_normalised_and_duplicates(tmp_path):
    r = read(write(tmp_path, "klr_stellen_2021.csv", [
        STELLEN_HEADER,
        "2021;11;80635;KS1;E 9b;1,5",
        "2021;11;80635;KS1;e9b;0,25",     # same grade, written differently: duplicate key
        "2021;11;80635;KS1;A11;0,75",
        "2021;11;80635;KS1;S 12;-0,1",    # negative staff share
    ]))
    assert not r.accepted
    assert sorted((p.row, p.column, p.message) for p in r.problems.errors) == [
        (3, "Jahr / Bezirk / Produkt / Kostenstelle / Wertigkeit",
         "Doppelte Zeile für Jahr 2021, Bezirk 11, Produkt 80635, Kostenstelle KS1, Wertigkeit E 9b: "
         "kommt in den Zeilen 2, 3 vor."),
        (5, "Stellenanteile", "Der Wert darf nicht negativ sein."),
    ]


def test_stellen_accepted_values(tmp_path):
    r = read(write(tmp_path, "klr_stellen_2021.csv", [
        STELLEN_HEADER,
        "2021;11;80635;KS1;E 9b;1,5",
        "2021;11;80635;KS1;a11;0,75",
        "2021;Lichtenberg;80922;KS1;Beamte  ohne Zuordnung;0",
    ]))
    assert r.accepted and r.bezirk_nr == "11"
    assert r.tables["klr_stellen"].select("wertigkeit", "stellenanteile_vza").rows() == [
        ("E 9b", 1.5), ("A 11", 0.75), ("Beamte ohne Zuordnung", 0.0)]


def test_line_numbers_follow_blank_lines_and_quoted_line_breaks(tmp_path):
    r = read(write(tmp_path, "klr_kosten_2023.csv", [
        KOSTEN_HEADER,
        '2023;01;80635;KS1;"Fachstelle\nSoziale Wohnhilfen";1;1;0;0',
        "",
        "2023;01;80633;KS1;x;1;1;0;0",
        "2023;01;80633;KS2;x;zwei;1;0;0",
    ]))
    [err] = r.problems.errors
    assert (err.row, err.column, err.value) == (6, "Kosten", "zwei")


def test_accepted_rows_fit_the_raw_tables(tmp_path):
    import duckdb

    from pipelines.common.warehouse import append_frame
    from pipelines.ingest.raw_tables import create_raw_tables

    files = {
        "klr_mengen_2019.csv": [MENGEN_HEADER, "2019;01;80633;a;Fälle;1.234,5;"],
        "klr_kosten_2019.csv": [KOSTEN_HEADER, "2019;01;80633;KS1;;10;5;3;2"],
        "klr_stellen_2019.csv": [STELLEN_HEADER, "2019;01;80633;KS1;E 11;0,5"],
    }
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_raw_tables(con)
    for name, lines in files.items():
        r = read(write(tmp_path, name, lines))
        assert r.accepted
        for table, frame in r.tables.items():
            append_frame(con, table, frame.with_columns(pl.lit("sha").alias("file_id")))
    assert con.sql("SELECT menge FROM raw.klr_mengen").fetchall() == [(1234.5,)]
    assert con.sql("SELECT kosten_eur, umlagen_eur FROM raw.klr_kosten").fetchall() == [(10.0, 2.0)]
    assert con.sql("SELECT source_row, wertigkeit FROM raw.klr_stellen").fetchall() == [(2, "E 11")]
    con.close()
