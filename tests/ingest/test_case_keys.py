"""Fall-IDs reach the warehouse only as their keyed hash: sha256(key | district | trimmed Fall-ID), hex,
computed by the loader while it writes the case rows (pipelines.ingest.registry)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.registry import ingest_files
from pipelines.settings import Paths
from tests.ingest.workbooks import RK_ROWS, ZR_ROWS, valid_sheets, write_sheets

KEY = "test-schluessel"


def fall_key(bezirk: str, fall_id: str) -> str:
    return hashlib.sha256(f"{KEY}|{bezirk}|{fall_id}".encode()).hexdigest()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("data")
    paths = Paths(data_dir=data, warehouse=data / "warehouse.duckdb", dagster_home=data / "dagster")
    raw = data / "raw"
    write_sheets(raw / "bezirk01" / "erhebungsbogen_01_2024Q2.xlsx", valid_sheets())
    # district 03, one Fall-ID of district 01 again, one with blanks around it and one with an umlaut
    rk = [{**RK_ROWS[0], "Fall-ID": " A-1 "}, {**RK_ROWS[1], "Fall-ID": "Ä-2"}]
    write_sheets(raw / "bezirk03" / "erhebungsbogen_03_2024Q2.xlsx", valid_sheets(Bezirk="03", rk_rows=rk))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SWH_CASE_KEY", KEY)
        summary = ingest_files(paths)
    assert [o.accepted for o in summary.new] == [True, True], [o.errors for o in summary.new]
    return paths.warehouse


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_case_rows_carry_the_keyed_hash(warehouse):
    rk = rows(warehouse, "SELECT bezirk_nr, fall_key FROM raw.erhebungsbogen_raeumungsklagen "
                         "ORDER BY bezirk_nr, source_row")
    assert rk == [("01", fall_key("01", "A-1")), ("01", fall_key("01", "A-2")), ("01", fall_key("01", "A-3")),
                  ("03", fall_key("03", "A-1")), ("03", fall_key("03", "Ä-2"))]
    assert fall_key("03", "A-1") != fall_key("01", "A-1")  # the same Fall-ID in another district: another case
    zr = rows(warehouse, "SELECT bezirk_nr, fall_key FROM raw.erhebungsbogen_zwangsraeumungen "
                         "ORDER BY bezirk_nr, source_row")
    assert zr == [(b, fall_key(b, i)) for b in ("01", "03") for i in ("Z-1", "Z-2")]


def test_no_raw_table_holds_a_plain_fall_id(warehouse):
    ids = {r["Fall-ID"] for r in RK_ROWS + ZR_ROWS} | {"Ä-2"}
    tables = rows(warehouse, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'")
    assert ("erhebungsbogen_raeumungsklagen",) in tables
    for (table,) in tables:
        columns = [c for (c,) in rows(warehouse, "SELECT column_name FROM information_schema.columns "
                                                 f"WHERE table_schema = 'raw' AND table_name = '{table}'")]
        assert "fall_id" not in columns, table
        text = " ".join(str(v) for row in rows(warehouse, f"SELECT * FROM raw.{table}") for v in row)
        assert not any(i in text for i in ids), table
