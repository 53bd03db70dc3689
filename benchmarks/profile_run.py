"""cProfile of one full ``swh run`` in-process (``pipelines.cli.main(["run"])``) on a cold copy of the
scale-1 demo data: ``python -m benchmarks.profile_run``. Writes benchmarks/work/profile_full_run.txt
(top functions by cumulative and by own time). cProfile sees the main thread only: dbt runs in this
process but in threads of its own, and Great Expectations in the GX worker process, so their time shows
up as waiting. For those, sample the whole process with py-spy:
``py-spy record -r 100 -t -f raw -o work/run.raw -- .venv/bin/swh run`` (on a prepared data directory)."""

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
