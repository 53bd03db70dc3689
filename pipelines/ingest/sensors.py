"""The sensor that notices new or changed files under data/raw/ and starts what they affect."""

import hashlib
import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from pipelines.ingest.partitions import plan_partitions, quartal_partitions
from pipelines.ingest.registry import discover
from pipelines.jobs import swh_full, swh_ohne_erhebungsboegen
from pipelines.settings import get_paths


def raw_fingerprint() -> str:
    """Names, sizes and modification times of the input files: changes when a file arrives or changes."""
    return json.dumps({f.name: f"{f.size}:{f.mtime}" for f in discover(get_paths().raw_dir)}, sort_keys=True)


@sensor(jobs=[swh_full, swh_ohne_erhebungsboegen], minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description="Bemerkt neue oder geänderte Dateien unter data/raw/, legt die Quartale neuer "
                    "Erhebungsbögen als Partitionen an und startet die Verarbeitung.")
def raw_files_sensor(context: SensorEvaluationContext):
    fingerprint = raw_fingerprint()
    if fingerprint == context.cursor:
        return SkipReason("Keine neuen oder geänderten Dateien unter data/raw/.")
    before = json.loads(context.cursor) if context.cursor else {}
    changed = [f for f in discover(get_paths().raw_dir)
               if before.get(f.name) != f"{f.size}:{f.mtime}"]
    added, tags = plan_partitions(context.instance, changed)
    context.update_cursor(fingerprint)
    run_key = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    run = (RunRequest(run_key=run_key, job_name=swh_full.name, tags=tags) if tags
           else RunRequest(run_key=run_key, job_name=swh_ohne_erhebungsboegen.name))
    return SensorResult(run_requests=[run],
                        dynamic_partitions_requests=[quartal_partitions.build_add_request(added)] if added else [])
