"""Atomic publication of the marts for analysts.

Layout under ``marts_dir``::

    versions/<publication_id>/marts.duckdb      every mart as a table in schema main
    versions/<publication_id>/<mart>.parquet    one Parquet file per mart
    versions/<publication_id>/manifest.json     id, time, marts (rows, sha256), input files, checks
    current -> versions/<publication_id>        switched atomically (temporary symlink + os.replace)
    marts.duckdb, manifest.json, <mart>.parquet  stable entry points, symlinks through ``current``

A new version is written into ``versions/.tmp-…``, fsynced, renamed, and only then is ``current``
switched. Whatever fails before that switch leaves the previous publication untouched; a temporary
directory left by a crash is removed by the next publication.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

VERSIONS = "versions"
CURRENT = "current"
DUCKDB_FILE = "marts.duckdb"
MANIFEST = "manifest.json"
TMP_PREFIX = ".tmp-"
RESERVED_MANIFEST_KEYS = {"publication_id", "published_at", "marts", "duckdb_file", "duckdb_sha256"}


class PublicationError(RuntimeError):
    """The publication could not be written; the previous one is unchanged."""


class GateClosedError(PublicationError):
    """A mart failed an expectation of severity fehler: nothing is published."""


@dataclass(frozen=True)
class Publication:
    publication_id: str
    path: Path                       # marts_dir/versions/<publication_id>
    published_at: str
    marts: dict[str, int]            # mart -> row count
    manifest: dict[str, Any]
    pruned: list[str] = field(default_factory=list)


def publish_marts(warehouse: Path, marts_dir: Path, marts: list[str], manifest_extra: dict[str, Any],
                  keep_versions: int) -> Publication:
    """Copy ``marts`` from the warehouse into a new version and switch ``current`` to it atomically."""
    if keep_versions < 1:
        raise ValueError("keep_versions muss mindestens 1 sein (die aktuelle Veröffentlichung bleibt immer).")
    if not marts:
        raise PublicationError("Keine Mart zum Veröffentlichen angegeben.")
    clash = RESERVED_MANIFEST_KEYS & set(manifest_extra)
    if clash:
        raise ValueError(f"manifest_extra darf diese Schlüssel nicht setzen: {sorted(clash)}")
    marts_dir = Path(marts_dir)
    versions = marts_dir / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    _remove_orphans(versions)

    now = dt.datetime.now(dt.timezone.utc)
    tmp = versions / f"{TMP_PREFIX}{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        rows = _write_version(Path(warehouse), tmp, marts)
        parquet = {m: _sha256(tmp / f"{m}.parquet") for m in marts}
        digest = hashlib.sha256(json.dumps(parquet, sort_keys=True).encode()).hexdigest()[:8]
        publication_id = f"{now:%Y%m%dT%H%M%S}.{now:%f}Z-{digest}"
        manifest = {
            "publication_id": publication_id,
            "published_at": now.isoformat(timespec="seconds"),
            "marts": {m: {"rows": rows[m], "parquet": f"{m}.parquet", "sha256": parquet[m]} for m in marts},
            "duckdb_file": DUCKDB_FILE,
            "duckdb_sha256": _sha256(tmp / DUCKDB_FILE),
            **manifest_extra,
        }
        _write_durably(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2, default=str).encode())
        for path in tmp.iterdir():
            _fsync_file(path)
        _fsync_dir(tmp)
        final = versions / publication_id
        os.rename(tmp, final)
        _fsync_dir(versions)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    _switch_symlink(marts_dir / CURRENT, Path(VERSIONS) / publication_id)   # the atomic moment
    _fsync_dir(marts_dir)
    _update_entry_points(marts_dir, marts)
    pruned = _prune(versions, keep_versions, publication_id)
    return Publication(publication_id=publication_id, path=final, published_at=manifest["published_at"],
                       marts=rows, manifest=manifest, pruned=pruned)


def current_publication(marts_dir: Path) -> dict[str, Any] | None:
    """The manifest of the current publication, or None when nothing was published yet."""
    manifest = Path(marts_dir) / CURRENT / MANIFEST
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text(encoding="utf-8"))


def _write_version(warehouse: Path, target: Path, marts: list[str]) -> dict[str, int]:
    """Fresh DuckDB with every mart as a table (copied via a read-only ATTACH) plus Parquet files."""
    if not warehouse.is_file():
        raise PublicationError(f"Warehouse {warehouse} fehlt: nichts zu veröffentlichen.")
    rows: dict[str, int] = {}
    con = duckdb.connect(str(target / DUCKDB_FILE))
    try:
        con.execute(f"ATTACH '{_sql_text(warehouse)}' AS wh (READ_ONLY)")
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'wh' AND schema_name = 'marts' "
            "UNION SELECT view_name FROM duckdb_views() WHERE database_name = 'wh' AND schema_name = 'marts'"
        ).fetchall()}
        missing = [m for m in marts if m not in present]
        if missing:
            raise PublicationError(f"Marts fehlen im Warehouse (schema marts): {', '.join(missing)}.")
        for mart in marts:
            con.execute(f'CREATE TABLE main."{mart}" AS SELECT * FROM wh.marts."{mart}"')
            con.execute(f"COPY main.\"{mart}\" TO '{_sql_text(target / f'{mart}.parquet')}' (FORMAT parquet)")
            rows[mart] = con.execute(f'SELECT count(*) FROM main."{mart}"').fetchall()[0][0]
        con.execute("DETACH wh")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return rows


def _update_entry_points(marts_dir: Path, marts: list[str]) -> None:
    """Stable symlinks through ``current``; Parquet links of marts no longer published are removed."""
    wanted = {DUCKDB_FILE: Path(CURRENT) / DUCKDB_FILE, MANIFEST: Path(CURRENT) / MANIFEST}
    wanted.update({f"{m}.parquet": Path(CURRENT) / f"{m}.parquet" for m in marts})
    for name, target in wanted.items():
        link = marts_dir / name
        if not (link.is_symlink() and Path(os.readlink(link)) == target):
            _switch_symlink(link, target)
    for link in marts_dir.glob("*.parquet"):
        if link.is_symlink() and link.name not in wanted:
            link.unlink()
    _fsync_dir(marts_dir)


def _switch_symlink(link: Path, target: Path) -> None:
    tmp = link.with_name(f"{TMP_PREFIX}{link.name}-{uuid.uuid4().hex[:8]}")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _remove_orphans(versions: Path) -> None:
    """Temporary version directories and symlinks left by a crashed publication."""
    for path in versions.glob(f"{TMP_PREFIX}*"):
        shutil.rmtree(path, ignore_errors=True)
    for link in versions.parent.glob(f"{TMP_PREFIX}*"):
        if link.is_symlink():
            link.unlink()


def _prune(versions: Path, keep: int, current_id: str) -> list[str]:
    """Delete all but the newest ``keep`` versions (ids sort by time); never the current one."""
    ids = sorted(p.name for p in versions.iterdir() if p.is_dir() and not p.name.startswith(TMP_PREFIX))
    old = [i for i in ids[:-keep] if i != current_id]
    for publication_id in old:
        shutil.rmtree(versions / publication_id, ignore_errors=True)
    return old


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
