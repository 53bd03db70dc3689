"""Find the files under data/raw/, record every new version, and load the accepted ones.

A file is identified by the SHA-256 of its bytes: an unchanged file is never read twice, a changed
file is a new version. Every version that arrives is copied to ``<data dir>/archive/`` and gets a
row in ``raw.file_registry`` and a German report under ``<data dir>/reports/``, accepted or not.
A rejected file adds nothing but its registry row and its problems: no published figure changes.
Fall-IDs are written only as their keyed hash (``fall_key``), computed by the INSERT that writes the rows.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path
from typing import Callable

import duckdb
import polars as pl

from pipelines.common.problems import Problems, write_report
from pipelines.common.pseudonym import FALL_KEY_SQL, load_case_key
from pipelines.common.warehouse import append_frame, table_exists
from pipelines.ingest.raw_tables import columns, create_raw_tables
from pipelines.ingest.read_result import ReadResult
from pipelines.settings import Paths

# file name pattern -> kind (INPUTS.md: files are recognised by name anywhere under data/raw/)
FILE_KINDS: tuple[tuple[str, str], ...] = (
    ("klr_mengen_*.csv", "klr_mengen"),
    ("klr_kosten_*.csv", "klr_kosten"),
    ("klr_stellen_*.csv", "klr_stellen"),
    ("fallzahlen_*.csv", "fallzahlen"),
    ("*.xlsx", "erhebungsbogen"),
)


@dataclass(frozen=True)
class RawFile:
    path: Path
    name: str        # relative to data/raw/, with forward slashes
    kind: str
    mtime: float
    size: int


@dataclass
class FileOutcome:
    name: str
    kind: str
    file_id: str
    accepted: bool
    n_rows: int
    errors: list[str]
    warnings: list[str]
    report_path: Path


@dataclass
class IngestSummary:
    new: list[FileOutcome] = field(default_factory=list)
    unchanged: int = 0

    @property
    def rejected(self) -> list[FileOutcome]:
        return [o for o in self.new if not o.accepted]


def kind_of(name: str) -> str | None:
    base = Path(name).name.lower()
    if base.startswith(("~$", ".")):
        return None  # Excel lock files, hidden files
    for pattern, kind in FILE_KINDS:
        if fnmatch(base, pattern):
            return kind
    return None


def discover(raw_dir: Path) -> list[RawFile]:
    """Every input file under raw_dir (subfolders free), oldest first (mtime, then name)."""
    found = []
    if not raw_dir.exists():
        return found
    for p in raw_dir.rglob("*"):
        if not p.is_file():
            continue
        name = p.relative_to(raw_dir).as_posix()
        kind = kind_of(name)
        if kind is None:
            continue
        st = p.stat()
        found.append(RawFile(path=p, name=name, kind=kind, mtime=st.st_mtime, size=st.st_size))
    return sorted(found, key=lambda f: (f.mtime, f.name))


def known_file_ids(warehouse: Path) -> set[str]:
    """SHA-256 of every file version already registered (read-only; empty for a new warehouse)."""
    if not warehouse.exists():
        return set()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not table_exists(con, "raw", "file_registry"):
            return set()
        return {r[0] for r in con.execute("SELECT file_id FROM raw.file_registry").fetchall()}


def new_files(paths: Paths) -> list[RawFile]:
    """The files under data/raw/ whose bytes are not registered yet (what the next run loads)."""
    known = known_file_ids(paths.warehouse)
    return [f for f in discover(paths.raw_dir) if file_id(f) not in known]


def file_id(f: RawFile) -> str:
    """SHA-256 of a file version, hashed once per process: the plan of ``swh run`` and both ingest steps
    of its run ask for every file under data/raw/."""
    return _file_id(str(f.path), f.size, f.mtime)


@lru_cache(maxsize=None)
def _file_id(path: str, size: int, mtime: float) -> str:
    return sha256_of(Path(path))


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _reader(kind: str) -> Callable[[Path, str], ReadResult]:
    # imported here so that a module that only lists files does not pay for every reader
    if kind == "erhebungsbogen":
        from pipelines.ingest.erhebungsbogen import read_erhebungsbogen

        return read_erhebungsbogen
    if kind.startswith("klr_"):
        from pipelines.ingest.klr import read_klr

        return read_klr
    from pipelines.ingest.fallzahlen import read_fallzahlen

    return read_fallzahlen


def _check_against_history(con: duckdb.DuckDBPyConnection, result: ReadResult, name: str) -> None:
    """Rules that span files: historical volumes may not overlap volumes already loaded."""
    if result.kind != "fallzahlen" or not result.accepted or "fallzahlen" not in result.tables:
        return
    from pipelines.ingest.fallzahlen import fallzahlen_conflicts

    # a new version of the same file replaces its earlier versions; only other files can conflict
    loaded = con.sql(
        "SELECT f.* EXCLUDE (file_id), r.path AS loaded_from FROM raw.fallzahlen f "
        "JOIN raw.file_registry r USING (file_id) WHERE r.status = 'accepted' AND r.path <> $name",
        params={"name": name}).pl()
    result.problems.extend(fallzahlen_conflicts(result.tables["fallzahlen"], loaded, name).items)


def _archive(f: RawFile, sha: str, archive_dir: Path) -> Path:
    target = archive_dir / sha[:2] / f"{sha}{f.path.suffix.lower()}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        shutil.copyfile(f.path, tmp)
        tmp.replace(target)
    return target


def ingest_files(paths: Paths, *, select: Callable[[RawFile], bool] | None = None) -> IngestSummary:
    """Register and load every new file version under ``paths.raw_dir`` into the raw layer (only the
    files ``select`` accepts: the Dagster step of one district-quarter loads only its workbooks).

    Rows are written in batches, each in one transaction (a crash loses the batch, never half a file:
    its files are not registered and are read again by the next run)."""
    paths.ensure()
    summary = IngestSummary()
    case_key = load_case_key(paths.secret_key_file)
    with duckdb.connect(str(paths.warehouse)) as con:
        create_raw_tables(con)
        known = {r[0] for r in con.execute("SELECT file_id FROM raw.file_registry").fetchall()}
        batch = _Batch(case_key)
        for f in discover(paths.raw_dir):
            sha = file_id(f)
            if sha in known:
                summary.unchanged += 1
                continue
            if select is not None and not select(f):
                continue
            known.add(sha)
            try:
                result = _reader(f.kind)(f.path, f.name)
            except Exception as exc:  # a reader bug must not cost the other files: reject with a report
                problems = Problems(f.name)
                problems.error(f"Die Datei konnte nicht verarbeitet werden ({type(exc).__name__}: {exc}).",
                               expected="eine lesbare Datei im vereinbarten Format")
                result = ReadResult(kind=f.kind, problems=problems)
            if result.kind == "fallzahlen":
                batch.flush(con)  # the check across files reads what is loaded so far
            _check_against_history(con, result, f.name)
            summary.new.append(_record(batch, paths, f, sha, result))
            if batch.rows >= BATCH_ROWS:
                batch.flush(con)
        batch.flush(con)
    return summary


BATCH_ROWS = 250_000  # rows held in memory before they are written (bounded memory at any scale)


class _Batch:
    """Rows of several files, written together: one INSERT per table instead of one per file and table.
    Case rows arrive with the trimmed Fall-ID (``fall_id``) and are written with its keyed hash."""

    def __init__(self, case_key: str) -> None:
        self.case_key = case_key
        self.frames: dict[str, list[pl.DataFrame]] = {}
        self.rows = 0

    def add(self, table: str, frame: pl.DataFrame) -> None:
        self.frames.setdefault(table, []).append(frame)
        self.rows += frame.height

    def flush(self, con: duckdb.DuckDBPyConnection) -> None:
        if not self.frames:
            return
        con.execute("BEGIN TRANSACTION")
        try:
            for table, frames in self.frames.items():
                # frames of one table may lack optional columns or hold all-null ones: diagonal, relaxed
                frame = pl.concat(frames, how="diagonal_relaxed")
                if "fall_key" in columns(table):   # the Fall-ID is written only as its keyed hash
                    append_frame(con, table, frame, computed={"fall_key": FALL_KEY_SQL}, inputs={"fall_id"},
                                 params={"key": self.case_key})
                else:
                    append_frame(con, table, frame)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        self.frames, self.rows = {}, 0


def _record(batch: _Batch, paths: Paths, f: RawFile, sha: str, result: ReadResult) -> FileOutcome:
    accepted = result.accepted
    archive = _archive(f, sha, paths.archive_dir)
    report = write_report(
        result.problems, paths.reports_dir, accepted=accepted, sha256=sha,
        summary=f"Art: {f.kind}; Zeilen: {result.n_rows if accepted else 0} geladen.")
    seen_at = datetime.now()
    batch.add("file_registry", pl.DataFrame([{
        "file_id": sha, "path": f.name, "kind": result.kind, "size_bytes": f.size,
        "seen_at": seen_at, "bezirk_nr": result.bezirk_nr, "year": result.year,
        "quarter": result.quarter, "status": "accepted" if accepted else "rejected",
        "n_errors": len(result.problems.errors), "n_warnings": len(result.problems.warnings),
        "n_rows": result.n_rows if accepted else 0, "report_path": str(report), "archive_path": str(archive),
    }], schema_overrides={"bezirk_nr": pl.String, "year": pl.Int32, "quarter": pl.Int32,
                          "seen_at": pl.Datetime("us")}))
    batch.add("file_problems", result.problems.to_frame().with_columns(pl.lit(sha).alias("file_id")))
    if accepted:
        for table, frame in result.tables.items():
            loader = {"file_id": pl.lit(sha), "seen_at": pl.lit(seen_at, dtype=pl.Datetime("us"))}
            batch.add(table, frame.with_columns([expr.alias(c) for c, expr in loader.items() if c in columns(table)]))
    return FileOutcome(
        name=f.name, kind=result.kind, file_id=sha, accepted=accepted, n_rows=result.n_rows if accepted else 0,
        errors=[p.describe() for p in result.problems.errors],
        warnings=[p.describe() for p in result.problems.warnings], report_path=report)
