"""Tests of the vectorised parsers in pipelines/common/parsing.py (INPUTS.md tolerances)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipelines.common.parsing import (
    normalise_bezirk, normalise_header, parse_bezirk, parse_date, parse_german_number, parse_yesno)


def run(parser, values, dtype=pl.String):
    parsed, invalid = parser(pl.Series("x", values, dtype))
    return parsed.to_list(), invalid.to_list()


@pytest.mark.parametrize("text, expected", [
    ("1.234,5", 1234.5),
    ("-0,50", -0.5),
    ("1.234.567,89", 1234567.89),
    ("1234", 1234.0),
    ("12,5", 12.5),
    ("1.234", 1234.0),           # a dot is a thousands separator
    (" 1 234,5 ", 1234.5),       # blanks (also as group separator) are ignored
    ("1\u00a0234,5", 1234.5),    # non-breaking space from Excel
    ("+3", 3.0),
])
def test_german_number_valid(text, expected):
    parsed, invalid = run(parse_german_number, [text])
    assert parsed == [pytest.approx(expected)]
    assert invalid == [False]


@pytest.mark.parametrize("text", ["12.5", "12.50", "1.23,4", ",5", "12,", "1,2,3", "-", "1.234,", "1.234€", "abc"])
def test_german_number_rejected(text):
    assert run(parse_german_number, [text]) == ([None], [True])


def test_german_number_empty_is_null_not_invalid():
    assert run(parse_german_number, ["", "   ", None]) == ([None, None, None], [False, False, False])


def test_german_number_numeric_input_passes_through():
    assert run(parse_german_number, [3, None], pl.Int64) == ([3.0, None], [False, False])


def test_parse_date_shapes():
    values = ["01.02.2019", "2019-02-01", "1.2.2019", " 01.02.2019 ", "2019-02-01 00:00:00",
              "01.02.2019 00:00", "29.02.2020", "", None]
    parsed, invalid = run(parse_date, values)
    feb1 = dt.date(2019, 2, 1)
    assert parsed == [feb1] * 6 + [dt.date(2020, 2, 29), None, None]
    assert invalid == [False] * 9


@pytest.mark.parametrize("text", ["31.02.2019", "29.02.2019", "2019-2-1", "01.02.19", "01/02/2019",
                                  "2019-02-01 12:30:00", "morgen", "0000-01-01", "01.01.0000"])
def test_parse_date_rejected(text):
    assert run(parse_date, [text]) == ([None], [True])


def test_parse_date_real_dates_and_datetimes():
    assert run(parse_date, [dt.date(2020, 3, 9), None], pl.Date) == ([dt.date(2020, 3, 9), None], [False, False])
    assert run(parse_date, [dt.datetime(2020, 3, 9), None], pl.Datetime) == ([dt.date(2020, 3, 9), None],
                                                                             [False, False])


def test_parse_yesno():
    parsed, invalid = run(parse_yesno, ["ja", "Nein", " JA ", "x", "X", "", "  ", None, "vielleicht", "j"])
    assert parsed == [True, False, True, True, True, None, None, None, None, None]
    assert invalid == [False] * 8 + [True, True]


def test_parse_bezirk_numbers_and_names():
    values = ["01", "1", "12", "Mitte", "tempelhof schöneberg", "Tempelhof-Schoeneberg", "NEUKÖLLN",
              "Charlottenburg–Wilmersdorf", "Steglitz-Zehlendorf ", "1.0", "", None]
    parsed, invalid = run(parse_bezirk, values)
    assert parsed == ["01", "01", "12", "01", "07", "07", "08", "04", "06", "01", None, None]
    assert invalid == [False] * 12


@pytest.mark.parametrize("text", ["13", "0", "001", "Berlin", "Kreuzberg"])
def test_parse_bezirk_rejected(text):
    assert run(parse_bezirk, [text]) == ([None], [True])


def test_parse_bezirk_integer_column():
    assert run(parse_bezirk, [5, 13], pl.Int64) == (["05", None], [False, True])


def test_normalise_bezirk_single_values():
    assert normalise_bezirk(7.0) == "07"
    assert normalise_bezirk(" Treptow-Köpenick ") == "09"
    assert normalise_bezirk(None) is None
    assert normalise_bezirk("Brandenburg") is None


def test_all_null_column_is_neither_parsed_nor_invalid():
    empty = [None, None]
    for parser in (parse_date, parse_yesno, parse_bezirk, parse_german_number):
        assert run(parser, empty, pl.Null) == ([None, None], [False, False])


def test_normalise_header():
    assert normalise_header("  Eingang   Mitteilung ") == "eingang mitteilung"
    assert normalise_header("BEZUGSGROESSE") == "bezugsgroesse"
    assert normalise_header(None) == ""


def test_parse_date_text_cleans_first_and_is_parse_date_otherwise():
    from pipelines.common.parsing import parse_date_text

    values = ["01.02.2019", "2019-02-01 13:45:00", " 2019-02-01 ", "", None, "31.02.2019", "morgen"]
    s = pl.Series("x", values, pl.String)
    assert [v.to_list() for v in parse_date_text(s)] == [v.to_list() for v in parse_date(s)]
    parsed, invalid = parse_date_text(s, lambda t: t.str.replace(r" 13:45:00$", ""))
    feb1 = dt.date(2019, 2, 1)
    assert parsed.to_list() == [feb1, feb1, feb1, None, None, None, None]
    assert invalid.to_list() == [False, False, False, False, False, True, True]
    assert parsed.name == invalid.name == "x"


def test_parse_date_of_numbers_counts_any_given_value():
    # a number column (e.g. a CSV read with inferred types) is no date: every given value is invalid
    assert run(parse_date, [20190201, None], pl.Int64) == ([None, None], [True, False])
    assert run(parse_yesno, [1, None], pl.Int64) == ([None, None], [True, False])
