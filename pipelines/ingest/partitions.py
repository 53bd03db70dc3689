"""Dagster partitions of the Erhebungsbogen ingestion: district × quarter (``'05|2024Q2'``).

The quarters are dynamic: a quarter becomes a partition when the first workbook for it arrives
(its ``Meta`` sheet says which). A workbook whose Meta cannot be read has no partition: the
unpartitioned ingest step rejects it with its full report.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dagster import DagsterInstance, DynamicPartitionsDefinition, MultiPartitionKey, MultiPartitionsDefinition, \
    StaticPartitionsDefinition

from pipelines.common.bezirke import BEZIRKE
from pipelines.ingest.registry import RawFile

QUARTAL = "quartal"
quartal_partitions = DynamicPartitionsDefinition(name=QUARTAL)
bezirk_quartal = MultiPartitionsDefinition({
    "bezirk": StaticPartitionsDefinition(sorted(BEZIRKE)),
    QUARTAL: quartal_partitions,
})


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}Q{quarter}"


@lru_cache(maxsize=None)
def _submission_partition(path: str, name: str, size: int, mtime: float) -> str | None:
    from pipelines.ingest.erhebungsbogen import read_submission_key

    key = read_submission_key(Path(path), name)
    if key is None:
        return None
    bezirk, year, quarter = key
    return str(MultiPartitionKey({"bezirk": bezirk, QUARTAL: quarter_label(year, quarter)}))


def submission_partition(f: RawFile) -> str | None:
    """The partition key of a workbook (read once per file version and process), or None."""
    if f.kind != "erhebungsbogen":
        return None
    return _submission_partition(str(f.path), f.name, f.size, f.mtime)


def quarters_of(keys: list[str]) -> list[str]:
    """The quarters of these partition keys, in order of first appearance."""
    quarters: list[str] = []
    for key in keys:
        quarter = key.split("|")[1]
        if quarter not in quarters:
            quarters.append(quarter)
    return quarters


def partitions_of(files: list[RawFile]) -> list[str]:
    """The partition keys named in the Meta sheets of these workbooks, in order of arrival."""
    keys = [submission_partition(f) for f in files if f.kind == "erhebungsbogen"]
    return [k for k in keys if k is not None]


def range_tags(keys: list[str], all_keys: list[str]) -> dict[str, str]:
    """Tags of one run over the smallest contiguous range of partitions that holds every key
    (single-run backfill; bezirk is the major dimension)."""
    positions = sorted(all_keys.index(k) for k in set(keys))
    return {"dagster/asset_partition_range_start": all_keys[positions[0]],
            "dagster/asset_partition_range_end": all_keys[positions[-1]]}


def plan_partitions(instance: DagsterInstance, changed: list[RawFile]) -> tuple[list[str], dict[str, str] | None]:
    """The quarters to add as partitions for these new or changed workbooks, and the tags of the run
    over the partitions they affect (None when no workbook has a partition: nothing to load there)."""
    keys = partitions_of(changed)
    existing = list(instance.get_dynamic_partitions(QUARTAL))
    added = [q for q in quarters_of(keys) if q not in existing]
    if not keys:
        return added, None
    all_keys = [str(MultiPartitionKey({"bezirk": b, QUARTAL: q})) for b in sorted(BEZIRKE) for q in existing + added]
    return added, range_tags(keys, all_keys)
