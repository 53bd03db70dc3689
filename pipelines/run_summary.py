"""The summary ``swh run`` prints at the end: what was published, what was rejected, what failed."""

from __future__ import annotations

from datetime import datetime

import duckdb
from dagster import AssetKey

from pipelines.settings import Paths

PUBLICATION_KEY = AssetKey(["marts_publication"])
MAX_PROBLEMS_SHOWN = 3


def _rejected_files(paths: Paths, since: datetime) -> list[tuple[str, str, list[str]]]:
    if not paths.warehouse.exists():
        return []
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT file_id, path, report_path FROM raw.file_registry "
            "WHERE status = 'rejected' AND seen_at >= ? ORDER BY seen_at", [since]).fetchall()
        out = []
        for file_id, path, report in rows:
            problems = con.execute(
                'SELECT severity, sheet, "row", "column", value, expected, message FROM raw.file_problems '
                "WHERE file_id = ? AND severity = 'Fehler' ORDER BY sheet NULLS FIRST, \"row\" NULLS FIRST LIMIT ?",
                [file_id, MAX_PROBLEMS_SHOWN]).fetchall()
            lines = []
            for sev, sheet, row, col, value, expected, message in problems:
                where = ", ".join(x for x in (f"Blatt {sheet}" if sheet else "", f"Zeile {row}" if row else "",
                                              f"Spalte {col!r}" if col else "") if x)
                text = f"{sev}: {where + ': ' if where else ''}{message}"
                if value is not None:
                    text += f" Gefunden: {value!r}."
                if expected:
                    text += f" Erwartet: {expected}."
                lines.append(text)
            out.append((path, report, lines))
        return out


def summarise_run(result, paths: Paths, started_at: datetime, seconds: float) -> int:
    print()
    print("=" * 72)
    failed_steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    evaluations = result.get_asset_check_evaluations()
    gate_failures = [e for e in evaluations if not e.passed and e.check_name.startswith("plausibilitaet")]
    dbt_test_failures = [e for e in evaluations if not e.passed and not e.check_name.startswith("plausibilitaet")]
    published = [m for m in result.get_asset_materialization_events()
                 if m.asset_key == PUBLICATION_KEY]

    rejected = _rejected_files(paths, started_at)
    if rejected:
        print(f"Abgelehnte Dateien ({len(rejected)}); veröffentlichte Zahlen bleiben davon unberührt:")
        for path, report, lines in rejected:
            print(f"  ✘ {path}\n    Prüfbericht: {report}")
            for line in lines:
                print(f"      {line}")
    for e in gate_failures:
        severity = "WARNUNG" if str(e.severity).endswith("WARN") else "FEHLER"
        print(f"Plausibilitätsprüfung {severity}: {e.asset_key.to_user_string()}")
        text = e.metadata.get("fehler_text")
        if text is not None:
            for line in str(text.value).splitlines()[:25]:
                print(f"    {line}")
    for e in dbt_test_failures:
        print(f"dbt-Test nicht bestanden: {e.asset_key.to_user_string()} / {e.check_name}")
    if failed_steps:
        print(f"Fehlgeschlagene Schritte: {', '.join(failed_steps)}")

    n_checks = len(evaluations)
    n_passed = sum(e.passed for e in evaluations)
    print(f"Prüfungen: {n_passed} von {n_checks} bestanden.")
    if published:
        meta = published[-1].materialization.metadata
        print(f"Veröffentlicht nach {paths.marts_dir}:")
        for key in ("publication_id", "marts_duckdb", "marts", "zeilen"):
            if key in meta:
                print(f"  {key}: {meta[key].value}")
    else:
        print(f"NICHT veröffentlicht: {paths.marts_dir} zeigt weiter die vorige Veröffentlichung.")
    print(f"Dauer: {seconds:.1f} s. Lauf {result.run_id} (sichtbar in `make ui`).")
    ok = result.success and bool(published) and not gate_failures_blocking(gate_failures)
    return 0 if ok else 1


def gate_failures_blocking(gate_failures) -> bool:
    return any(not str(e.severity).endswith("WARN") for e in gate_failures)
