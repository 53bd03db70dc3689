"""The whole pipeline, end to end, on a small generated dataset: `swh run` in temporary directories."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.transform.manifest import prepare_manifest

DEMO_YEAR = 2024


def _run() -> tuple[int, str]:
    """`swh run` in-process; returns its exit code and everything it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["run"])
    return code, out.getvalue()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    mp = pytest.MonkeyPatch()
    mp.setenv("SWH_DATA_DIR", str(data))
    mp.setenv("SWH_WAREHOUSE", str(data / "warehouse.duckdb"))
    mp.setenv("DAGSTER_HOME", str(data / "dagster"))
    mp.setenv("SWH_CASE_KEY", "test-key")
    (data / "dagster").mkdir()
    prepare_manifest()
    from pipelines.demo.generator import generate_demo_data

    generate_demo_data(data / "raw", scale=1, first_year=DEMO_YEAR, last_year=DEMO_YEAR)
    yield data
    mp.undo()


@pytest.fixture(scope="module")
def first_run(env):
    return _run()


def published(env: Path, sql: str):
    with duckdb.connect(str(env / "marts" / "marts.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_first_run_publishes_every_mart(env, first_run):
    code, out = first_run
    assert code == 0, out
    marts_dir = env / "marts"
    assert (marts_dir / "marts.duckdb").exists()
    assert (marts_dir / "manifest.json").exists()
    tables = {r[0] for r in published(env, "SELECT table_name FROM information_schema.tables")}
    expected = {"mart_indicators_quarterly", "mart_access_standards", "mart_home_visits", "mart_case_volumes",
                "mart_resources_yearly", "mart_staff_by_grade", "mart_unit_cost_comparison",
                "mart_staffing_2017_2021", "mart_cost_centre_compliance", "mart_cost_centre_exceptions"}
    assert expected <= tables
    for mart in tables:
        assert (marts_dir / f"{mart}.parquet").exists(), mart
    assert "Veröffentlicht nach" in out
    assert "materialisiert" in out  # step-by-step progress


def test_workbooks_were_loaded_per_district_quarter_partition(env, first_run):
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.get() as instance:  # the instance of swh run (DAGSTER_HOME), also shown by make ui
        assert list(instance.get_dynamic_partitions("quartal")) == [f"{DEMO_YEAR}Q{q}" for q in (1, 2, 3, 4)]
        done = instance.get_materialized_partitions(AssetKey(["raw", "erhebungsboegen"]))
    assert done == {f"{b:02d}|{DEMO_YEAR}Q{q}" for b in range(1, 13) for q in (1, 2, 3, 4)}


def test_indicators_cover_all_districts_and_quarters(env, first_run):
    rows = published(env, f"""
        SELECT quarter, count(DISTINCT bezirk_nr), count(DISTINCT indicator)
        FROM mart_indicators_quarterly WHERE year = {DEMO_YEAR} GROUP BY quarter ORDER BY quarter""")
    assert rows == [(q, 13, 5) for q in (1, 2, 3, 4)]  # 12 districts + Berlin, QS 1.1-1.5
    berlin = published(env, f"""
        SELECT sum(numerator) FILTER (WHERE bezirk_nr <> 'BE'), sum(numerator) FILTER (WHERE bezirk_nr = 'BE'),
               sum(denominator) FILTER (WHERE bezirk_nr <> 'BE'), sum(denominator) FILTER (WHERE bezirk_nr = 'BE')
        FROM mart_indicators_quarterly WHERE year = {DEMO_YEAR}""")[0]
    assert berlin[0] == berlin[1] and berlin[2] == berlin[3] and berlin[2] > 1000


def test_rejected_demo_file_has_report_and_is_named(env, first_run):
    code, out = first_run
    with duckdb.connect(str(env / "warehouse.duckdb"), read_only=True) as con:
        rejected = con.sql("SELECT path, report_path FROM raw.file_registry WHERE status = 'rejected'").fetchall()
    assert rejected, "the demo data contains one deliberately faulty workbook"
    for path, report in rejected:
        assert Path(report).exists()
        assert "ABGELEHNT" in Path(report).read_text(encoding="utf-8")
        assert path in out


def test_unchanged_rerun_has_nothing_to_do(env, first_run):
    with duckdb.connect(str(env / "warehouse.duckdb"), read_only=True) as con:
        files_before = con.sql("SELECT count(*) FROM raw.file_registry").fetchall()[0][0]
    before = (env / "marts" / "current").resolve()
    code, out = _run()
    assert code == 0, out
    assert "Nichts zu tun" in out and "▶" not in out   # no Dagster run at all
    with duckdb.connect(str(env / "warehouse.duckdb"), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM raw.file_registry").fetchall()[0][0] == files_before
    assert (env / "marts" / "current").resolve() == before  # the publication stays


def test_corrected_workbook_rebuilds_only_what_it_feeds(env, first_run):
    """A district corrects one home visit date: the indicators are rebuilt and published, the KLR
    resources are neither rebuilt nor checked again, and the published resources stay the same."""
    resources_before = published(env, "SELECT * FROM mart_resources_yearly ORDER BY ALL")
    source = next((env / "raw").rglob(f"erhebungsbogen_03_{DEMO_YEAR}Q3.xlsx"))
    corrected = env / "raw" / "nachlieferung" / f"erhebungsbogen_03_{DEMO_YEAR}Q3_korrektur.xlsx"
    corrected.parent.mkdir(exist_ok=True)
    _write_corrected_copy(source, corrected)
    before = (env / "marts" / "current").resolve()
    code, out = _run()
    assert code == 0, out
    assert "alles neu" not in out and "marts/mart_indicators_quarterly" in out
    assert "marts/mart_resources_yearly" not in out and "int_klr" not in out
    assert "Plausibilität (Great Expectations) 5 von 5 bestanden" in out   # the 5 marts the workbook feeds
    assert (env / "marts" / "current").resolve() != before
    assert published(env, "SELECT * FROM mart_resources_yearly ORDER BY ALL") == resources_before
    with duckdb.connect(str(env / "warehouse.duckdb"), read_only=True) as con:
        status = con.sql("SELECT status FROM marts.mart_submission_history WHERE file_path LIKE "
                         "'nachlieferung/%korrektur.xlsx'").fetchall()
    assert status == [("accepted",)]


def test_bad_resubmission_changes_no_published_figure(env, first_run):
    """A district resubmits a quarter with a broken date: the file is rejected, the figures stay."""
    indicators_before = published(env, "SELECT * FROM mart_indicators_quarterly ORDER BY ALL")
    source = next((env / "raw").rglob(f"erhebungsbogen_05_{DEMO_YEAR}Q2.xlsx"))
    from pipelines.ingest.erhebungsbogen import read_erhebungsbogen

    assert read_erhebungsbogen(source, source.name).accepted
    broken = env / "raw" / "nachlieferung" / f"erhebungsbogen_05_{DEMO_YEAR}Q2_neu.xlsx"
    broken.parent.mkdir(exist_ok=True)
    _write_broken_copy(source, broken)
    code, out = _run()
    assert code == 0, out
    assert f"✘ nachlieferung/erhebungsbogen_05_{DEMO_YEAR}Q2_neu.xlsx" in out
    assert published(env, "SELECT * FROM mart_indicators_quarterly ORDER BY ALL") == indicators_before
    report = env / "reports" / "nachlieferung__erhebungsbogen_05_2024Q2_neu.xlsx.bericht.txt"
    assert report.exists()
    text = report.read_text(encoding="utf-8")
    assert "Raeumungsklagen" in text and "Zeile" in text and "Erwartet" in text


def _write_corrected_copy(source: Path, target: Path) -> None:
    """Same workbook with the first home visit of one case a day later (still valid)."""
    import datetime as dt

    from openpyxl import load_workbook

    wb = load_workbook(source)
    ws = wb["Raeumungsklagen"]
    header = [c.value for c in ws[1]]
    i1, i2 = header.index("Hausbesuch 1"), header.index("Hausbesuch 2")
    row = next(r for r in ws.iter_rows(min_row=2) if isinstance(r[i1].value, dt.datetime) and r[i2].value is None)
    row[i1].value = row[i1].value + dt.timedelta(days=1)
    wb.save(target)


def _write_broken_copy(source: Path, target: Path) -> None:
    """Same workbook with one arrival date typed as impossible text."""
    from openpyxl import load_workbook

    wb = load_workbook(source)
    ws = wb["Raeumungsklagen"]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("Eingang Mitteilung") + 1, value="31.02.2024")
    wb.save(target)
