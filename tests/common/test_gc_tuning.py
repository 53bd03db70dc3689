"""The swh command and the GX worker raise the cycle collector's thresholds before their imports."""

from __future__ import annotations

import gc
import subprocess
import sys

from pipelines.common.gc_tuning import THRESHOLDS, tune_garbage_collector


def test_thresholds_are_raised_and_collection_still_works():
    before = gc.get_threshold()
    try:
        tune_garbage_collector()
        assert gc.get_threshold() == THRESHOLDS and gc.isenabled()

        class Node:
            pass

        a, b = Node(), Node()
        a.other, b.other = b, a      # a reference cycle: only the collector frees it
        del a, b
        assert gc.collect() >= 2
    finally:
        gc.set_threshold(*before)


def test_the_swh_command_tunes_before_it_runs():
    code = ("import gc, sys; import pipelines.cli as cli; "
            "cli.main = lambda: print(gc.get_threshold()) or 0; cli.entry()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(THRESHOLDS)
