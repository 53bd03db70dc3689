"""What a run has to do: only what new input feeds (``swh run`` and the sensor plan the same way).

The plan starts from the files under data/raw/ whose bytes are not registered yet. Their kind says which
raw assets they write (an Erhebungsbogen raw/erhebungsboegen, a KLR export its table, every file the
registry); the run then holds the steps that load them and everything downstream of those assets in the
asset graph: the dbt models with their tests, the gate of the marts they feed, the publication. A
corrected workbook therefore rebuilds the indicators, never the KLR resources. Also redone:

- the work of every run since the last successful planned run that did not succeed (or that loaded
  raw data without building on it, e.g. a single partition materialized from the UI);
- everything, when the dbt project or the expectations changed since that run, when there was no such
  run yet, or when the warehouse lacks a model;
- the publication alone, when the data directory has none.

Nothing new: no run at all (``RunPlan.empty``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
from dagster import AssetKey, AssetSelection, DagsterInstance, DagsterRunStatus, Definitions

from pipelines.ingest.assets import arbeitskalender, erhebungsboegen, raw_assets_of, raw_files
from pipelines.ingest.partitions import plan_partitions, submission_partition
from pipelines.ingest.registry import RawFile
from pipelines.settings import EXPECTATIONS_DIR, Paths

TAG_PLANNED = "swh/geplant"
TAG_PROJECT = "swh/projekt"
_STATUS_DE = {DagsterRunStatus.SUCCESS: "erfolgreich, aber nicht geplant", DagsterRunStatus.FAILURE: "fehlgeschlagen",
              DagsterRunStatus.CANCELED: "abgebrochen"}
_FINISHED = tuple(_STATUS_DE)


def project_fingerprint() -> str:
    """The dbt project (models, seeds = parameters, macros) and the expectations: a change rebuilds all."""
    from pipelines.transform.manifest import project_fingerprint as dbt_fingerprint

    h = hashlib.sha256(dbt_fingerprint().encode())
    for p in sorted(EXPECTATIONS_DIR.rglob("*.yml")):
        h.update(p.relative_to(EXPECTATIONS_DIR).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@dataclass
class RunPlan:
    asset_keys: list[AssetKey] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    added_quarters: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)   # German, for the terminal and the sensor
    full: bool = False

    @property
    def empty(self) -> bool:
        return not self.asset_keys

    def describe(self) -> str:
        n_models = sum(1 for k in self.asset_keys if k.path[0] not in ("raw", "marts_publication"))
        scope = ("alles neu" if self.full else
                 f"{len(self.asset_keys)} Assets, davon {n_models} dbt-Modelle und Seeds")
        lines = self.reasons or ["Keine neuen oder geänderten Dateien."]
        if not self.empty:
            lines = [*lines, f"Umfang: {scope}."]
        return "\n".join(lines)


def plan_run(instance: DagsterInstance, definitions: Callable[[], Definitions], paths: Paths, fresh: list[RawFile],
             *, warehouse_readable: bool = True) -> RunPlan:
    """The run for the new file versions ``fresh`` (see the module docstring). ``definitions`` is called
    only when there is something to do (importing them costs seconds). ``warehouse_readable`` is False
    where the warehouse may be open for writing (the sensor while a run is going on)."""

    @cache
    def graph():
        return definitions().resolve_asset_graph()

    @cache
    def all_keys() -> set[AssetKey]:
        return set(graph().get_all_asset_keys())

    ingest_keys = {k for a in (raw_files, erhebungsboegen, arbeitskalender) for k in a.keys}
    plan = RunPlan()
    fingerprint = project_fingerprint()
    plan.tags = {TAG_PLANNED: "1", TAG_PROJECT: fingerprint}

    # 1. new files: the steps that load them, the raw tables they write
    workbooks = [f for f in fresh if f.kind == "erhebungsbogen" and submission_partition(f) is not None]
    others = [f for f in fresh if f not in workbooks]
    steps: set[AssetKey] = set()
    dirty: set[AssetKey] = set()
    if workbooks:
        plan.added_quarters, partition_tags = plan_partitions(instance, workbooks)
        plan.tags.update(partition_tags or {})
        steps |= set(erhebungsboegen.keys)
    if others:
        steps |= set(raw_files.keys)
    for f in fresh:
        dirty |= {AssetKey(["raw", a]) for a in raw_assets_of(f.kind)}
    if fresh:
        kinds = sorted({f.kind for f in fresh})
        plan.reasons.append(f"Neu oder geändert: {len(fresh)} Datei(en) ({', '.join(kinds)}).")

    # 2. what earlier runs left undone
    baseline, since = _runs_since_last_success(instance)
    for record in since:   # none of them is a successful planned run
        run = record.dagster_run
        keys = set(run.asset_selection) if run.asset_selection is not None else all_keys()
        dirty |= keys & all_keys()
        plan.reasons.append(f"Nachzuholen: Lauf {run.run_id[:8]} ({_STATUS_DE[run.status]}).")

    # 3. everything, when the base of the last successful run is gone or changed
    full_reason = None
    if baseline is None:
        full_reason = "Erster geplanter Lauf dieser Dagster-Instanz: alles wird gebaut."
    elif baseline.dagster_run.tags.get(TAG_PROJECT) != fingerprint:
        full_reason = "dbt-Projekt, Parameter oder Prüfregeln geändert: alles wird neu gebaut."
    elif warehouse_readable and not _models_present(paths.warehouse):
        full_reason = "Im Warehouse fehlen Modelle: alles wird neu gebaut."
    if full_reason:
        plan.full = True
        plan.reasons.append(full_reason)
        selected = all_keys() - set(erhebungsboegen.keys) - set(raw_files.keys)
        plan.asset_keys = sorted(selected | steps, key=lambda k: k.to_user_string())
        return plan

    # 4. the raw tables written and everything downstream of them; the publication if there is none
    downstream = AssetSelection.assets(*dirty).downstream().resolve(graph()) if dirty else set()
    selected = steps | (set(downstream) - ingest_keys)
    if not (paths.marts_dir / "current").exists():
        plan.reasons.append("Noch keine Veröffentlichung unter data/marts/.")
        selected |= {k for k in all_keys() if k.path == ["marts_publication"]}
    plan.asset_keys = sorted(selected, key=lambda k: k.to_user_string())
    return plan


def _runs_since_last_success(instance: DagsterInstance):
    """The last successful planned run, and every finished run after it (newest first)."""
    since = []
    for record in instance.get_run_records(limit=200):
        run = record.dagster_run
        if run.status not in _FINISHED:
            continue
        if run.status == DagsterRunStatus.SUCCESS and run.tags.get(TAG_PLANNED):
            return record, since
        since.append(record)
    return None, since


def _models_present(warehouse: Path) -> bool:
    """Every dbt model and seed has its relation in the warehouse."""
    if not warehouse.exists():
        return False
    from pipelines.transform.manifest import load_manifest   # not via dagster-dbt: no import cost

    nodes = load_manifest()["nodes"].values()
    expected = {(n["schema"], n["alias"] or n["name"]) for n in nodes if n["resource_type"] in ("model", "seed")}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        present = set(con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall())
    return expected <= present
