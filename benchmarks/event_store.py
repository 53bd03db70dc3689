"""Milliseconds per Dagster event: Dagster's own SQLite storages against the pooled ones of the project.

Each variant gets a fresh instance directory and its own interpreter; it stores ``N_EVENTS`` asset
materializations of one run (each goes to the run's database and to the index, like the partition
materializations of a cold run) and reports the median over ``repeat`` interpreters.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile

from benchmarks.paths import PYTHON, REPO_ROOT

N_EVENTS = 200

_PROBE = """
import json, sys, time
from pathlib import Path
from dagster import AssetKey, AssetMaterialization, DagsterEvent, DagsterEventType, DagsterInstance
from dagster._core.events import StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.test_utils import create_run_for_test
from pipelines.settings import Paths, ensure_dagster_home

home, pooled, n = Path(sys.argv[1]), sys.argv[2] == "pooled", int(sys.argv[3])
if pooled:
    ensure_dagster_home(Paths(data_dir=home, warehouse=home / "w.duckdb", dagster_home=home))
else:
    (home / "dagster.yaml").write_text("telemetry:\\n  enabled: false\\n")
with DagsterInstance.from_config(str(home)) as instance:
    run_id = create_run_for_test(instance, job_name="j").run_id
    t0 = time.perf_counter()
    for i in range(n):
        event = DagsterEvent(event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value, job_name="j",
                             event_specific_data=StepMaterializationData(AssetMaterialization(
                                 asset_key=AssetKey(["raw", "erhebungsboegen"]), partition=f"p{i}")))
        instance.store_event(EventLogEntry(error_info=None, level=20, user_message="", run_id=run_id,
                                           timestamp=time.time(), dagster_event=event, step_key="s",
                                           job_name="j"))
    print(json.dumps({"ms_per_event": (time.perf_counter() - t0) / n * 1000,
                      "storage": type(instance.event_log_storage).__name__}))
"""


def _once(pooled: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="swh-events-") as home:
        out = subprocess.run([str(PYTHON), "-c", _PROBE, home, "pooled" if pooled else "dagster", str(N_EVENTS)],
                             cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(repeat: int = 3) -> dict:
    result = {}
    for label, pooled in (("dagster_sqlite", False), ("pooled_sqlite", True)):
        runs = [_once(pooled) for _ in range(repeat)]
        result[label] = {"ms_per_event": statistics.median(r["ms_per_event"] for r in runs),
                         "storage": runs[0]["storage"], "events": N_EVENTS, "runs": repeat}
    return result


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
