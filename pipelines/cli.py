"""Command line: ``swh run``, ``swh demo-data``, ``swh template``, ``swh prepare``, ``swh warm``.

``swh run`` materializes every asset headless on the Dagster instance under ``DAGSTER_HOME`` (the
same instance ``make ui`` shows), prints the progress step by step, and ends with a summary of what
was published and what was rejected. Exit code 0 only when everything ran and the publication
succeeded.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
import time
from datetime import datetime
from pathlib import Path

from pipelines.settings import Paths, export_environment, get_paths


def _setup() -> Paths:
    paths = get_paths().ensure()
    export_environment(paths)
    return paths


def cmd_prepare(args: argparse.Namespace) -> int:
    from pipelines.transform.dbt_schemas import prepare_schemas
    from pipelines.transform.dbt_templates import prepare_templates
    from pipelines.transform.manifest import prepare_manifest

    _setup()
    print(f"dbt-Manifest bereit: {prepare_manifest(force=args.force)}")
    prepare_schemas()
    compiled = prepare_templates()
    if compiled:
        print(f"dbt-Vorlagen kompiliert: {compiled}")
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from pipelines.demo.generator import generate_demo_data, write_demo_data_if_empty

    paths = _setup()
    raw_dir = Path(args.raw_dir).resolve() if args.raw_dir else paths.raw_dir
    started = time.monotonic()
    write = write_demo_data_if_empty if args.if_empty else generate_demo_data
    summary = write(raw_dir, scale=args.scale, seed=args.seed)
    if summary is None:
        print(f"{raw_dir} enthält bereits Eingangsdateien: keine Demodaten erzeugt.")
        return 0
    print(f"Demodaten (Skalierung {args.scale}, Seed {args.seed}) in {raw_dir} geschrieben "
          f"({time.monotonic() - started:.1f} s):")
    for key, value in summary.items():
        print(f"  {key}: {value}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from pipelines.template import write_template

    out = Path(args.output).resolve()
    write_template(out, bezirk_nr=args.bezirk, year=args.jahr, quarter=args.quartal)
    print(f"Leerer Erhebungsbogen geschrieben: {out}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    paths = _setup()
    from pipelines import warm_start
    from pipelines.transform.manifest import prepare_manifest

    prepare_manifest()
    if not args.kalt:
        code = warm_start.delegate(["run"], paths)   # a warm process of an earlier run takes it, if there is one
        if code is not None:
            return code
    try:
        return _run(paths)
    finally:
        if not args.kalt:
            warm_start.ensure_started(paths)   # for the next run


def _run(paths: Paths) -> int:
    started_at = datetime.now()
    t0 = time.monotonic()
    from dagster import DagsterInstance

    from pipelines.ingest.partitions import QUARTAL
    from pipelines.ingest.registry import new_files
    from pipelines.run_plan import plan_run

    def definitions():
        from pipelines.definitions import defs  # seconds of imports: only when there is something to do

        return defs

    print(f"Datenverzeichnis: {paths.data_dir}\nWarehouse:       {paths.warehouse}")
    from pipelines import warm_start

    if warm_start.in_child():
        print("Gestartet im vorgewärmten Prozess (Importe und dbt-Manifest schon geladen; swh run --kalt ohne ihn).")
    print()
    from pipelines import progress

    run_log = paths.data_dir / "logs" / f"swh_run_{started_at:%Y%m%dT%H%M%S}.log"
    run_log.parent.mkdir(parents=True, exist_ok=True)
    with DagsterInstance.get() as instance:
        # only what new input feeds; the quarters of new workbooks become partitions first
        plan = plan_run(instance, definitions, paths, new_files(paths))
        print(plan.describe() + "\n")
        if plan.empty:
            print(f"Nichts zu tun: die Veröffentlichung unter {paths.marts_dir} ist aktuell "
                  f"({time.monotonic() - t0:.1f} s).")
            return 0
        if plan.added_quarters:
            instance.add_dynamic_partitions(QUARTAL, plan.added_quarters)
        if any(key.path[0] == "marts" for key in plan.asset_keys):
            from pipelines.publication import gx_worker

            # the gate follows: GX imports on the second core from now on, not only once dbt starts (started
            # before this process imports Dagster and dbt, it slowed those imports more than it saved)
            gx_worker.start(paths.data_docs_dir)
        progress.OUTPUT = sys.stdout  # progress on the terminal; dbt's raw log lines into the run log
        try:
            with open(run_log, "w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
                from pipelines.jobs import swh_full

                result = definitions().resolve_job_def(swh_full.name).execute_in_process(
                    instance=instance, asset_selection=plan.asset_keys, raise_on_error=False, tags=plan.tags,
                    run_config={"loggers": {"swh_progress": {}}})
        finally:
            progress.OUTPUT = None
            from pipelines.publication import gx_worker

            gx_worker.wait_for_workers()   # the Data Docs index page, built after the gate's answer
    print(f"Protokoll (dbt): {run_log}")
    from pipelines.run_summary import summarise_run

    return summarise_run(result, paths, started_at, time.monotonic() - t0)


def cmd_warm(args: argparse.Namespace) -> int:
    from pipelines import warm_start

    paths = _setup()
    if args.stop:
        print("Vorgewärmter Prozess beendet." if warm_start.stop(paths)
              else "Kein vorgewärmter Prozess für dieses Datenverzeichnis und diesen Code.")
        return 0
    if not warm_start.enabled():
        print(f"Vorgewärmte Prozesse sind ausgeschaltet ({warm_start.IDLE_MINUTES_VARIABLE}=0).")
        return 1
    started = time.monotonic()
    if not warm_start.wait_until_ready(paths):
        print(f"Der vorgewärmte Prozess ist nicht bereit; sein Protokoll: {warm_start.log_path(paths)}")
        return 1
    print(f"Vorgewärmter Prozess bereit ({time.monotonic() - started:.1f} s); er wartet höchstens "
          f"{warm_start.idle_minutes():g} min auf den nächsten Lauf.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="swh", description="Data Warehouse Soziale Wohnhilfen (Berlin)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="alles verarbeiten, prüfen und veröffentlichen")
    p.add_argument("--kalt", action="store_true",
                   help="ohne vorgewärmten Prozess: nicht übergeben, keinen für den nächsten Lauf hinterlassen")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("warm", help="einen vorgewärmten Prozess für die nächsten Läufe starten und warten, bis er bereit ist")
    p.add_argument("--stop", action="store_true", help="den vorgewärmten Prozess dieses Datenverzeichnisses beenden")
    p.set_defaults(func=cmd_warm)
    p = sub.add_parser("demo-data", help="realistische Demodaten nach data/raw/ schreiben")
    p.add_argument("--scale", type=int, default=1, help="vervielfacht die Fallzahlen (Benchmarks)")
    p.add_argument("--seed", type=int, default=20240101)
    p.add_argument("--if-empty", action="store_true", help="nur, wenn data/raw/ noch keine Eingangsdateien hat")
    p.add_argument("--raw-dir", help="Zielverzeichnis (Standard: <SWH_DATA_DIR>/raw)")
    p.set_defaults(func=cmd_demo_data)
    p = sub.add_parser("template", help="leeren Erhebungsbogen (xlsx) schreiben")
    p.add_argument("-o", "--output", default="erhebungsbogen_vorlage.xlsx")
    p.add_argument("--bezirk", help="Bezirksnummer 01–12 (optional, wird im Blatt Meta vorausgefüllt)")
    p.add_argument("--jahr", type=int)
    p.add_argument("--quartal", type=int, choices=(1, 2, 3, 4))
    p.set_defaults(func=cmd_template)
    p = sub.add_parser("prepare", help="dbt-Manifest erzeugen, falls es fehlt oder veraltet ist (Teil von make setup)")
    p.add_argument("--force", action="store_true", help="auch neu erzeugen, wenn es aktuell ist")
    p.set_defaults(func=cmd_prepare)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


def entry() -> None:
    """The ``swh`` command: ``main``, then leave without tearing down the interpreter.

    After a run, Python's own shutdown (freeing thousands of modules of Dagster, dbt, polars) takes
    about a second of nothing. Everything this process wrote is closed by then (warehouse, run log,
    Dagster instance, the GX worker); the exit handlers still run (multiprocessing's cleanup among
    them) and standard output is flushed, only the freeing of the modules is skipped.
    """
    from pipelines.common.gc_tuning import tune_garbage_collector

    tune_garbage_collector()   # before the imports of Dagster, dbt and polars
    code = main()
    atexit._run_exitfuncs()   # what a normal exit runs, logging.shutdown included
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
