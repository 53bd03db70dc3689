"""Tests of the historical case-volume reader (INPUTS.md §3) and the cross-file overlap check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.ingest.fallzahlen import fallzahlen_conflicts, read_fallzahlen
from pipelines.ingest.raw_tables import columns

HEADER = "Bezirk;Von;Bis;Kennzahl;Wert;Quelle"
D = dt.date


def read(tmp_path: Path, lines: list[str], name: str = "fallzahlen_2017.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return read_fallzahlen(path, name)


def test_valid_file_rows(tmp_path):
    r = read(tmp_path, [
        HEADER,
        "Berlin;01.01.2021;31.12.2021;zwangsraeumungen;1.668;Senatsverwaltung für Justiz",
        "Neukölln;2021-01-01;2021-06-30;Zwangsraeumungen;120;",
        "08;01.07.2021;31.12.2021;zwangsraeumungen;95;",            # adjacent half-year: no overlap
        "5;01.01.2021;31.12.2021;mizi_raeumungsklagen;300;Bezirk",  # other measure
    ], encoding="cp1252")
    assert r.accepted and r.kind == "fallzahlen"
    assert (r.year, r.bezirk_nr) == (2021, None)
    frame = r.tables["fallzahlen"]
    assert frame.columns == [c for c in columns("fallzahlen") if c != "file_id"]
    assert frame.rows() == [
        (2, "BE", D(2021, 1, 1), D(2021, 12, 31), "zwangsraeumungen", 1668, "Senatsverwaltung für Justiz"),
        (3, "08", D(2021, 1, 1), D(2021, 6, 30), "zwangsraeumungen", 120, None),
        (4, "08", D(2021, 7, 1), D(2021, 12, 31), "zwangsraeumungen", 95, None),
        (5, "05", D(2021, 1, 1), D(2021, 12, 31), "mizi_raeumungsklagen", 300, "Bezirk"),
    ]
    assert frame.schema["wert"] == pl.Int64
    assert [p.severity for p in r.problems.items] == ["Hinweis"]  # the Windows-1252 note only


def test_invalid_values(tmp_path):
    r = read(tmp_path, [
        HEADER,
        "Brandenburg;01.01.2015;31.12.2015;mizi_raeumungsklagen;1;",
        "01;2015/01/01;31.12.2015;mizi_raeumungsklagen;1;",
        "02;01.07.2015;30.06.2015;mizi_raeumungsklagen;1;",
        "03;01.01.2015;31.12.2015;raeumungen;1;",
        "04;01.01.2015;31.12.2015;mizi_raeumungsklagen;1,5;",
        "05;01.01.2015;31.12.2015;mizi_raeumungsklagen;-3;",
        "06;01.01.2015;31.12.2015;mizi_raeumungsklagen;12.5;",
        "07;01.01.2015;;mizi_raeumungsklagen;4;",
    ])
    assert not r.accepted and r.tables == {}
    assert sorted((p.row, p.column, p.value) for p in r.problems.errors) == [
        (2, "Bezirk", "Brandenburg"),
        (3, "Von", "2015/01/01"),
        (4, "Von / Bis", "01.07.2015–30.06.2015"),
        (5, "Kennzahl", "raeumungen"),
        (6, "Wert", "1,5"),
        (7, "Wert", "-3"),
        (8, "Wert", "12.5"),
        (9, "Bis", None),
    ]
    by_row = {p.row: p for p in r.problems.errors}
    assert by_row[4].expected == "Von ≤ Bis"
    assert by_row[5].expected == ("eine der Kennzahlen mizi_raeumungsklagen, gv_raeumungsmitteilungen, "
                                  "zwangsraeumungen")
    assert by_row[6].expected == "eine ganze Zahl größer oder gleich 0 (Tausenderpunkte erlaubt, z. B. 1.668)"
    assert by_row[9].message == "Pflichtangabe fehlt."


def test_overlapping_periods_name_both_rows(tmp_path):
    r = read(tmp_path, [
        HEADER,
        "10;01.01.2017;31.12.2017;mizi_raeumungsklagen;900;",
        "11;01.01.2017;31.12.2017;mizi_raeumungsklagen;500;",          # other district
        "10;01.01.2017;31.12.2017;zwangsraeumungen;80;",               # other measure
        "Marzahn-Hellersdorf;01.10.2017;31.03.2018;mizi_raeumungsklagen;250;",
        "10;31.03.2018;30.06.2018;mizi_raeumungsklagen;120;",          # shares 31.03.2018 with line 5
        "10;01.07.2018;30.09.2018;mizi_raeumungsklagen;130;",          # adjacent: fine
    ])
    assert [(p.row, p.value, p.message) for p in r.problems.errors] == [
        (5, "01.10.2017–31.03.2018",
         "Der Zeitraum überschneidet sich für Bezirk 10, Kennzahl mizi_raeumungsklagen mit Zeile 2 "
         "(01.01.2017–31.12.2017)."),
        (6, "31.03.2018–30.06.2018",
         "Der Zeitraum überschneidet sich für Bezirk 10, Kennzahl mizi_raeumungsklagen mit Zeile 5 "
         "(01.10.2017–31.03.2018)."),
    ]
    assert r.problems.errors[0].column == "Von / Bis"


def test_berlin_total_exceeded_is_a_warning(tmp_path):
    r = read(tmp_path, [
        HEADER,
        "Berlin;01.01.2017;31.12.2017;mizi_raeumungsklagen;4.598;Senat",
        "10;01.01.2017;31.12.2017;mizi_raeumungsklagen;2.000;",
        "08;01.01.2017;31.12.2017;mizi_raeumungsklagen;1.700;",
        "01;01.01.2017;31.12.2017;mizi_raeumungsklagen;900;",         # 2000 + 1700 + 900 = 4600 > 4598
        "Berlin;01.01.2017;31.12.2017;gv_raeumungsmitteilungen;3.611;Senat",
        "10;01.01.2017;31.12.2017;gv_raeumungsmitteilungen;3.611;",   # equal: fine
        "Berlin;01.01.2015;31.12.2015;zwangsraeumungen;10;",
        "10;01.01.2015;30.06.2015;zwangsraeumungen;50;",              # other period: not compared
    ])
    assert r.accepted
    [w] = r.problems.warnings
    assert (w.row, w.column, w.value) == (2, "Wert", "4.598")
    assert w.message == ("Die Summe der Bezirkswerte (4.600, Zeilen 3, 4, 5) übersteigt den Berliner Gesamtwert "
                         "4.598 für 01.01.2017–31.12.2017, Kennzahl mizi_raeumungsklagen.")
    assert r.bezirk_nr is None and r.year is None


def test_header_only_and_missing_column(tmp_path):
    empty = read(tmp_path, [HEADER])
    assert empty.accepted and empty.tables["fallzahlen"].height == 0
    assert [p.severity for p in empty.problems.items] == ["Warnung"]

    missing = read(tmp_path, ["Bezirk;Von;Bis;Wert", "01;01.01.2017;31.12.2017;1"], name="fallzahlen_b.csv")
    assert [(p.row, p.column) for p in missing.problems.errors] == [(1, "Kennzahl"), (1, "Quelle")]


def test_conflicts_with_loaded_history():
    new = pl.DataFrame({
        "source_row": [2, 3, 4],
        "bezirk_nr": ["05", "05", "BE"],
        "von": [D(2019, 1, 1), D(2020, 1, 1), D(2019, 1, 1)],
        "bis": [D(2019, 12, 31), D(2020, 12, 31), D(2019, 12, 31)],
        "kennzahl": ["zwangsraeumungen"] * 3,
        "wert": [10, 12, 1500],
    })
    loaded = pl.DataFrame({
        "source_row": [7, 8, 9],
        "bezirk_nr": ["05", "05", "06"],
        "von": [D(2019, 7, 1), D(2021, 1, 1), D(2019, 1, 1)],
        "bis": [D(2019, 9, 30), D(2021, 12, 31), D(2019, 12, 31)],
        "kennzahl": ["zwangsraeumungen"] * 3,
        "path": ["alt/fallzahlen_2019.csv"] * 3,
    })
    problems = fallzahlen_conflicts(new, loaded, "fallzahlen_neu.csv")
    assert [p.describe() for p in problems.items] == [
        "Fehler: Datei fallzahlen_neu.csv, Zeile 2, Spalte 'Von / Bis': Der Zeitraum überschneidet sich für "
        "Bezirk 05, Kennzahl zwangsraeumungen mit Zeile 7 der Datei alt/fallzahlen_2019.csv "
        "(01.07.2019–30.09.2019). Gefunden: '01.01.2019–31.12.2019'. Erwartet: je Bezirk und Kennzahl "
        "überschneidungsfreie Zeiträume.",
    ]
    assert not fallzahlen_conflicts(new, loaded.filter(pl.col("source_row") != 7), "x.csv").items
    renamed = fallzahlen_conflicts(new, loaded.rename({"path": "loaded_from"}), "x.csv")
    assert "mit Zeile 7 der Datei alt/fallzahlen_2019.csv (01.07.2019–30.09.2019)." in renamed.items[0].message
    unnamed = fallzahlen_conflicts(new, loaded.drop("path"), "x.csv")
    assert [p.row for p in unnamed.items] == [2]
    assert "mit Zeile 7 einer bereits geladenen Datei (01.07.2019–30.09.2019)." in unnamed.items[0].message


def test_accepted_rows_fit_the_raw_table(tmp_path):
    import duckdb

    from pipelines.common.warehouse import append_frame
    from pipelines.ingest.raw_tables import create_raw_tables

    r = read(tmp_path, [HEADER, "Berlin;01.01.2013;31.12.2013;mizi_raeumungsklagen;8.323;Senat"])
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_raw_tables(con)
    append_frame(con, "fallzahlen", r.tables["fallzahlen"].with_columns(pl.lit("sha").alias("file_id")))
    assert con.sql("SELECT bezirk_nr, von, wert FROM raw.fallzahlen").fetchall() == [("BE", D(2013, 1, 1), 8323)]
    con.close()
