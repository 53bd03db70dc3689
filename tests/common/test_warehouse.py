"""Appending to the raw layer: missing columns are null, computed columns are evaluated in the INSERT."""

import duckdb
import polars as pl
import pytest

from pipelines.common.warehouse import append_frame
from pipelines.ingest.raw_tables import create_raw_tables


@pytest.fixture
def con():
    with duckdb.connect(":memory:") as con:
        create_raw_tables(con)
        yield con


def _zugang(**extra) -> pl.DataFrame:
    return pl.DataFrame({"file_id": ["f"], "bezirk_nr": ["01"], "year": [2024], "quarter": [2], "source_row": [2],
                         "nr": [1], "erfuellt": [True], **extra})


def test_missing_columns_are_null_extra_columns_an_error(con):
    assert append_frame(con, "erhebungsbogen_zugang", _zugang()) == 1
    assert con.sql("SELECT standard, bemerkung FROM raw.erhebungsbogen_zugang").fetchall() == [(None, None)]
    with pytest.raises(ValueError, match="has no columns"):
        append_frame(con, "erhebungsbogen_zugang", _zugang(gibt_es_nicht=["x"]))


def test_computed_column_from_an_input_that_is_not_written(con):
    frame = _zugang(notiz=["frei"]).drop("erfuellt")
    append_frame(con, "erhebungsbogen_zugang", frame, computed={"erfuellt": "notiz = $wert"}, inputs={"notiz"},
                 params={"wert": "frei"})
    assert con.sql("SELECT erfuellt FROM raw.erhebungsbogen_zugang").fetchall() == [(True,)]
    with pytest.raises(ValueError, match="lacks the columns"):
        append_frame(con, "erhebungsbogen_zugang", frame.drop("notiz"), computed={"erfuellt": "true"},
                     inputs={"notiz"})
