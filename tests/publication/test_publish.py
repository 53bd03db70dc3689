"""Atomic publication: versions, the ``current`` switch, entry points, crash safety, pruning.

Also home of ``make_warehouse``: a small hand-made warehouse (schema marts, no dbt) shared by the
publication tests, with named defects that the gate must catch.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import duckdb
import pytest

from pipelines.publication import publish
from pipelines.publication.publish import PublicationError, current_publication, publish_marts

MARTS = ["mart_indicators_quarterly", "mart_resources_yearly", "mart_staff_by_grade", "mart_unit_cost_comparison"]

# SQL applied to the plausible district rows before Berlin ('BE') rows are summed; each is one kind of
# implausible data. Expected consequences are computed by hand in test_validation.py.
DEFECTS = {
    # a second row for district 05, 2024 Q1, indicator 1.1 (counts 0: Berlin's sums are unaffected)
    "doppelter_schluessel": "INSERT INTO marts.mart_indicators_quarterly VALUES "
                            "('05', 2024, 1, '1.1', 'Anschreiben', '80635', 0, 0, NULL, NULL, NULL, 'x')",
    "anteil_ueber_100": "UPDATE marts.mart_indicators_quarterly SET share_pct = 120.0 "
                        "WHERE bezirk_nr = '07' AND indicator = '1.1'",
    "zaehler_ueber_nenner": "UPDATE marts.mart_indicators_quarterly SET numerator = 8, denominator = 7, "
                            "share_pct = 100.0 WHERE bezirk_nr = '08' AND indicator = '1.5'",
    # product 80921 exists only in 2024 and only for these districts: no year-over-year comparison
    "negative_kosten": "INSERT INTO marts.mart_resources_yearly (bezirk_nr, product, year, cost_eur, "
                       "personnel_cost_eur, material_cost_eur, allocation_cost_eur, staff_vza, quantity) "
                       "VALUES ('04', '80921', 2024, -500, -700, 100, 100, 1.0, 10)",
    "kosten_ungleich_teile": "INSERT INTO marts.mart_resources_yearly (bezirk_nr, product, year, cost_eur, "
                             "personnel_cost_eur, material_cost_eur, allocation_cost_eur, staff_vza, quantity) "
                             "VALUES ('06', '80921', 2024, 1000, 600, 200, 150, 1.0, 10)",
    "ueber_100_vza": "INSERT INTO marts.mart_resources_yearly (bezirk_nr, product, year, cost_eur, "
                     "personnel_cost_eur, material_cost_eur, allocation_cost_eur, staff_vza, quantity) "
                     "VALUES ('09', '80921', 2024, 20000, 14000, 4000, 2000, 120.0, 10); "
                     "UPDATE marts.mart_staff_by_grade SET staff_vza = 98.0 "
                     "WHERE bezirk_nr = '11' AND wertigkeit = 'E 9b'",
    "stueckkosten_20x_median": "UPDATE marts.mart_unit_cost_comparison SET unit_cost_eur = 4650.0 "
                               "WHERE bezirk_nr = '12'",
    # warnings only: district 10's 2024 cost (and its parts) jump by +60 % over 2023 (hand-computed:
    # 2023 cost 110000, 2024 cost 176000); district 12 has not reported 2024 Q1 indicators
    "kostensprung": "UPDATE marts.mart_resources_yearly SET cost_eur = 176000, personnel_cost_eur = 128000, "
                    "material_cost_eur = 32000, allocation_cost_eur = 16000 "
                    "WHERE bezirk_nr = '10' AND product = '80635' AND year = 2024",
    "bezirk_fehlt": "DELETE FROM marts.mart_indicators_quarterly WHERE bezirk_nr = '12'",
}


def make_warehouse(path: Path, defects: tuple[str, ...] = ()) -> Path:
    """A warehouse with four plausible marts for 12 districts (plus Berlin), then ``defects`` applied."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA params")
        con.execute("CREATE TABLE params.bezirke AS SELECT lpad(i::VARCHAR, 2, '0') AS bezirk_nr, "
                    "'Bezirk ' || i AS bezirk_name FROM range(1, 13) t(i)")
        con.execute("""
            CREATE TABLE marts.mart_indicators_quarterly AS
            SELECT lpad(i::VARCHAR, 2, '0') AS bezirk_nr, 2024 AS year, 1 AS quarter, ind AS indicator,
                   name AS indicator_name, prod AS product, num::BIGINT AS numerator, den::BIGINT AS denominator,
                   100.0 * num / den AS share_pct, NULL::DOUBLE AS zielwert_pct, NULL::DOUBLE AS standard_pct,
                   'kein Korridor festgelegt' AS korridor_status
            FROM range(1, 13) t(i),
                 (VALUES ('1.1', 'Anschreiben', '80635', 6, 10), ('1.5', 'Zugang', NULL, 5, 7)) v(ind, name, prod, num, den)
        """)
        con.execute("""
            CREATE TABLE marts.mart_resources_yearly AS
            SELECT lpad(i::VARCHAR, 2, '0') AS bezirk_nr, '80635' AS product, y AS year,
                   150000.0 * f AS budget_eur, (100000.0 + 1000 * i) * f AS cost_eur,
                   (70000.0 + 1000 * i) * f AS personnel_cost_eur, 20000.0 * f AS material_cost_eur,
                   10000.0 * f AS allocation_cost_eur, NULL::DOUBLE AS budget_result_eur,
                   (10.0 + 0.5 * i) * f AS staff_vza, (500.0 + 10 * i) * f AS quantity, 'Fälle' AS unit,
                   NULL::DOUBLE AS quantity_per_vza, NULL::DOUBLE AS unit_cost_eur, NULL::VARCHAR AS quantity_note
            FROM range(1, 13) t(i), (VALUES (2023, 1.0::DOUBLE), (2024, 1.1::DOUBLE)) v(y, f)
        """)
        con.execute("""
            CREATE TABLE marts.mart_staff_by_grade AS
            SELECT lpad(i::VARCHAR, 2, '0') AS bezirk_nr, '80635' AS product, 2024 AS year, w AS wertigkeit,
                   vza AS staff_vza
            FROM range(1, 13) t(i), (VALUES ('E 9b', 6.0::DOUBLE), ('E 11', 4.0::DOUBLE)) v(w, vza)
        """)
        con.execute("""
            CREATE TABLE marts.mart_unit_cost_comparison AS
            SELECT lpad(i::VARCHAR, 2, '0') AS bezirk_nr, '80635' AS product, 2024 AS year,
                   (200.0 + 5 * i)::DOUBLE AS unit_cost_eur, 500.0::DOUBLE AS quantity, NULL::DOUBLE AS median_unit_cost_eur,
                   12 AS n_districts_reporting, NULL::BIGINT AS rank, NULL::DOUBLE AS diff_to_median_eur,
                   NULL::DOUBLE AS median_budget_eur, 110000.0::DOUBLE AS budget_eur, ((200.0 + 5 * i) * 500)::DOUBLE AS cost_eur
            FROM range(1, 13) t(i)
        """)
        for defect in defects:
            con.execute(DEFECTS[defect])
        # derived columns and Berlin rows, as the real marts compute them
        con.execute("""
            UPDATE marts.mart_resources_yearly SET budget_result_eur = budget_eur - cost_eur,
                quantity_per_vza = quantity / staff_vza, unit_cost_eur = cost_eur / quantity;
            INSERT INTO marts.mart_resources_yearly BY NAME
            SELECT 'BE' AS bezirk_nr, product, year, sum(budget_eur) AS budget_eur, sum(cost_eur) AS cost_eur,
                   sum(personnel_cost_eur) AS personnel_cost_eur, sum(material_cost_eur) AS material_cost_eur,
                   sum(allocation_cost_eur) AS allocation_cost_eur, sum(staff_vza) AS staff_vza,
                   sum(quantity) AS quantity
            FROM marts.mart_resources_yearly GROUP BY product, year;
            INSERT INTO marts.mart_indicators_quarterly BY NAME
            SELECT 'BE' AS bezirk_nr, year, quarter, indicator, sum(numerator) AS numerator,
                   sum(denominator) AS denominator, 100.0 * sum(numerator) / sum(denominator) AS share_pct
            FROM marts.mart_indicators_quarterly GROUP BY year, quarter, indicator;
            INSERT INTO marts.mart_staff_by_grade
            SELECT 'BE', product, year, wertigkeit, sum(staff_vza) FROM marts.mart_staff_by_grade
            GROUP BY product, year, wertigkeit;
            UPDATE marts.mart_unit_cost_comparison AS u SET median_unit_cost_eur = m.med,
                   diff_to_median_eur = (u.unit_cost_eur - m.med) * u.quantity, median_budget_eur = m.med * u.quantity
            FROM (SELECT product, year, median(unit_cost_eur) AS med FROM marts.mart_unit_cost_comparison
                  GROUP BY ALL) AS m WHERE m.product = u.product AND m.year = u.year;
            UPDATE marts.mart_unit_cost_comparison AS u SET rank = r.rnk
            FROM (SELECT bezirk_nr, product, year,
                         rank() OVER (PARTITION BY product, year ORDER BY unit_cost_eur) AS rnk
                  FROM marts.mart_unit_cost_comparison) AS r
            WHERE r.bezirk_nr = u.bezirk_nr AND r.product = u.product AND r.year = u.year;
        """)
    return path


def tree_hashes(root: Path) -> dict[str, str]:
    """Every file and symlink under ``root``: symlinks by their target, files by their sha256."""
    result = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            result[key] = "-> " + os.readlink(path)
        elif path.is_file():
            result[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "warehouse.duckdb")


def test_publication_writes_version_switches_current_and_entry_points(tmp_path: Path, warehouse: Path):
    marts_dir = tmp_path / "marts"
    extra = {"input_files": [{"sha256": "ab" * 32, "path": "klr_kosten_2024.csv"}], "checks": {"x": "ok"}}
    pub = publish_marts(warehouse, marts_dir, MARTS, extra, keep_versions=3)

    version = marts_dir / "versions" / pub.publication_id
    assert pub.path == version
    assert os.readlink(marts_dir / "current") == f"versions/{pub.publication_id}"
    assert sorted(p.name for p in version.iterdir()) == sorted(
        ["marts.duckdb", "manifest.json"] + [f"{m}.parquet" for m in MARTS])
    # hand-counted rows: indicators 12×2 + 2 Berlin, resources 12×2 + 2, staff 12×2 + 2, unit cost 12
    assert pub.marts == {"mart_indicators_quarterly": 26, "mart_resources_yearly": 26,
                         "mart_staff_by_grade": 26, "mart_unit_cost_comparison": 12}
    manifest = json.loads((marts_dir / "manifest.json").read_text())   # through the entry point
    assert manifest == current_publication(marts_dir) == pub.manifest
    assert manifest["publication_id"] == pub.publication_id
    assert manifest["input_files"] == extra["input_files"] and manifest["checks"] == {"x": "ok"}
    for mart in MARTS:
        link = marts_dir / f"{mart}.parquet"
        assert os.readlink(link) == f"current/{mart}.parquet"
        assert manifest["marts"][mart]["sha256"] == hashlib.sha256(link.read_bytes()).hexdigest()
        assert manifest["marts"][mart]["rows"] == pub.marts[mart]
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".tmp-")]

    with duckdb.connect(str(marts_dir / "marts.duckdb"), read_only=True) as con:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
        assert tables == set(MARTS)
        assert con.execute("SELECT sum(cost_eur) FROM mart_resources_yearly WHERE bezirk_nr = 'BE' "
                           "AND year = 2023").fetchall()[0][0] == pytest.approx(1_278_000.0)
        assert con.execute("SELECT count(*) FROM read_parquet(?)",
                           [str(marts_dir / "mart_unit_cost_comparison.parquet")]).fetchall()[0][0] == 12


def test_republication_removes_stale_entry_points_and_keeps_previous_version(tmp_path: Path, warehouse: Path):
    marts_dir = tmp_path / "marts"
    first = publish_marts(warehouse, marts_dir, MARTS, {}, keep_versions=3)
    second = publish_marts(warehouse, marts_dir, MARTS[:2], {}, keep_versions=3)
    assert second.publication_id > first.publication_id
    assert os.readlink(marts_dir / "current") == f"versions/{second.publication_id}"
    assert sorted(p.name for p in marts_dir.glob("*.parquet")) == [f"{m}.parquet" for m in MARTS[:2]]
    assert (first.path / "mart_staff_by_grade.parquet").is_file()   # the earlier version is kept
    assert current_publication(marts_dir)["marts"].keys() == set(MARTS[:2])


def test_crash_before_switch_leaves_previous_publication_byte_identical(tmp_path: Path, warehouse: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    marts_dir = tmp_path / "marts"
    publish_marts(warehouse, marts_dir, MARTS, {}, keep_versions=3)
    before = tree_hashes(marts_dir)
    written = []

    def crash(path: Path, data: bytes) -> None:   # the manifest: written after every Parquet file
        written.extend(sorted(p.name for p in path.parent.glob("*.parquet")))
        raise OSError("Datenträger voll (simuliert)")

    monkeypatch.setattr(publish, "_write_durably", crash)
    with pytest.raises(OSError, match="simuliert"):
        publish_marts(warehouse, marts_dir, MARTS, {}, keep_versions=3)
    assert written == sorted(f"{m}.parquet" for m in MARTS)   # the crash came after the Parquet files
    assert tree_hashes(marts_dir) == before


def test_missing_mart_fails_before_anything_changes(tmp_path: Path, warehouse: Path):
    marts_dir = tmp_path / "marts"
    publish_marts(warehouse, marts_dir, MARTS, {}, keep_versions=3)
    before = tree_hashes(marts_dir)
    with pytest.raises(PublicationError, match="mart_gibt_es_nicht"):
        publish_marts(warehouse, marts_dir, [*MARTS, "mart_gibt_es_nicht"], {}, keep_versions=3)
    assert tree_hashes(marts_dir) == before


def test_orphans_of_a_hard_crash_are_cleaned_by_the_next_publication(tmp_path: Path, warehouse: Path):
    marts_dir = tmp_path / "marts"
    publish_marts(warehouse, marts_dir, MARTS, {}, keep_versions=3)
    orphan = marts_dir / "versions" / ".tmp-20240101T000000000000-deadbeef"
    orphan.mkdir()
    (orphan / "mart_resources_yearly.parquet").write_bytes(b"halb geschrieben")
    os.symlink("versions/.tmp-20240101T000000000000-deadbeef", marts_dir / ".tmp-current-deadbeef")
    publish_marts(warehouse, marts_dir, MARTS, {}, keep_versions=3)
    assert not orphan.exists()
    assert not (marts_dir / ".tmp-current-deadbeef").is_symlink()


def test_pruning_keeps_the_newest_versions(tmp_path: Path, warehouse: Path):
    marts_dir = tmp_path / "marts"
    ids = [publish_marts(warehouse, marts_dir, MARTS[:1], {}, keep_versions=2).publication_id for _ in range(4)]
    assert sorted(p.name for p in (marts_dir / "versions").iterdir()) == ids[2:]
    assert os.readlink(marts_dir / "current") == f"versions/{ids[3]}"


def test_nothing_published_yet_and_invalid_arguments(tmp_path: Path, warehouse: Path):
    assert current_publication(tmp_path / "marts") is None
    with pytest.raises(ValueError, match="publication_id"):
        publish_marts(warehouse, tmp_path / "marts", MARTS, {"publication_id": "x"}, keep_versions=2)
    with pytest.raises(ValueError, match="keep_versions"):
        publish_marts(warehouse, tmp_path / "marts", MARTS, {}, keep_versions=0)
    assert not (tmp_path / "marts" / "current").exists()
