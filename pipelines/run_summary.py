"""The summary ``swh run`` prints at the end: what was published, what was rejected, what failed."""

from __future__ import annotations

from datetime import datetime

import duckdb
from dagster import AssetCheckSeverity, AssetKey

from pipelines.common.problems import Problem
from pipelines.publication.checks import CHECK_NAME, PUBLICATION_ASSET, gate_failures_text
from pipelines.settings import Paths

PUBLICATION_KEY = AssetKey([PUBLICATION_ASSET])
MAX_PROBLEMS_SHOWN = 3
MAX_GATE_LINES_SHOWN = 40


def _rejected_files(paths: Paths, since: datetime) -> list[tuple[str, str, list[str]]]:
    """Files rejected in this run, each with its report and its first errors (German)."""
    if not paths.warehouse.exists():
        return []
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT file_id, path, report_path FROM raw.file_registry "
            "WHERE status = 'rejected' AND seen_at >= ? ORDER BY seen_at", [since]).fetchall()
        out = []
        for file_id, path, report in rows:
            problems = con.execute(
                'SELECT severity, file, message, expected, sheet, "row", "column", value FROM raw.file_problems '
                "WHERE file_id = ? AND severity = 'Fehler' ORDER BY sheet NULLS FIRST, \"row\" NULLS FIRST LIMIT ?",
                [file_id, MAX_PROBLEMS_SHOWN]).fetchall()
            out.append((path, report, [Problem(*p).describe() for p in problems]))
        return out


def rejected_files_if_readable(paths: Paths, since: datetime) -> list[tuple[str, str, list[str]]] | None:
    """:func:`_rejected_files`, or None while the warehouse cannot be opened read-only: after Ctrl-C in the
    dbt step, dbt's threads in this process still hold it for writing."""
    try:
        return _rejected_files(paths, since)
    except duckdb.Error:
        return None


def summarise_run(result, paths: Paths, started_at: datetime, seconds: float) -> int:
    """Print the summary; return the exit code (0 only if everything ran and was published)."""
    print()
    print("=" * 72)
    failed_steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    evaluations = result.get_asset_check_evaluations()
    gate_blocked = any(e.check_name == CHECK_NAME and not e.passed and e.severity == AssetCheckSeverity.ERROR
                       for e in evaluations)
    dbt_tests = [o.asset_observation_data.asset_observation.metadata for o in result.get_asset_observation_events()]
    dbt_tests = [m for m in dbt_tests if "dbt_tests" in m]
    published = [m for m in result.get_asset_materialization_events() if m.asset_key == PUBLICATION_KEY]

    rejected = rejected_files_if_readable(paths, started_at)
    if rejected is None:
        print(f"Abgelehnte Dateien: das Warehouse ist noch belegt (Lauf abgebrochen?); Prüfberichte in {paths.reports_dir}.")
    elif rejected:
        print(f"Abgelehnte Dateien ({len(rejected)}); veröffentlichte Zahlen bleiben davon unberührt:")
        for path, report, lines in rejected:
            print(f"  ✘ {path}\n    Prüfbericht: {report}")
            for line in lines:
                print(f"      {line}")
    gate_text = gate_failures_text(evaluations)
    if gate_text:
        print("Plausibilitätsprüfung (Great Expectations):")
        for line in gate_text.splitlines()[:MAX_GATE_LINES_SHOWN]:
            print(f"    {line}")
    if failed_steps:
        print(f"Fehlgeschlagene Schritte: {', '.join(failed_steps)}")
        for event in result.all_events:
            if event.event_type_value == "STEP_FAILURE" and event.event_specific_data.error:
                for line in event.event_specific_data.error.message.strip().splitlines()[:MAX_GATE_LINES_SHOWN]:
                    print(f"    {line}")

    n_tests = sum(m["dbt_tests"].value for m in dbt_tests)
    n_passed = sum(m["dbt_tests_bestanden"].value for m in dbt_tests)
    print(f"Prüfungen: Plausibilität (Great Expectations) {sum(e.passed for e in evaluations)} von "
          f"{len(evaluations)} bestanden, dbt-Tests {n_passed} von {n_tests} bestanden.")
    if published:
        meta = published[-1].materialization.metadata
        print(f"Veröffentlicht nach {paths.marts_dir}:")
        for key in ("publication_id", "marts", "zeilen_gesamt"):
            if key in meta:
                print(f"  {key}: {meta[key].value}")
    else:
        print(f"NICHT veröffentlicht: {paths.marts_dir} zeigt weiter die vorige Veröffentlichung.")
    print(f"Dauer: {seconds:.1f} s. Lauf {result.run_id} (sichtbar in `make ui`).")
    return 0 if result.success and published and not gate_blocked else 1
