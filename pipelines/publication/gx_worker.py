"""Great Expectations in a second process, started while dbt builds the marts.

Importing GX costs seconds of CPU. In the Dagster process that import would compete with dbt, which
runs in-process, for the interpreter lock; a second process uses the machine's second core instead.
The dbt step calls :func:`start` when marts are about to be rebuilt: the worker imports GX and creates
the context of the Data Docs directory, then waits. The gate hands it the marts that need a validation
(:func:`take`, :meth:`GxWorker.validate`); the worker validates them with its own read-only connection
(dbt has closed the warehouse by then), builds their Data Docs pages and answers. Only then does it
rebuild the site's index page, while the run goes on to the publication, and exit; the run's process
waits for it before it ends (:func:`wait_for_workers`, also at interpreter exit). Without a worker, or
when it died, the gate validates in its own process: the result is the same either way.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import multiprocessing.util   # registers its exit handler (ends daemon processes) before ours below
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_WORKER: GxWorker | None = None
_ANSWERED: list[multiprocessing.process.BaseProcess] = []   # still building the index page
JOIN_TIMEOUT_S = 60


class GxWorkerError(RuntimeError):
    """The worker could not validate; the caller validates in-process instead."""


class GxWorker:
    def __init__(self, data_docs_dir: Path):
        context = multiprocessing.get_context("spawn")   # never fork a process that holds DuckDB and SQLite
        self._conn, child = context.Pipe()
        self.data_docs_dir = Path(data_docs_dir).resolve()
        self.process = context.Process(target=_serve, args=(child, str(self.data_docs_dir)), name="gx-pruefung",
                                       daemon=True)
        self.process.start()
        child.close()

    def validate(self, warehouse: Path, suites: Sequence[Any], data_docs_dir: Path, *, example_rows: int,
                 keep_runs: int) -> dict[str, Any]:
        """``validation.validate_marts`` in the worker; raises GxWorkerError when the worker fails."""
        if Path(data_docs_dir).resolve() != self.data_docs_dir or not self.process.is_alive():
            raise GxWorkerError("Der Prüfprozess läuft nicht (mehr) für dieses Data-Docs-Verzeichnis.")
        try:
            self._conn.send((str(warehouse), list(suites), str(data_docs_dir), example_rows, keep_runs))
            ok, payload = self._conn.recv()
        except (EOFError, OSError) as exc:
            self.process.join(timeout=JOIN_TIMEOUT_S)
            raise GxWorkerError(f"Der Prüfprozess hat nicht geantwortet: {exc}") from exc
        finally:
            self._conn.close()
        with _LOCK:
            _ANSWERED.append(self.process)   # builds the index page now; joined before this process ends
        if not ok:
            raise GxWorkerError(payload)
        return payload


def start(data_docs_dir: Path) -> GxWorker:
    """Start the worker for this Data Docs directory (once per process; a running one is kept)."""
    global _WORKER
    with _LOCK:
        if _WORKER is None or not _WORKER.process.is_alive():
            _WORKER = GxWorker(data_docs_dir)
        return _WORKER


def take() -> GxWorker | None:
    """The started worker, for one validation (None when there is none or it has died)."""
    global _WORKER
    with _LOCK:
        worker, _WORKER = _WORKER, None
    return worker if worker is not None and worker.process.is_alive() else None


def wait_for_workers(timeout: float = JOIN_TIMEOUT_S) -> None:
    """Wait until every worker that answered has finished the Data Docs index page."""
    with _LOCK:
        answered = list(_ANSWERED)
        _ANSWERED.clear()
    for process in answered:
        process.join(timeout=timeout)
        if process.is_alive():
            log.warning("Der Prüfprozess hat die Data-Docs-Übersicht nicht rechtzeitig fertiggestellt.")


atexit.register(wait_for_workers)   # before multiprocessing ends daemon processes (atexit runs in reverse)


def _serve(conn: Any, data_docs_dir: str) -> None:
    """The worker: import GX and create the context, then answer one request."""
    # The worker validates pandas frames only. GX treats SQLAlchemy as optional and imports it if it is
    # installed (dagster needs it): kept out of this process, GX imports ≈ 0.8 s faster.
    sys.modules.setdefault("sqlalchemy", None)
    from pipelines.common.deferred_import import UNUSED_IN_GX_WORKER, defer
    from pipelines.common.gc_tuning import tune_garbage_collector

    tune_garbage_collector()   # before GX's imports
    defer(*UNUSED_IN_GX_WORKER)   # scipy.stats: ≈ 1.5 s of CPU while dbt builds
    import duckdb

    from pipelines.publication import validation

    try:
        # the expensive part, done while dbt works: import GX, create the context and every mart's assets
        validation.prepare_context(Path(data_docs_dir))
    except Exception:   # validate_marts raises it again below, where the caller sees it
        log.debug("GX-Kontext im Prüfprozess nicht vorbereitet", exc_info=True)
    try:
        warehouse, suites, docs, example_rows, keep_runs = conn.recv()
    except EOFError:
        return   # the run ended without a gate
    try:
        with duckdb.connect(warehouse, read_only=True) as con:
            result = validation.validate_marts(con, suites, Path(docs), example_rows=example_rows,
                                               keep_runs=keep_runs, build_index=False)
        conn.send((True, result))
    except BaseException as exc:  # noqa: BLE001 (reported to the caller, who validates in-process)
        conn.send((False, f"{type(exc).__name__}: {exc}"))
        return
    finally:
        conn.close()
    validation.build_data_docs_index(Path(docs))   # the gate has its answer: the run goes on meanwhile
