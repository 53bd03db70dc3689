"""Dagster side of the publication gate: one blocking asset check per mart, run as one step, and the
publication asset.

The checks ``plausibilitaet`` (one ``AssetCheckSpec`` per mart) are one ``multi_asset_check``: the
step validates every selected mart with its GX suite (read-only warehouse) in one GX context. A mart
whose content, suite and settings did not change since its last validation gets that stored result
back (metadata ``wiederverwendet``); when no selected mart changed, GX is not even imported. A failed
expectation of severity *fehler* gives an ERROR result, which stops ``marts_publication`` in the same
run; *warnung* gives WARN, which does not.
"""


from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import dagster as dg
from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, DagsterEventType, MetadataValue

from pipelines.common.warehouse import connect, table_exists
from pipelines.publication import publish
from pipelines.publication.suites import load_publication_settings
from pipelines.publication.validation import MartValidation, existing_marts, validate_or_reuse

CHECK_NAME = "plausibilitaet"
PUBLICATION_ASSET = "marts_publication"
GATE_STEP = "plausibilitaet_pruefen"   # the one step (op) that runs every selected check


def run_gate(marts: Sequence[str], paths: Any) -> dict[str, MartValidation | str]:
    """The gate's outcome per mart: its validation (fresh or reused), or a German error text when the
    mart cannot be validated. All marts that need GX are validated together."""
    if not marts:
        return {}
    settings = load_publication_settings()
    with connect(paths.warehouse, read_only=True) as con:
        return validate_or_reuse(con, marts, paths.data_docs_dir, settings)


def gate_check_result(mart: str, outcome: MartValidation | str,
                      asset_key: AssetKey | None = None) -> AssetCheckResult:
    """The AssetCheckResult of a validation: ERROR when a fehler failed, WARN for warnings only."""
    target = {"asset_key": asset_key, "check_name": CHECK_NAME} if asset_key is not None else {}
    if isinstance(outcome, str):
        return AssetCheckResult(passed=False, severity=AssetCheckSeverity.ERROR, **target, metadata={
            "fehler": 1, "warnungen": 0, "fehler_text": MetadataValue.text(outcome),
            "bericht": MetadataValue.md(outcome), "wiederverwendet": False})
    text = outcome.text()
    report = text or f"Alle {outcome.n_expectations} Prüfregeln für `{mart}` erfüllt."
    if outcome.reused:
        report += (f"\n\n_Ergebnis der Prüfung vom {outcome.validated_at} wiederverwendet: Inhalt der Mart, "
                   "Prüfregeln und Einstellungen sind seitdem unverändert._")
    metadata: dict[str, Any] = {
        "fehler": len(outcome.errors),
        "warnungen": len(outcome.warnings),
        "regeln": outcome.n_expectations,
        "zeilen": outcome.n_rows,
        "fehler_text": MetadataValue.text(text),
        "bericht": MetadataValue.md(report),
        "data_docs": MetadataValue.url(outcome.data_docs_index.as_uri()),
        "data_docs_pfad": MetadataValue.path(str(outcome.data_docs_index)),
        "wiederverwendet": outcome.reused,
        "geprueft_am": MetadataValue.text(outcome.validated_at),
    }
    return AssetCheckResult(passed=not outcome.errors and not outcome.warnings,
                            severity=AssetCheckSeverity.ERROR if outcome.errors else AssetCheckSeverity.WARN,
                            metadata=metadata, **target)


def build_gate_checks(mart_keys: Mapping[str, AssetKey],
                      get_paths: Callable[[], Any]) -> list[dg.AssetChecksDefinition]:
    """The blocking ``plausibilitaet`` check of every mart (``mart_keys``: mart name -> asset key), as
    one subsettable multi-asset check: one step validates the marts whose checks the run selected."""
    if not mart_keys:
        return []
    specs = [dg.AssetCheckSpec(CHECK_NAME, asset=key, blocking=True, description=(
        f"Plausibilitätsprüfung von {mart} mit den Prüfregeln expectations/{mart}.yml (Great Expectations). "
        "Fehler blockieren die Veröffentlichung, Warnungen werden nur berichtet. Ist die Mart seit der "
        "letzten Prüfung unverändert, wird deren Ergebnis wiederverwendet.")) for mart, key in mart_keys.items()]
    check_keys = {mart: dg.AssetCheckKey(key, CHECK_NAME) for mart, key in mart_keys.items()}

    @dg.multi_asset_check(specs=specs, can_subset=True, name=GATE_STEP, description=(
        "Plausibilitätsprüfung aller ausgewählten Marts in einem Schritt (Great Expectations, ein Kontext, "
        "Data Docs einmal am Ende); unveränderte Marts werden nicht neu geprüft."))
    def _gate(context: dg.AssetCheckExecutionContext) -> Iterable[AssetCheckResult]:
        selected = context.selected_asset_check_keys
        marts = [mart for mart, key in check_keys.items() if key in selected]
        outcomes = run_gate(marts, get_paths())
        reused = [m for m, o in outcomes.items() if isinstance(o, MartValidation) and o.reused]
        context.log.info(f"Plausibilitätsprüfung: {len(marts) - len(reused)} Marts geprüft, "
                         f"{len(reused)} unverändert (Ergebnis wiederverwendet).")
        for mart in marts:
            yield gate_check_result(mart, outcomes[mart], mart_keys[mart])

    return [_gate]


def build_publication_asset(mart_keys: Mapping[str, AssetKey],
                            get_paths: Callable[[], Any]) -> dg.AssetsDefinition:
    """The ``marts_publication`` asset: publishes every built mart once the gate let it through."""

    @dg.asset(name=PUBLICATION_ASSET, group_name="publication", deps=list(mart_keys.values()), description=(
        "Veröffentlicht die geprüften Marts atomar für Analysen (data/marts: marts.duckdb, eine Parquet-Datei "
        "je Mart, manifest.json). Publishes the marts atomically once their plausibility checks passed; a "
        "failed check (Fehler) stops it, the previous publication stays unchanged."))
    def marts_publication(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        paths = get_paths()
        with connect(paths.warehouse, read_only=True) as con:
            existing = existing_marts(con)
            built = [m for m in mart_keys if m in existing]
            inputs = accepted_input_files(con)
        checks = check_results_of_run(context.instance, context.run.run_id, mart_keys)
        # a mart whose check did not run in this run (e.g. the asset was materialized alone) is gated
        # here: its stored validation while it is unchanged, else validated (all of them in one GX context)
        unchecked = [m for m in built if m not in checks]
        for mart, outcome in run_gate(unchecked, paths).items():
            checks[mart] = _summary_from_outcome(outcome)
        blocked = {m: c for m, c in checks.items() if m in built and c["fehler"]}
        if blocked:
            raise publish.GateClosedError("Veröffentlichung gesperrt:\n\n" + "\n\n".join(
                c["fehler_text"] for c in blocked.values()))
        settings = load_publication_settings()
        publication = publish.publish_marts(
            paths.warehouse, paths.marts_dir, built,
            {"input_files": inputs, "checks": {m: checks[m] for m in built},
             "not_published": sorted(set(mart_keys) - set(built)), "dagster_run_id": context.run.run_id},
            settings.keep_versions)
        table = "\n".join(f"| {m} | {n} |" for m, n in publication.marts.items())
        return dg.MaterializeResult(metadata={
            "publication_id": publication.publication_id,
            "pfad": MetadataValue.path(str(publication.path)),
            "marts": MetadataValue.md("| Mart | Zeilen |\n|---|---|\n" + table),
            "zeilen_gesamt": sum(publication.marts.values()),
            "nicht_veroeffentlicht": MetadataValue.text(", ".join(sorted(set(mart_keys) - set(built))) or "–"),
            "warnungen": sum(c["warnungen"] for c in checks.values()),
            "entfernte_versionen": MetadataValue.text(", ".join(publication.pruned) or "–"),
        })

    return marts_publication


def accepted_input_files(con: Any) -> list[dict[str, Any]]:
    """Hashes of the accepted input files behind the marts (raw.file_registry)."""
    if not table_exists(con, "raw", "file_registry"):
        return []
    frame = con.sql("SELECT file_id AS sha256, path, kind, bezirk_nr, year, quarter FROM raw.file_registry "
                    "WHERE status = 'accepted' ORDER BY path, file_id").pl()
    return frame.to_dicts()


def check_results_of_run(instance: dg.DagsterInstance, run_id: str,
                         mart_keys: Mapping[str, AssetKey]) -> dict[str, dict[str, Any]]:
    """The ``plausibilitaet`` evaluations of this run, per mart, as JSON-ready summaries."""
    by_key = {key: mart for mart, key in mart_keys.items()}
    records = instance.get_records_for_run(run_id=run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
    results = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.check_name == CHECK_NAME and evaluation.asset_key in by_key:
            results[by_key[evaluation.asset_key]] = _summary_from_evaluation(evaluation)
    return results


def _summary_from_evaluation(evaluation: Any) -> dict[str, Any]:
    meta = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
    return {"passed": evaluation.passed, "severity": evaluation.severity.value,
            "fehler": int(meta.get("fehler", 0) or 0), "warnungen": int(meta.get("warnungen", 0) or 0),
            "fehler_text": str(meta.get("fehler_text") or ""), "data_docs": meta.get("data_docs"),
            "wiederverwendet": bool(meta.get("wiederverwendet", False)), "geprueft_am": meta.get("geprueft_am")}


def _summary_from_outcome(outcome: MartValidation | str) -> dict[str, Any]:
    if isinstance(outcome, str):
        return {"passed": False, "severity": "ERROR", "fehler": 1, "warnungen": 0, "fehler_text": outcome,
                "data_docs": None, "wiederverwendet": False, "geprueft_am": None}
    return {"passed": not outcome.errors and not outcome.warnings,
            "severity": "ERROR" if outcome.errors else "WARN", "fehler": len(outcome.errors),
            "warnungen": len(outcome.warnings), "fehler_text": outcome.text(),
            "data_docs": outcome.data_docs_index.as_uri(), "wiederverwendet": outcome.reused,
            "geprueft_am": outcome.validated_at}


def gate_failures_text(evaluations: Iterable[Any]) -> str:
    """German text of every failed ``plausibilitaet`` check (AssetCheckEvaluation objects, e.g. from
    ``result.get_asset_check_evaluations()`` or :func:`check_evaluations_of_run`), errors first."""
    failed = [e for e in evaluations if e.check_name == CHECK_NAME and not e.passed]
    failed.sort(key=lambda e: (e.severity != AssetCheckSeverity.ERROR, e.asset_key.to_user_string()))
    parts = []
    for evaluation in failed:
        meta = evaluation.metadata.get("fehler_text")
        text = getattr(meta, "value", meta) or ""
        label = "gesperrt (Fehler)" if evaluation.severity == AssetCheckSeverity.ERROR else "Warnungen"
        parts.append(f"== {evaluation.asset_key.to_user_string()}: {label} ==\n{text}".rstrip())
    return "\n\n".join(parts)


def check_evaluations_of_run(instance: dg.DagsterInstance, run_id: str) -> list[Any]:
    """Every asset check evaluation recorded for a run (for :func:`gate_failures_text`)."""
    records = instance.get_records_for_run(run_id=run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
    return [r.event_log_entry.dagster_event.event_specific_data for r in records]
