"""dbt in the Dagster process, on the manifest parsed at setup: no second interpreter, no parse per run.

``dbt build`` as a subprocess costs seconds before the first model: a new interpreter imports dbt, and
in a new data directory (another warehouse path, i.e. another profile) dbt parses the whole project
again. Here ``dbtRunner`` gets the manifest that ``swh prepare`` parsed (``partial_parse.msgpack``
next to manifest.json) and runs in a worker thread; its result events are turned into Dagster events
by dagster-dbt's own translation (the same as for the CLI's JSON log lines), so the assets and the
subset selection behave exactly as with ``DbtCliResource.cli``.

dbt tests are not one asset check each: every check costs three events in Dagster's SQLite event log
(planned, output, evaluation; ~20 ms each), i.e. seconds per run for ~200 tests. Their results go,
per model, into one observation (``dbt_tests``, German text of every failed test); a failed test of
severity error fails ``dbt build`` and with it this step, so nothing downstream is built or published.

The manifest names the database after the warehouse file's stem ("warehouse"); for a warehouse file
of another name dbt parses as usual (partial parsing in the target folder).
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetObservation, Failure, MetadataValue

from pipelines.settings import DBT_PROJECT_DIR
from pipelines.transform.dbt_events import skip_unlogged_debug_events
from pipelines.transform.dbt_schemas import use_stored_schemas
from pipelines.transform.dbt_templates import use_template_cache
from pipelines.transform.manifest import PARTIAL_PARSE_PATH

# dbt events that carry the result of one node: these become Dagster events
_RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})


@dataclass
class _Finished:
    result: Any = None
    error: BaseException | None = None


@lru_cache(maxsize=2)
def _load_manifest(path: str, mtime_ns: int):
    """dbt's Manifest object from the msgpack ``dbt parse`` left (cached per file version)."""
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumuro_decoder

    with open(path, "rb") as f:
        return Manifest.from_msgpack(f.read(), decoder=extended_mashumuro_decoder)


def prepared_manifest(warehouse: Path):
    """The prepared Manifest, or None where dbt has to parse (no msgpack, or another database name)."""
    if not PARTIAL_PARSE_PATH.exists():
        return None
    manifest = _load_manifest(str(PARTIAL_PARSE_PATH), PARTIAL_PARSE_PATH.stat().st_mtime_ns)
    databases = {n.database for n in manifest.nodes.values() if n.resource_type in ("model", "seed")}
    return manifest if databases == {warehouse.stem} else None


def dbt_build(context: AssetExecutionContext, manifest_json: Mapping[str, Any], translator: Any,
              target_path: Path, warehouse: Path) -> Iterator[Any]:
    """``dbt build`` of the assets and checks selected in this step; yields their Dagster events.
    dbt's log lines go to stdout (``swh run`` writes them to data/logs/). Raises Failure when dbt fails."""
    from dagster_dbt.asset_utils import get_subset_selection_for_context
    from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    selection, indirect = get_subset_selection_for_context(
        context, manifest_json, None, None, None, translator, os.environ.get("DBT_INDIRECT_SELECTION"))
    args = ["build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target_path), "--log-path", str(target_path), "--log-level-file", "none",
            "--no-use-colors", "--no-send-anonymous-usage-stats",
            # manifest.json and run_results.json (~1.6 s): Dagster gets the results as events
            "--no-write-json", *selection]
    if indirect:
        args += ["--indirect-selection", indirect]

    events: queue.Queue = queue.Queue()
    errors: list[str] = []

    def on_event(msg: Any) -> None:
        info = msg.info
        if info.level == "error":
            errors.append(info.msg)
        if info.name in _RESULT_EVENTS:
            events.put(msg_to_dict(msg))

    use_stored_schemas()   # dbt's JSON schemas as `swh prepare` stored them (see dbt_schemas)
    use_template_cache()   # dbt's Jinja templates as compiled before (see dbt_templates)
    skip_unlogged_debug_events()   # see dbt_events
    runner = dbtRunner(manifest=prepared_manifest(warehouse), callbacks=[on_event])

    def invoke() -> None:
        try:
            events.put(_Finished(result=runner.invoke(args)))
        except BaseException as exc:  # noqa: BLE001 (handed to the caller's thread)
            events.put(_Finished(error=exc))
        finally:
            # dbt-duckdb keeps its connection open after the run: release the single writer lock
            DuckDBConnectionManager.close_all_connections()

    worker = threading.Thread(target=invoke, name="dbt-build", daemon=True)
    worker.start()
    tests = _TestResults(manifest_json, translator)
    while True:
        item = events.get()
        if isinstance(item, _Finished):
            break
        if item["info"]["name"] == "LogTestResult":
            tests.add(item)
            continue
        yield from DbtCoreCliEventMessage(raw_event=item, event_history_metadata={}).to_default_asset_events(
            manifest=manifest_json, dagster_dbt_translator=translator, context=context, target_path=target_path)
    worker.join()
    yield from tests.observations()
    if item.error is not None:
        raise item.error
    if not item.result.success:
        detail = "\n".join([*tests.failed_lines(), *errors[-20:]]) or str(item.result.exception or "")
        raise Failure(description=f"dbt build ist fehlgeschlagen:\n{detail}",
                      metadata={"dbt_fehler": MetadataValue.text(detail), "dbt_argumente": " ".join(args)})


class _TestResults:
    """dbt test results per tested model (the node the test is attached to)."""

    def __init__(self, manifest: Mapping[str, Any], translator: Any):
        self._manifest = manifest
        self._translator = translator
        self.by_model: dict[str, list[tuple[str, str, str]]] = {}   # model unique_id -> (test, status, message)

    def add(self, event: Mapping[str, Any]) -> None:
        node = self._manifest["nodes"].get(event["data"]["node_info"]["unique_id"])
        if node is None:
            return
        model = node.get("attached_node") or next(
            (n for n in node["depends_on"]["nodes"] if n in self._manifest["nodes"]), None)
        if model is None:
            return
        status = str(event["data"].get("status", event["data"]["node_info"].get("node_status", "")))
        message = str(event["info"].get("msg", ""))
        self.by_model.setdefault(model, []).append((node["name"], status, message))

    def observations(self) -> Iterator[AssetObservation]:
        for model, results in self.by_model.items():
            failed = [r for r in results if r[1] not in ("pass", "success")]
            text = "\n".join(f"- `{name}`: {status}" for name, status, _ in failed)
            key = self._translator.get_asset_key(self._manifest["nodes"][model])
            yield AssetObservation(asset_key=key, metadata={
                "dbt_tests": len(results),
                "dbt_tests_bestanden": len(results) - len(failed),
                "dbt_tests_nicht_bestanden": MetadataValue.md(text or "keine"),
            })

    def failed_lines(self) -> list[str]:
        return [f"dbt-Test nicht bestanden: {name} ({status}) an {model.split('.')[-1]}"
                for model, results in self.by_model.items() for name, status, _ in results
                if status not in ("pass", "success")]
