"""Run a mart's suite with Great Expectations and build the Data Docs page of the validation.

GX 1.x has no working DuckDB datasource here, so every query of the suite (the mart table itself and
each named query) is read from DuckDB into pandas and validated as one GX batch. GX is imported
lazily (it takes seconds): never at import time of this module.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from pipelines.publication.suites import FEHLER, TABLE, Rule, Suite, SuiteError

DATASOURCE = "swh_marts"
BATCH_DEFINITION = "ganze_tabelle"
_CONTEXTS: dict[Path, Any] = {}   # GX file context per Data Docs directory (slow to open), per process
_TABLE_LEVEL_HINT = ("expect_table_", "expect_compound_", "expect_multicolumn_", "expect_select_column_")


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

    def text(self) -> str:
        """German markdown of every failed expectation (empty when all held)."""
        return "\n\n".join(f.describe() for f in [*self.errors, *self.warnings])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (for the manifest and the check metadata)."""
        return {
            "mart": self.mart, "passed": self.passed, "validated_at": self.validated_at,
            "n_expectations": self.n_expectations, "n_rows": self.n_rows,
            "n_errors": len(self.errors), "n_warnings": len(self.warnings),
            "errors": [asdict(f) for f in self.errors], "warnings": [asdict(f) for f in self.warnings],
            "data_docs": str(self.data_docs_index),
        }


def mart_exists(con: duckdb.DuckDBPyConnection, mart: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts' AND table_name = ?",
        [mart]).fetchall()[0][0])


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


def validate_mart(warehouse_con: duckdb.DuckDBPyConnection, mart: str, suite: Suite, data_docs_dir: Path,
                  *, example_rows: int = 5, keep_runs: int = 10) -> MartValidation:
    """Validate ``marts.<mart>`` against ``suite``; build GX Data Docs under ``data_docs_dir``."""
    if suite.mart != mart:
        raise ValueError(f"Prüfregeln {suite.source.name} gehören zu {suite.mart!r}, nicht zu {mart!r}.")
    if not mart_exists(warehouse_con, mart):
        raise MartNotFoundError(
            f"Die Mart marts.{mart} fehlt im Warehouse: sie wurde nicht gebaut (dbt) und kann nicht "
            f"geprüft oder veröffentlicht werden.")

    frames, failures = {}, []
    for query in dict.fromkeys(r.query for r in suite.rules):
        try:
            frames[query] = fetch_frame(warehouse_con, suite.queries[query])
        except duckdb.Error as exc:
            # the rules of a query that does not run cannot be checked: that blocks publication
            failures += [_failure(mart, rule, severity=FEHLER, message=f"Abfrage {query!r} schlägt fehl: {exc}")
                         for rule in suite.rules_for(query)]

    gx_results, pages, index = _run_gx(mart, suite, frames, Path(data_docs_dir), keep_runs)
    for query, result in gx_results.items():
        frame = frames[query]
        by_name = {r.name: r for r in suite.rules_for(query)}
        for res in result.results:
            if res.success:
                continue
            rule = by_name[res.expectation_config.meta["name"]]
            failures.append(_failure_from_result(mart, rule, res, frame, example_rows))

    order = {r.name: i for i, r in enumerate(suite.rules)}
    failures.sort(key=lambda f: order[f.name])
    errors = [f for f in failures if f.severity == FEHLER]
    warnings = [f for f in failures if f.severity != FEHLER]
    return MartValidation(
        mart=mart, passed=not errors, errors=errors, warnings=warnings,
        data_docs_index=pages.get(TABLE) or next(iter(pages.values()), index),
        data_docs_pages=list(pages.values()), n_expectations=len(suite.rules),
        n_rows=len(frames[TABLE]) if TABLE in frames else 0,
        validated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))


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


def _run_gx(mart: str, suite: Suite, frames: dict[str, Any], data_docs_dir: Path, keep_runs: int):
    """Validate every fetched frame; return {query: result}, {query: Data Docs page}, site index."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier, ValidationResultIdentifier)

    data_docs_dir.mkdir(parents=True, exist_ok=True)
    context = _CONTEXTS.get(data_docs_dir.resolve())
    if context is None or not (data_docs_dir / "gx" / "great_expectations.yml").is_file():
        context = gx.get_context(mode="file", project_root_dir=str(data_docs_dir))
        bars = context.variables.progress_bars
        if (bars.get("globally") if isinstance(bars, dict) else getattr(bars, "globally", None)) is not False:
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            context.variables.save()
        _CONTEXTS[data_docs_dir.resolve()] = context
    try:
        source = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError, LookupError):
        source = context.data_sources.add_pandas(DATASOURCE)

    run_id = RunIdentifier(run_name=mart, run_time=dt.datetime.now(dt.timezone.utc))
    results, ids = {}, {}
    for query, frame in frames.items():
        name = _gx_name(mart, query)
        try:
            asset = source.get_asset(name)
        except LookupError:
            asset = source.add_dataframe_asset(name)
        try:
            batch_definition = asset.get_batch_definition(BATCH_DEFINITION)
        except LookupError:
            batch_definition = asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
        # validated without persisting the suite (GX's stores are slow); the result goes to the
        # validation store, from which the Data Docs page is rendered
        gx_suite = gx.ExpectationSuite(name=name, expectations=[_expectation(gx, r) for r in suite.rules_for(query)],
                                       meta={"beschreibung": suite.beschreibung, "query": suite.queries[query]})
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(gx_suite, result_format={"result_format": "COMPLETE"})
        result.meta["run_id"] = run_id
        result.meta["validation_time"] = run_id.run_time
        ids[query] = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=name), run_id=run_id,
            batch_identifier=batch.id)
        context.validation_results_store.store_validation_results(
            suite_validation_result=result, suite_validation_result_identifier=ids[query],
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=name))
        results[query] = result

    _prune_runs(data_docs_dir, [_gx_name(mart, q) for q in frames], keep_runs)
    index = Path(context.build_data_docs(resource_identifiers=list(ids.values()))["local_site"].removeprefix("file://"))
    pages = {}
    for query, identifier in ids.items():
        urls = context.get_docs_sites_urls(resource_identifier=identifier, site_name="local_site")
        pages[query] = Path(urls[0]["site_url"].removeprefix("file://")) if urls else index
    return results, pages, index


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
