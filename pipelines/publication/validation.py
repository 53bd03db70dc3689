"""Validate marts with their GX suites, build the Data Docs, and reuse validations of unchanged marts.

GX 1.x has no working DuckDB datasource here, so every query of the suite (the mart table itself and
each named query) is read from DuckDB into pandas and validated as one GX batch. All marts of one
gate are validated in one GX context, and the Data Docs are built once at the end.

GX is imported lazily (it takes seconds): never at import time of this module, and not at all when
no mart needs a validation. When the dbt step has started a GX worker process (``gx_worker``), the
marts that need a validation are validated there (GX already imported, on the other core).

Reuse: :func:`validate_or_reuse` keys every validation by a fingerprint of everything its outcome
depends on: the content of each query result the suite validates (schema, row count and
order-independent sums of DuckDB ``hash()`` over all columns of every row; the first query is the
mart table itself), the suite file's bytes, the publication settings that shape the result
(``example_rows``), and the versions of this code, GX and DuckDB. The fingerprint is stored with the
last validation in ``<data_docs>/last_validation/<mart>.json``; while it matches, that stored
validation is the result and GX does not run for the mart.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import json
import logging
import math
import os
import shutil
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from pipelines.publication import gx_templates, gx_worker
from pipelines.publication import suites as suites_module
from pipelines.publication.suites import (FEHLER, TABLE, PublicationSettings, Rule, Suite, SuiteError,
                                          available_suites, load_suite)
from pipelines.settings import EXPECTATIONS_DIR

DATASOURCE = "swh_marts"
BATCH_DEFINITION = "ganze_tabelle"
GX_DIR = "gx"                              # GX stores and Data Docs under the Data Docs directory
LAST_VALIDATION_DIR = "last_validation"    # <data_docs>/last_validation/<mart>.json
FINGERPRINT_VERSION = 1                    # raise when the meaning of a stored validation changes
_TABLE_LEVEL_HINT = ("expect_table_", "expect_compound_", "expect_multicolumn_", "expect_select_column_")

_CONTEXT_LOCK = threading.Lock()
_CONTEXTS: dict[Path, tuple[Any, Any]] = {}   # GX context and pandas datasource per Data Docs directory

log = logging.getLogger(__name__)


class MartNotFoundError(LookupError):
    """The mart to validate does not exist in the warehouse."""


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that did not hold, with what GX found."""

    mart: str
    name: str
    expectation_type: str
    beschreibung: str
    severity: str
    column: str | None
    unexpected_count: int | None
    observed_value: Any = None
    examples: list[dict[str, Any]] = field(default_factory=list)
    query: str = TABLE
    message: str = ""   # when the check could not run at all (query or GX error)

    def describe(self) -> str:
        """German markdown: which rule failed on which mart, how often, and example rows."""
        label = "Fehler" if self.severity == FEHLER else "Warnung"
        head = f"**{label}** in `{self.mart}`: {self.beschreibung} (Regel `{self.name}`, `{self.expectation_type}`"
        head += f", Spalte `{self.column}`)" if self.column else ")"
        lines = [head]
        if self.query != TABLE:
            lines.append(f"Geprüft wurde das Ergebnis der Abfrage `{self.query}`.")
        if self.message:
            lines.append(f"Prüfung nicht ausführbar: {self.message}")
        if self.unexpected_count is not None:
            lines.append(f"Abweichende Zeilen: {self.unexpected_count}.")
        elif self.observed_value is not None:
            lines.append(f"Gefundener Wert: {self.observed_value}.")
        if self.examples:
            lines.append(f"Beispielzeilen (höchstens {len(self.examples)}):")
            lines.append(_markdown_table(self.examples))
        return "\n".join(lines)


@dataclass
class MartValidation:
    mart: str
    passed: bool                        # no expectation of severity fehler failed
    errors: list[FailedExpectation]
    warnings: list[FailedExpectation]
    data_docs_index: Path               # GX Data Docs page of this validation (the mart table's batch)
    data_docs_pages: list[Path] = field(default_factory=list)   # one page per validated query
    n_expectations: int = 0
    n_rows: int = 0
    validated_at: str = ""
    fingerprint: str = ""               # what was validated (see module docstring); "" when unknown
    reused: bool = False                # True: the stored validation of unchanged content, GX did not run

    def text(self) -> str:
        """German markdown of every failed expectation (empty when all held)."""
        return "\n\n".join(f.describe() for f in [*self.errors, *self.warnings])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the stored last validation; :meth:`from_dict` reads it back)."""
        return {
            "mart": self.mart, "passed": self.passed, "validated_at": self.validated_at,
            "n_expectations": self.n_expectations, "n_rows": self.n_rows,
            "n_errors": len(self.errors), "n_warnings": len(self.warnings),
            "errors": [asdict(f) for f in self.errors], "warnings": [asdict(f) for f in self.warnings],
            "data_docs": str(self.data_docs_index),
            "data_docs_pages": [str(p) for p in self.data_docs_pages],
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, reused: bool = False) -> MartValidation:
        """The validation :meth:`to_dict` wrote; KeyError/TypeError/ValueError when it is incomplete."""
        names = {f.name for f in fields(FailedExpectation)}

        def failures(key: str) -> list[FailedExpectation]:
            return [FailedExpectation(**{k: v for k, v in item.items() if k in names}) for item in data[key]]

        return cls(mart=str(data["mart"]), passed=bool(data["passed"]), errors=failures("errors"),
                   warnings=failures("warnings"), data_docs_index=Path(data["data_docs"]),
                   data_docs_pages=[Path(p) for p in data.get("data_docs_pages", [])],
                   n_expectations=int(data["n_expectations"]), n_rows=int(data["n_rows"]),
                   validated_at=str(data["validated_at"]), fingerprint=str(data.get("fingerprint") or ""),
                   reused=reused)


def existing_marts(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables and views in schema ``marts``."""
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'").fetchall()}


def fetch_frame(con: duckdb.DuckDBPyConnection, sql: str):
    """Run ``sql`` and return pandas; DECIMAL/HUGEINT become DOUBLE so GX compares plain numbers."""
    rel = con.sql(sql)
    casts = []
    for name, dtype in zip(rel.columns, rel.dtypes, strict=True):
        quoted = '"' + name.replace('"', '""') + '"'
        if str(dtype).upper().startswith(("DECIMAL", "HUGEINT", "UHUGEINT")):
            casts.append(f"CAST({quoted} AS DOUBLE) AS {quoted}")
        else:
            casts.append(quoted)
    return rel.project(", ".join(casts)).df()


# --- Great Expectations: import (optionally in the background) and context ---------------------------

def _gx() -> Any:
    """The ``great_expectations`` module with the submodules the validation uses."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    import great_expectations.core.run_identifier
    import great_expectations.data_context.types.base
    import great_expectations.data_context.types.resource_identifiers
    import great_expectations.expectations.metadata_types
    import great_expectations.expectations.registry
    return gx


def _gx_context(data_docs_dir: Path) -> tuple[Any, Any]:
    """The GX context whose stores and Data Docs live in ``<data_docs_dir>/gx``, and its pandas datasource.

    Ephemeral (no great_expectations.yml is read or rewritten), with filesystem stores: validation
    results and Data Docs persist across runs. One per directory and process.
    """
    gx = _gx()
    key = Path(data_docs_dir).resolve()
    with _CONTEXT_LOCK:
        cached = _CONTEXTS.get(key)
        if cached is None:
            from great_expectations.data_context.types.base import (
                DataContextConfig, FilesystemStoreBackendDefaults, ProgressBarsConfig)
            config = DataContextConfig(
                store_backend_defaults=FilesystemStoreBackendDefaults(root_directory=str(key / GX_DIR)),
                progress_bars=ProgressBarsConfig(globally=False), analytics_enabled=False)
            context = gx.get_context(project_config=config, mode="ephemeral")
            cached = _CONTEXTS[key] = (context, context.data_sources.add_pandas(DATASOURCE))
    return cached


def _batch_definition(source: Any, name: str) -> Any:
    """The batch definition of one query's dataframe asset, added on first use. Adding rewrites GX's
    project configuration (~20 ms each): :func:`prepare_context` does it ahead for every suite."""
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition(BATCH_DEFINITION)
    except LookupError:
        return asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)


def prepare_context(data_docs_dir: Path, suites_dir: Path = EXPECTATIONS_DIR) -> None:
    """Create the GX context, then the assets of every query of every suite: the gate's fixed costs,
    paid by the GX worker while dbt builds the marts. A suite that does not load is skipped here; the
    gate reports it."""
    _, source = _gx_context(data_docs_dir)
    gx_templates.warm()
    for mart in available_suites(suites_dir):
        try:
            suite = load_suite(mart, suites_dir)
        except SuiteError:
            continue
        for query in suite.queries:
            _batch_definition(source, _gx_name(suite.mart, query))


# --- Fingerprints and stored validations ---------------------------------------------------------------

def fingerprint(con: duckdb.DuckDBPyConnection, suite: Suite, *, example_rows: int) -> str:
    """What a validation of ``suite`` depends on, as a hex digest (see the module docstring)."""
    digest = hashlib.sha256()

    def add(*parts: Any) -> None:
        digest.update(json.dumps(parts, ensure_ascii=False, default=str).encode("utf-8"))
        digest.update(b"\n")

    add("format", FINGERPRINT_VERSION, _environment_digest(), suite.mart, _suite_digest(suite), example_rows)
    for name, sql in suite.queries.items():
        add(name, _content(con, sql))
    return digest.hexdigest()


def _content(con: duckdb.DuckDBPyConnection, sql: str) -> list[Any]:
    """Schema, row count and order-independent aggregates of the row hashes of a query's result.

    Set-based in DuckDB: ``hash(*COLUMNS(*))`` is one hash over all columns of a row; their sum (as
    HUGEINT, so duplicates count) and their XOR do not depend on the row order. A query that does not
    bind (unknown table or column) gives its error text: the validation reports that same error. A
    query that binds but fails while running gives a value that never repeats: it is validated again
    every time rather than trusted on an error text.
    """
    body = sql.strip().rstrip(";").strip()
    try:
        rel = con.sql(body)
        schema = [[name, str(dtype)] for name, dtype in zip(rel.columns, rel.dtypes, strict=True)]
    except duckdb.Error as exc:
        return ["abfrage_fehler", type(exc).__name__, str(exc)]
    try:
        # fetchall, not fetchone: a result not read to its end can block the connection's next query
        # (DuckDB 2.0: "connection has an unfinished result")
        ((count, total, xor),) = con.execute(
            "SELECT count(*), sum(hash(*COLUMNS(*))::HUGEINT), bit_xor(hash(*COLUMNS(*))) "
            f"FROM ({body}) AS swh_fingerprint_rows").fetchall()
    except duckdb.Error as exc:
        log.warning("Inhalt der Abfrage nicht vergleichbar (%s); die Mart wird neu geprüft.", exc)
        return ["nicht_vergleichbar", uuid.uuid4().hex]
    return [schema, count, str(total), str(xor)]


def _suite_digest(suite: Suite) -> str:
    if suite.digest:
        return suite.digest   # the suite file's bytes
    rules = [asdict(r) for r in suite.rules]   # a suite built in code: its parsed content
    return hashlib.sha256(json.dumps([suite.beschreibung, suite.queries, rules], sort_keys=True,
                                     ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


@functools.cache
def _environment_digest() -> str:
    """This code (validation and suite parsing), GX's and DuckDB's versions: a change revalidates."""
    digest = hashlib.sha256()
    for path in (Path(__file__), Path(suites_module.__file__)):
        digest.update(path.read_bytes())
    try:
        gx_version = importlib.metadata.version("great_expectations")   # without importing GX
    except importlib.metadata.PackageNotFoundError:
        gx_version = "?"
    digest.update(f"duckdb {duckdb.__version__} gx {gx_version}".encode())
    return digest.hexdigest()


def last_validation_path(data_docs_dir: Path, mart: str) -> Path:
    return Path(data_docs_dir) / LAST_VALIDATION_DIR / f"{mart}.json"


def load_last_validation(data_docs_dir: Path, mart: str) -> MartValidation | None:
    """The stored last validation of ``mart`` (marked as reused), or None if there is no usable one."""
    path = last_validation_path(data_docs_dir, mart)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        validation = MartValidation.from_dict(data, reused=True)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        log.warning("Gespeicherte Prüfung %s ist unlesbar; %s wird neu geprüft.", path, mart)
        return None
    return validation if validation.mart == mart else None


def write_last_validation(data_docs_dir: Path, validation: MartValidation) -> Path:
    """Store a validation as JSON (atomically: a reader sees the old or the new file, never half)."""
    path = last_validation_path(data_docs_dir, validation.mart)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(validation.to_dict(), ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path


def validate_or_reuse(con: duckdb.DuckDBPyConnection, marts: Iterable[str], data_docs_dir: Path,
                      settings: PublicationSettings, *,
                      suites_dir: Path = EXPECTATIONS_DIR) -> dict[str, MartValidation | str]:
    """The gate's outcome per mart: its validation, or a German error text when it cannot be validated.

    A mart whose fingerprint matches its stored last validation (and whose Data Docs page still
    exists) gets that validation back (``reused``); all others are validated together in one GX
    context and stored. GX is imported only if at least one mart needs a validation.
    """
    data_docs_dir = Path(data_docs_dir)
    outcomes: dict[str, MartValidation | str] = {}
    todo: dict[str, tuple[Suite, str]] = {}
    marts = list(dict.fromkeys(marts))
    existing = existing_marts(con)
    for mart in marts:
        try:
            suite = load_suite(mart, suites_dir)
        except SuiteError as exc:
            outcomes[mart] = f"**Fehler** in `{mart}`: {exc}"
            continue
        if mart not in existing:
            outcomes[mart] = f"**Fehler** in `{mart}`: {_missing_text(mart)}"
            continue
        key = fingerprint(con, suite, example_rows=settings.example_rows)
        stored = load_last_validation(data_docs_dir, mart)
        if stored is not None and stored.fingerprint == key and stored.data_docs_index.is_file():
            outcomes[mart] = stored
        else:
            todo[mart] = (suite, key)
    if todo:
        validated = _validate(con, [suite for suite, _ in todo.values()], data_docs_dir, settings)
        for mart, result in validated.items():
            if isinstance(result, Exception):
                outcomes[mart] = f"**Fehler** in `{mart}`: {result}"
                continue
            result.fingerprint = todo[mart][1]
            write_last_validation(data_docs_dir, result)
            outcomes[mart] = result
    return {mart: outcomes[mart] for mart in marts}


def _validate(con: duckdb.DuckDBPyConnection, suites: Sequence[Suite], data_docs_dir: Path,
              settings: PublicationSettings) -> dict[str, Any]:
    """validate_marts in the GX worker process if the dbt step started one, else in this process."""
    worker = gx_worker.take()
    if worker is not None:
        warehouse = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]
        try:
            return worker.validate(Path(warehouse), suites, data_docs_dir, example_rows=settings.example_rows,
                                   keep_runs=settings.data_docs_keep_runs)
        except gx_worker.GxWorkerError as exc:
            log.warning("Prüfung im eigenen Prozess, der Prüfprozess ist ausgefallen: %s", exc)
    return validate_marts(con, suites, data_docs_dir, example_rows=settings.example_rows,
                          keep_runs=settings.data_docs_keep_runs)


# --- Validation with GX -----------------------------------------------------------------------------------

def validate_mart(warehouse_con: duckdb.DuckDBPyConnection, mart: str, suite: Suite, data_docs_dir: Path,
                  *, example_rows: int = 5, keep_runs: int = 10) -> MartValidation:
    """Validate ``marts.<mart>`` against ``suite``; build GX Data Docs under ``data_docs_dir``."""
    if suite.mart != mart:
        raise ValueError(f"Prüfregeln {suite.source.name} gehören zu {suite.mart!r}, nicht zu {mart!r}.")
    result = validate_marts(warehouse_con, [suite], data_docs_dir, example_rows=example_rows,
                            keep_runs=keep_runs)[mart]
    if isinstance(result, Exception):
        raise result
    return result


def validate_marts(warehouse_con: duckdb.DuckDBPyConnection, suites: Sequence[Suite], data_docs_dir: Path,
                   *, example_rows: int = 5, keep_runs: int = 10,
                   build_index: bool = True) -> dict[str, MartValidation | MartNotFoundError | SuiteError]:
    """Validate every suite's mart in one GX context; build the Data Docs once, for all of them.

    A mart that is missing (MartNotFoundError) or whose suite GX cannot use (SuiteError) gets that
    error as its value; the others are validated all the same. ``build_index=False`` leaves the
    site's index page to :func:`build_data_docs_index` (the GX worker builds it after answering).
    """
    if len({s.mart for s in suites}) != len(suites):
        raise ValueError("Jede Mart darf nur einmal geprüft werden.")
    outcomes: dict[str, Any] = {}
    prepared: list[tuple[Suite, list[FailedExpectation], int]] = []   # suite, failures, rows of the table
    session = None
    existing = existing_marts(warehouse_con)
    for suite in suites:
        mart = suite.mart
        if mart not in existing:
            outcomes[mart] = MartNotFoundError(_missing_text(mart))
            continue
        frames, failures = {}, []
        for query in dict.fromkeys(r.query for r in suite.rules):
            try:
                frames[query] = fetch_frame(warehouse_con, suite.queries[query])
            except duckdb.Error as exc:
                # the rules of a query that does not run cannot be checked: that blocks publication
                failures += [_failure(mart, rule, severity=FEHLER, message=f"Abfrage {query!r} schlägt fehl: {exc}")
                             for rule in suite.rules_for(query)]
        session = session or _GxSession(Path(data_docs_dir))
        try:
            results = session.validate(suite, frames)
        except SuiteError as exc:
            outcomes[mart] = exc
            continue
        for query, result in results.items():
            frame = frames[query]
            by_name = {r.name: r for r in suite.rules_for(query)}
            for res in result.results:
                if not res.success:
                    rule = by_name[res.expectation_config.meta["name"]]
                    failures.append(_failure_from_result(mart, rule, res, frame, example_rows))
        prepared.append((suite, failures, len(frames[TABLE]) if TABLE in frames else 0))
        del frames, results   # one mart's frames in memory at a time

    pages, index = session.finish(keep_runs, build_index=build_index) if session is not None else ({}, None)
    for suite, failures, n_rows in prepared:
        order = {r.name: i for i, r in enumerate(suite.rules)}
        failures.sort(key=lambda f: order[f.name])
        errors = [f for f in failures if f.severity == FEHLER]
        mart_pages = pages.get(suite.mart, {})
        outcomes[suite.mart] = MartValidation(
            mart=suite.mart, passed=not errors, errors=errors, warnings=[f for f in failures if f.severity != FEHLER],
            data_docs_index=mart_pages.get(TABLE) or next(iter(mart_pages.values()), index),
            data_docs_pages=list(mart_pages.values()), n_expectations=len(suite.rules), n_rows=n_rows,
            validated_at=session.run_time.isoformat(timespec="seconds"))
    return {s.mart: outcomes[s.mart] for s in suites}


def _missing_text(mart: str) -> str:
    return (f"Die Mart marts.{mart} fehlt im Warehouse: sie wurde nicht gebaut (dbt) und kann nicht "
            f"geprüft oder veröffentlicht werden.")


class _GxSession:
    """One GX context for the validations of one gate run; the Data Docs are built once in :meth:`finish`."""

    def __init__(self, data_docs_dir: Path):
        self.gx = _gx()
        gx_templates.shared_cache()   # page templates compiled once per process (warmed by the GX worker)
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier, ValidationResultIdentifier)
        self._suite_id, self._result_id = ExpectationSuiteIdentifier, ValidationResultIdentifier
        self.data_docs_dir = data_docs_dir
        data_docs_dir.mkdir(parents=True, exist_ok=True)
        self.context, self.source = _gx_context(data_docs_dir)
        self.run_time = dt.datetime.now(dt.timezone.utc)
        self._run_identifier = RunIdentifier
        self.ids: dict[str, dict[str, Any]] = {}     # mart -> query -> ValidationResultIdentifier

    def validate(self, suite: Suite, frames: dict[str, Any]) -> dict[str, Any]:
        """Validate the frames of one mart (one GX batch per query) and store the results."""
        gx, mart = self.gx, suite.mart
        gx_suites = {query: gx.ExpectationSuite(
            name=_gx_name(mart, query), expectations=[_expectation(gx, r) for r in suite.rules_for(query)],
            meta={"beschreibung": suite.beschreibung, "query": suite.queries[query]}) for query in frames}
        run_id = self._run_identifier(run_name=mart, run_time=self.run_time)
        results, ids = {}, {}
        for query, frame in frames.items():
            name = _gx_name(mart, query)
            batch_definition = _batch_definition(self.source, name)
            # validated without persisting the suite (GX's stores are slow); the result goes to the
            # validation store, from which the Data Docs page is rendered
            batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
            result = batch.validate(gx_suites[query], result_format={"result_format": "COMPLETE"})
            result.meta["run_id"] = run_id
            result.meta["validation_time"] = run_id.run_time
            suite_id = self._suite_id(name=name)
            ids[query] = self._result_id(expectation_suite_identifier=suite_id, run_id=run_id,
                                         batch_identifier=batch.id)
            self.context.validation_results_store.store_validation_results(
                suite_validation_result=result, suite_validation_result_identifier=ids[query],
                expectation_suite_identifier=suite_id)
            results[query] = result
        self.ids[mart] = ids
        return results

    def finish(self, keep_runs: int, *, build_index: bool = True) -> tuple[dict[str, dict[str, Path]], Path]:
        """Prune old runs, build the Data Docs of every stored result once; return pages and site index."""
        _prune_runs(self.data_docs_dir, [_gx_name(m, q) for m, ids in self.ids.items() for q in ids], keep_runs)
        every_id = [i for ids in self.ids.values() for i in ids.values()]
        built = self.context.build_data_docs(resource_identifiers=every_id, build_index=build_index)
        index = Path(built["local_site"].removeprefix("file://"))
        url_of = _resource_url_function(self.context)
        pages = {}
        for mart, ids in self.ids.items():
            pages[mart] = {}
            for query, identifier in ids.items():
                url = url_of(identifier)
                pages[mart][query] = Path(url.removeprefix("file://")) if url else index
        return pages, index


def build_data_docs_index(data_docs_dir: Path) -> Path:
    """(Re)build the index page of the Data Docs site alone, listing every stored validation."""
    context, _ = _gx_context(Path(data_docs_dir))
    builder = _local_site_builder(context)
    if builder is None:   # the public way rebuilds every page as well
        return Path(context.build_data_docs()["local_site"].removeprefix("file://"))
    builder.site_index_builder.build()
    return Path(builder.get_resource_url(only_if_exists=False).removeprefix("file://"))


def _local_site_builder(context: Any) -> Any | None:
    """The site builder of the Data Docs site ``local_site`` (GX's own helper, not public API), or None
    for a GX without that helper."""
    try:
        return context._load_site_builder_from_site_config(context.variables.data_docs_sites["local_site"])
    except AttributeError:
        return None


def _resource_url_function(context: Any):
    """URL of a resource's Data Docs page; one site builder for all pages (GX's public
    ``get_docs_sites_urls`` instantiates one per call, ≈ 40 ms each)."""
    builder = _local_site_builder(context)
    if builder is None:   # the public, slower way
        def public(identifier: Any) -> str | None:
            urls = context.get_docs_sites_urls(resource_identifier=identifier, site_name="local_site")
            return urls[0]["site_url"] if urls else None
        return public
    return lambda identifier: builder.get_resource_url(resource_identifier=identifier)


def _failure(mart: str, rule: Rule, **values: Any) -> FailedExpectation:
    base = dict(mart=mart, name=rule.name, expectation_type=rule.type, beschreibung=rule.beschreibung,
                severity=rule.severity, column=rule.column, unexpected_count=None, query=rule.query)
    return FailedExpectation(**{**base, **values})


def _failure_from_result(mart: str, rule: Rule, res: Any, frame: Any, example_rows: int) -> FailedExpectation:
    result = res.result or {}
    exception = res.exception_info or {}
    message = ""
    if exception.get("raised_exception"):
        message = str(exception.get("exception_message") or "GX-Fehler")
    index = result.get("unexpected_index_list") or []
    if index and all(isinstance(i, int) for i in index):
        examples = frame.loc[index[:example_rows]]
    elif rule.query != TABLE and not message and rule.type.startswith(_TABLE_LEVEL_HINT):
        examples = frame.head(example_rows)   # a query listing offending rows: show them
    else:
        examples = frame.head(0)
    count = result.get("unexpected_count")
    return _failure(mart, rule, unexpected_count=None if count is None else int(count),
                    observed_value=_jsonable(result.get("observed_value")),
                    examples=[{k: _jsonable(v) for k, v in row.items()} for row in examples.to_dict("records")],
                    message=message)


def _expectation(gx: Any, rule: Rule) -> Any:
    from great_expectations.expectations.metadata_types import FailureSeverity

    class_name = "".join(part.title() for part in rule.type.split("_"))
    cls = getattr(gx.expectations, class_name, None)
    if cls is None:
        from great_expectations.expectations.registry import get_expectation_impl
        try:
            cls = get_expectation_impl(rule.type)
        except Exception:
            raise SuiteError(f"Prüfregel {rule.name}: GX kennt den Erwartungstyp {rule.type!r} nicht.") from None
    try:
        return cls(**rule.kwargs, description=rule.beschreibung,
                   severity=FailureSeverity.CRITICAL if rule.severity == FEHLER else FailureSeverity.WARNING,
                   meta={"name": rule.name, "severity": rule.severity})
    except Exception as exc:
        raise SuiteError(f"Prüfregel {rule.name} ({rule.type}): ungültige kwargs {rule.kwargs}: {exc}") from None


def _gx_name(mart: str, query: str) -> str:
    """GX suite and asset name of a query (no dots: GX stores dotted names as folders)."""
    return mart if query == TABLE else f"{mart}__{query}"


def _prune_runs(data_docs_dir: Path, suite_names: list[str], keep_runs: int) -> None:
    """Keep the newest ``keep_runs`` stored results (and their pages) per GX suite of this mart."""
    root = data_docs_dir / "gx" / "uncommitted"
    for name in suite_names:
        for base in (root / "validations" / name, root / "data_docs" / "local_site" / "validations" / name):
            if not base.is_dir():
                continue
            for run_name_dir in base.iterdir():
                if run_name_dir.is_dir():
                    runs = sorted((d for d in run_name_dir.iterdir() if d.is_dir()), key=lambda d: d.name)
                    for old in runs[:-keep_runs]:
                        shutil.rmtree(old, ignore_errors=True)


def _jsonable(value: Any) -> Any:
    """Plain JSON values for example rows and observed values (numpy, pandas, dates, NaN)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, (list, dict)):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, int):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        try:
            return value.isoformat()
        except ValueError:
            return None   # NaT
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    try:
        import pandas as pd
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return json.loads(json.dumps(value, default=str))


def _markdown_table(rows: list[dict[str, Any]]) -> str:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    def cell(v: Any) -> str:
        return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)
