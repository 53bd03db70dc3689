"""One typical analyst query per published mart, on ``marts.duckdb`` opened read-only."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import duckdb

# mart -> the question an analyst asks of it (Berlin as a whole is bezirk_nr 'BE')
QUERIES: dict[str, str] = {
    "mart_indicators_quarterly": """
        SELECT year, quarter, share_pct, zielwert_pct, korridor_status FROM mart_indicators_quarterly
        WHERE bezirk_nr = 'BE' AND indicator = '1.1' ORDER BY year, quarter""",
    "mart_access_standards": """
        SELECT bezirk_nr, count(*) FILTER (WHERE erfuellt) AS erfuellt, count(*) AS standards
        FROM mart_access_standards
        WHERE (year, quarter) = (SELECT max((year, quarter)) FROM mart_access_standards)
        GROUP BY bezirk_nr ORDER BY erfuellt DESC, bezirk_nr""",
    "mart_home_visits": """
        SELECT year, sum(hausbesuche_zu_zweit) / nullif(sum(hausbesuche_gesamt), 0) AS anteil_zu_zweit
        FROM mart_home_visits WHERE bezirk_nr <> 'BE' GROUP BY year ORDER BY year""",
    "mart_case_volumes": """
        SELECT year(period_start) AS jahr, sum(value) AS zwangsraeumungen FROM mart_case_volumes
        WHERE bezirk_nr = 'BE' AND measure = 'zwangsraeumungen' GROUP BY jahr ORDER BY jahr""",
    "mart_submission_history": """
        SELECT bezirk_nr, year, quarter, max(version_nr) AS versionen, sum(n_errors) AS fehler
        FROM mart_submission_history WHERE kind = 'erhebungsbogen'
        GROUP BY ALL HAVING max(version_nr) > 1 OR sum(n_errors) > 0 ORDER BY ALL""",
    "mart_unit_cost_comparison": """
        SELECT year, product, rank, unit_cost_eur, median_unit_cost_eur, diff_to_median_eur
        FROM mart_unit_cost_comparison WHERE bezirk_nr = '04' ORDER BY product, year""",
    "mart_resources_yearly": """
        SELECT year, sum(cost_eur) AS kosten, sum(budget_eur) AS budget, sum(staff_vza) AS vza
        FROM mart_resources_yearly WHERE product = '80633' GROUP BY year ORDER BY year""",
    "mart_staff_by_grade": """
        SELECT wertigkeit, year, sum(staff_vza) AS vza FROM mart_staff_by_grade
        GROUP BY ALL ORDER BY wertigkeit, year""",
    "mart_staffing_2017_2021": """
        SELECT bezirk_nr, sum(change_2017_2021) AS veraenderung FROM mart_staffing_2017_2021
        GROUP BY bezirk_nr ORDER BY veraenderung""",
    "mart_cost_centre_compliance": """
        SELECT bezirk_nr, year, cost_share_pct, staff_share_pct, compliant FROM mart_cost_centre_compliance
        WHERE NOT compliant OR year = (SELECT max(year) FROM mart_cost_centre_compliance) ORDER BY year, bezirk_nr""",
    "mart_cost_centre_exceptions": """
        SELECT bezirk_nr, year, booking_type, count(*) AS buchungen, sum(amount) AS betrag
        FROM mart_cost_centre_exceptions GROUP BY ALL ORDER BY betrag DESC""",
}


def p95(values: list[float]) -> float:
    """95th percentile, linear interpolation between closest ranks."""
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def measure(marts_db: Path, repeat: int = 20) -> dict:
    """Each query ``repeat`` times on one read-only connection (after one untimed warm-up); p95 over all."""
    timings: dict[str, list[float]] = {}
    with duckdb.connect(str(marts_db), read_only=True) as con:
        published = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for mart, sql in QUERIES.items():
            if mart not in published:
                continue
            con.execute(sql).fetchall()  # warm-up, not timed: an analyst's session keeps its connection
            timings[mart] = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                con.execute(sql).fetchall()
                timings[mart].append((time.perf_counter() - t0) * 1000)
    everything = [t for ts in timings.values() for t in ts]
    return {"p95_ms": p95(everything), "runs_per_query": repeat,
            "per_mart_median_ms": {m: round(statistics.median(ts), 2) for m, ts in timings.items()},
            "marts_without_query": sorted(published - set(QUERIES) - {"manifest"}),
            "queries_without_mart": sorted(set(QUERIES) - published)}


def cold_open_ms(marts_db: Path) -> float:
    """Opening the file read-only and running the first query (what a new analyst session pays)."""
    t0 = time.perf_counter()
    with duckdb.connect(str(marts_db), read_only=True) as con:
        con.execute(QUERIES["mart_indicators_quarterly"]).fetchall()
    return (time.perf_counter() - t0) * 1000
