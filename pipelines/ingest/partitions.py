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
from pipelines.ingest.registry import RawFile, discover, known_file_ids, sha256_of
from pipelines.settings import Paths

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


def quarters_of(files: list[RawFile]) -> list[str]:
    """The quarters named in the Meta sheets of these workbooks, in order of arrival."""
    quarters: list[str] = []
    for f in files:
        key = submission_partition(f)
        if key is not None:
            quarter = key.split("|")[1]
            if quarter not in quarters:
                quarters.append(quarter)
    return quarters


def new_quarters(paths: Paths, existing: list[str]) -> list[str]:
    """Quarters of workbooks not yet loaded that are not yet partitions."""
    known = known_file_ids(paths.warehouse)
    fresh = [f for f in discover(paths.raw_dir) if f.kind == "erhebungsbogen" and sha256_of(f.path) not in known]
    return [q for q in quarters_of(fresh) if q not in existing]


def full_range_tags(quarters: list[str]) -> dict[str, str]:
    """Tags of one run over every district-quarter (single-run backfill; bezirk is the major dimension)."""
    first = str(MultiPartitionKey({"bezirk": min(BEZIRKE), QUARTAL: quarters[0]}))
    last = str(MultiPartitionKey({"bezirk": max(BEZIRKE), QUARTAL: quarters[-1]}))
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def prepare_quarters(instance: DagsterInstance, paths: Paths) -> list[str]:
    """Add the quarters of newly arrived workbooks as partitions; return every quarter partition."""
    existing = list(instance.get_dynamic_partitions(QUARTAL))
    added = new_quarters(paths, existing)
    if added:
        instance.add_dynamic_partitions(QUARTAL, added)
    return existing + added
