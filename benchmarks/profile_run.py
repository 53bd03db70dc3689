"""cProfile of one full ``swh run`` in-process (``pipelines.cli.main(["run"])``) on a cold copy of the
scale-1 demo data: ``python -m benchmarks.profile_run``. Writes benchmarks/work/profile_full_run.txt
(top functions by cumulative and by own time). dbt runs in its own process: its time shows up as
waiting for the subprocess in dagster-dbt."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys

from benchmarks.demo_cache import ensure_demo_data
from benchmarks.paths import DEFAULT_SEED, WORK_DIR
from benchmarks.swh_process import environment, fresh_data_dir

TOP = 30


def main() -> int:
    raw, _ = ensure_demo_data(1, DEFAULT_SEED)
    data_dir = fresh_data_dir("profile", raw)
    os.environ.clear()
    os.environ.update(environment(data_dir))
    from pipelines.cli import main as swh_main

    profiler = cProfile.Profile()
    profiler.enable()
    code = swh_main(["run"])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write(f"swh run exit code {code}\n\n=== by cumulative time ===\n")
    stats.sort_stats("cumulative").print_stats(TOP)
    out.write("\n=== by own time ===\n")
    stats.sort_stats("tottime").print_stats(TOP)
    target = WORK_DIR / "profile_full_run.txt"
    target.write_text(out.getvalue())
    print(f"Profil: {target}", file=sys.__stdout__)
    return code


if __name__ == "__main__":
    sys.exit(main())
