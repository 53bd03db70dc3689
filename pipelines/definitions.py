"""The Dagster definitions: assembled from small modules, one per domain.

ingest       raw loaders (pipelines/ingest/assets.py) and the dbt staging models
indicators   QS 1.1–1.5, access standards, home visits, case volumes (dbt models/…/indicators)
resources    KLR, Maßnahmen 5 and 6 (dbt models/…/resources)
parameters   dbt seeds: the agreement's parameters as data
publication  Great Expectations gate (blocking asset checks) and the atomic publication to data/marts/

DuckDB allows one writing process: every job runs in-process, one step at a time.
"""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from pipelines.progress import progress_logger
from pipelines.ingest.assets import arbeitskalender, erhebungsboegen, raw_files
from pipelines.ingest.sensors import raw_files_sensor
from pipelines.jobs import swh_full
from pipelines.publication.checks import build_gate_checks, build_publication_asset
from pipelines.settings import get_paths
from pipelines.transform.assets import build_dbt_assets, mart_models
from pipelines.transform.manifest import load_manifest

_manifest = load_manifest()
_marts = mart_models(_manifest)

defs = Definitions(
    assets=[raw_files, erhebungsboegen, arbeitskalender, build_dbt_assets(_manifest), build_publication_asset(_marts, get_paths)],
    asset_checks=build_gate_checks(_marts, get_paths),
    jobs=[swh_full],
    sensors=[raw_files_sensor],
    executor=in_process_executor,
    loggers={"swh_progress": progress_logger},
)
