"""The benchmark of issue 6: ``python -m benchmarks.run [--quick] [--repeat N] [--skip-scale100]``.

Every pipeline figure is a subprocess ``.venv/bin/swh run`` (the installed environment) on its own
cold data directory under benchmarks/work/runs/, with raw data copied from the demo-data cache.
Writes benchmarks/results.json and prints a table. Measurement only: not a test, CI never runs it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

from benchmarks import event_store, excel_read, fixed_costs, mart_queries
from benchmarks.demo_cache import ensure_demo_data
from benchmarks.incremental import write_correction
from benchmarks.paths import DEFAULT_SEED, RESULTS
from benchmarks.swh_process import RunResult, case_rows, file_status, fresh_data_dir, run_swh, warm

# metric -> (target, "<=" or ">=", unit)
TARGETS: dict[str, tuple[float, str, str]] = {
    "full_run_s": (30, "<=", "s"),
    "incremental_run_s": (10, "<=", "s"),
    "scale10_run_s": (None, "", "s"),
    "scale100_run_s": (300, "<=", "s"),
    "scale100_peak_rss_mb": (8192, "<=", "MB"),
    "scale100_vs_scale10_per_row": (1.5, "<=", "×"),
    "excel_read_speedup_vs_openpyxl": (10, ">=", "×"),
    "mart_query_p95_ms": (50, "<=", "ms"),
}
INCREMENTAL_SOURCE = "erhebungsboegen/2025Q2/erhebungsbogen_05_2025Q2.xlsx"


def log(text: str) -> None:
    print(text, flush=True)


def _checked(result: RunResult, what: str, *, publishes: bool = True) -> RunResult:
    """Exit code 0, and a new publication exactly when one is expected (a run without new files has
    nothing to do and publishes nothing)."""
    if result.returncode != 0 or result.published != publishes:
        raise RuntimeError(f"{what}: swh run endete mit Code {result.returncode}, neue Veröffentlichung: "
                           f"{result.published} (erwartet: {publishes}). Ausgabe: {result.log}")
    log(f"    {what}: {result.seconds:.1f} s (Start {result.startup_s or 0:.1f} s, "
        f"Schritte {', '.join(f'{k} {v:.1f}' for k, v in result.steps.items() if v >= 1)})")
    return result


def _run_summary(runs: list[RunResult]) -> dict:
    steps = sorted({s for r in runs for s in r.steps})
    return {
        "median_s": statistics.median(r.seconds for r in runs),
        "runs": len(runs),
        "all_s": [round(r.seconds, 2) for r in runs],
        "startup_s_median": statistics.median(r.startup_s or 0 for r in runs),
        "tail_s_median": statistics.median(r.tail_s or 0 for r in runs),
        "steps_s_median": {s: round(statistics.median(r.steps.get(s, 0.0) for r in runs), 2) for s in steps},
        "ru_maxrss_mb_max": round(max(r.ru_maxrss_mb for r in runs), 1),
        "tree_peak_rss_mb_max": round(max(r.tree_peak_rss_mb for r in runs), 1),
    }


def full_and_incremental(raw: Path, n_full: int, n_incremental: int) -> tuple[dict, dict, dict, dict, Path]:
    """Cold full runs at scale 1; after the last one a no-change run, then the incremental runs.

    As a data engineer works: the last full run leaves its warm process behind (``swh run``'s default),
    which is ready (``swh warm``, not timed) before the unchanged and the incremental runs arrive. The
    earlier full runs use ``--kalt`` so that no warm process of theirs imports while the next is timed.
    The same corrections once more with ``--kalt`` give the incremental run without a warm process."""
    full = []
    for i in range(n_full):
        data_dir = fresh_data_dir(f"scale1_full{i}", raw)
        last = i == n_full - 1
        full.append(_checked(run_swh(data_dir, "full", cold=not last), f"Vollständiger Lauf {i + 1}/{n_full}"))
    log(f"    vorgewärmter Prozess bereit nach weiteren {warm(data_dir):.1f} s (nicht gemessen)")
    unchanged = _checked(run_swh(data_dir, "unchanged"), "Lauf ohne neue Dateien", publishes=False)
    incremental = [_incremental(data_dir, i, cold=False) for i in range(n_incremental)]
    warm(data_dir, stop=True)
    incremental_cold = [_incremental(data_dir, 100 + i, cold=True) for i in range(n_incremental)]
    return (_run_summary(full), _run_summary([unchanged]), _run_summary(incremental),
            _run_summary(incremental_cold), data_dir)


def _incremental(data_dir: Path, variant: int, *, cold: bool) -> RunResult:
    corrected = write_correction(data_dir / "raw" / INCREMENTAL_SOURCE, variant)
    name = corrected.relative_to(data_dir / "raw").as_posix()
    what = "Inkrementeller Lauf" + (" ohne vorgewärmten Prozess (--kalt)" if cold else "")
    result = _checked(run_swh(data_dir, f"incremental{variant}", cold=cold), f"{what}, Korrektur {variant}")
    status = file_status(data_dir, name)
    if status != "accepted":
        raise RuntimeError(f"Die korrigierte Datei {name} wurde nicht angenommen (Status {status}).")
    return result


def scale_run(scale: int, seed: int, repeat: int) -> dict:
    raw, gen = ensure_demo_data(scale, seed, log=log)
    runs, rows = [], None
    for i in range(repeat):
        data_dir = fresh_data_dir(f"scale{scale}_{i}", raw)
        runs.append(_checked(run_swh(data_dir, "full", cold=True), f"Skalierung {scale}, Lauf {i + 1}/{repeat}"))
        rows = case_rows(data_dir)
        shutil.rmtree(data_dir)  # large: keep only the logs of the scale-1 runs
    summary = _run_summary(runs)
    summary.update(case_rows=rows, seconds_per_case_row=summary["median_s"] / rows,
                   demo_generation_s=gen.get("generation_s"))
    return summary


def met(metric: str, value: float | None) -> bool | None:
    target, op, _ = TARGETS[metric]
    if value is None or target is None:
        return None
    return value <= target if op == "<=" else value >= target


def machine() -> dict:
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "load_average_at_start": os.getloadavg(),
            "note": "Load beim Start: ein Wert über 0,5 heißt, dass andere Arbeit lief (Zeiten zu hoch)."}


def print_table(results: dict) -> None:
    log("\n" + f"{'Kennzahl':<34}{'Wert':>12}  {'Ziel':>10}  {'erfüllt':<8}{'Läufe':>6}")
    log("-" * 74)
    for metric, entry in results["metrics"].items():
        target, op, unit = TARGETS[metric]
        value = "—" if entry["value"] is None else f"{entry['value']:.2f} {unit}"
        goal = "—" if target is None else f"{op} {target:g}"
        ok = {True: "ja", False: "NEIN", None: "—"}[entry["met"]]
        log(f"{metric:<34}{value:>12}  {goal:>10}  {ok:<8}{entry.get('runs') or '':>6}")


def write_results(results: dict, full: dict, incremental: dict, s10: dict, s100: dict | None, excel: dict,
                  queries: dict, started: float) -> None:
    per_row = s100["seconds_per_case_row"] / s10["seconds_per_case_row"] if s100 else None
    values = {
        "full_run_s": (full["median_s"], full["runs"]),
        "incremental_run_s": (incremental["median_s"], incremental["runs"]),
        "scale10_run_s": (s10["median_s"], s10["runs"]),
        "scale100_run_s": (s100["median_s"] if s100 else None, s100["runs"] if s100 else 0),
        "scale100_peak_rss_mb": (s100["ru_maxrss_mb_max"] if s100 else None, s100["runs"] if s100 else 0),
        "scale100_vs_scale10_per_row": (per_row, 1 if s100 else 0),
        "excel_read_speedup_vs_openpyxl": (excel["speedup"], excel["runs"]),
        "mart_query_p95_ms": (queries["p95_ms"], queries["runs_per_query"]),
    }
    for metric, (value, runs) in values.items():
        target, op, unit = TARGETS[metric]
        results["metrics"][metric] = {"value": None if value is None else round(value, 3), "unit": unit,
                                      "target": target, "comparison": op or None, "met": met(metric, value),
                                      "runs": runs}
    results["metrics"]["scale100_peak_rss_mb"]["method"] = (
        "resource.getrusage(RUSAGE_CHILDREN).ru_maxrss in a wrapper process (largest single process of the "
        "tree); the summed tree RSS sampled from /proc every 0.2 s is in details.scale100.tree_peak_rss_mb_max")
    results["scale100_measured"] = s100 is not None
    results["benchmark_seconds"] = round(time.monotonic() - started, 1)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="je eine Messung, ohne Skalierung 100 (Rauchtest des Benchmarks)")
    parser.add_argument("--repeat", type=int, default=3, help="Läufe für die günstigen Messungen (Median)")
    parser.add_argument("--skip-scale100", action="store_true", help="Skalierung 100 auslassen")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else max(1, args.repeat)
    skip100 = args.skip_scale100 or args.quick
    started = time.monotonic()

    from pipelines.transform.manifest import prepare_manifest

    prepare_manifest()  # the dbt manifest must be current before anything is timed
    raw1, _ = ensure_demo_data(1, args.seed, log=log)
    results: dict = {"machine": machine(), "seed": args.seed, "metrics": {}, "details": {}}

    log("Skalierung 1: vollständige Läufe (kalt), Lauf ohne Änderung, inkrementelle Läufe")
    full, unchanged, incremental, incremental_cold, data_dir = full_and_incremental(raw1, repeat, repeat)
    results["details"].update(full_run=full, unchanged_rerun=unchanged, incremental_run=incremental,
                              incremental_run_cold=incremental_cold)

    log("Marts: typische Abfragen")
    marts_db = data_dir / "marts" / "marts.duckdb"
    queries = mart_queries.measure(marts_db, repeat=20)
    queries["cold_open_first_query_ms"] = mart_queries.cold_open_ms(marts_db)
    results["details"]["mart_queries"] = queries

    log("Excel: Projekt-Leser gegen pandas + openpyxl")
    excel = excel_read.measure(raw1, max(repeat, 11))   # cheap: more rounds, alternating
    results["details"]["excel_read"] = excel

    log("Feste Kosten: Importe, dbt parse, Dagster-Ereignis")
    results["details"]["fixed_costs"] = fixed_costs.measure()
    results["details"]["fixed_costs"]["dagster_event"] = event_store.measure()

    log("Skalierung 10")
    s10 = scale_run(10, args.seed, 1)
    results["details"]["scale10"] = s10
    write_results(results, full, incremental, s10, None, excel, queries, started)  # in case 100 never ends
    if not skip100:
        log("Skalierung 100")
        s100 = scale_run(100, args.seed, 1)
        results["details"]["scale100"] = s100
        write_results(results, full, incremental, s10, s100, excel, queries, started)
    print_table(results)
    log(f"(inkrementell ohne vorgewärmten Prozess, swh run --kalt: {incremental_cold['median_s']:.2f} s; "
        f"Lauf ohne neue Datei: {unchanged['median_s']:.2f} s)")
    log(f"\nErgebnisse: {RESULTS} (Benchmark-Dauer {results['benchmark_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
