"""The sensor that notices new or changed files under data/raw/ and starts what they affect."""

import hashlib
import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from pipelines.ingest.partitions import quartal_partitions
from pipelines.ingest.registry import discover
from pipelines.jobs import swh_full
from pipelines.run_plan import plan_run
from pipelines.settings import get_paths


def raw_fingerprint() -> str:
    """Names, sizes and modification times of the input files: changes when a file arrives or changes."""
    return json.dumps({f.name: f"{f.size}:{f.mtime}" for f in discover(get_paths().raw_dir)}, sort_keys=True)


@sensor(jobs=[swh_full], minimum_interval_seconds=5, default_status=DefaultSensorStatus.RUNNING,
        description="Bemerkt neue oder geänderte Dateien unter data/raw/, legt die Quartale neuer "
                    "Erhebungsbögen als Partitionen an und startet, was sie speisen.")
def raw_files_sensor(context: SensorEvaluationContext):
    fingerprint = raw_fingerprint()
    if fingerprint == context.cursor:
        return SkipReason("Keine neuen oder geänderten Dateien unter data/raw/.")
    before = json.loads(context.cursor) if context.cursor else {}
    changed = [f for f in discover(get_paths().raw_dir)
               if before.get(f.name) != f"{f.size}:{f.mtime}"]
    def definitions():
        from pipelines.definitions import defs  # imported here: the definitions import this module

        return defs

    # the warehouse may be open for writing by a run: the plan does not read it here
    plan = plan_run(context.instance, definitions, get_paths(), changed, warehouse_readable=False)
    context.update_cursor(fingerprint)
    if plan.empty:
        return SkipReason(plan.describe())
    run_key = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    run = RunRequest(run_key=run_key, job_name=swh_full.name, asset_selection=plan.asset_keys, tags=plan.tags)
    added = plan.added_quarters
    return SensorResult(run_requests=[run],
                        dynamic_partitions_requests=[quartal_partitions.build_add_request(added)] if added else [])
