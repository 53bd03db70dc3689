"""Dagster assets of the ingest group: the raw loaders and the working-day calendar."""


import hashlib

import duckdb

from dagster import (AssetExecutionContext, AssetSpec, MaterializeResult, MetadataValue, SensorEvaluationContext,
                     RunRequest, SkipReason, multi_asset, asset, sensor)

from pipelines.ingest.arbeitskalender import refresh_arbeitskalender
from pipelines.ingest.raw_tables import create_raw_tables
from pipelines.ingest.registry import IngestSummary, discover, ingest_files
from pipelines.settings import get_paths

# raw table -> description (German: shown in the UI to the data engineers)
RAW_ASSETS = {
    "file_registry": "Eingangsregister: jede unter data/raw/ eingegangene Datei (SHA-256, Zeitpunkt, Bezirk, "
                     "Quartal, Status angenommen/abgelehnt, Prüfbericht, Archivkopie).",
    "file_problems": "Jede Beanstandung jeder Datei (Fehler, Warnung, Hinweis) mit Blatt, Zeile, Spalte, Wert.",
    "erhebungsbogen_meta": "Erhebungsbogen, Blatt Meta: Bezirk, Jahr, Quartal, Formularversion, Stand.",
    "erhebungsbogen_raeumungsklagen": "Erhebungsbogen, Blatt Raeumungsklagen (QS 1.1, 1.2); Fall-ID gehasht.",
    "erhebungsbogen_zwangsraeumungen": "Erhebungsbogen, Blatt Zwangsraeumungen (QS 1.3, 1.4); Fall-ID gehasht.",
    "erhebungsbogen_zugang": "Erhebungsbogen, Blatt Zugang (QS 1.5): die sieben Zugangsstandards.",
    "klr_mengen": "KLR-Export Mengen und Budgets je Jahr, Bezirk und Produkt (jede Lieferung versioniert).",
    "klr_kosten": "KLR-Export Kosten je Jahr, Bezirk, Produkt und Kostenstelle.",
    "klr_stellen": "KLR-Export Stellenanteile (VZÄ) je Jahr, Bezirk, Produkt, Kostenstelle und Wertigkeit.",
    "fallzahlen": "Historische Fallzahlen vor Beginn der Einzelfallerhebung (MiZi, GV-Mitteilungen, Räumungen).",
}


def _table_metadata(con, summary: IngestSummary, table: str, rows_before: dict[str, int]) -> dict:
    total = con.execute(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0]
    meta = {"dagster/row_count": total, "neue_zeilen": total - rows_before.get(table, 0)}
    if table == "file_registry":
        meta.update({
            "neue_dateien": len(summary.new),
            "angenommen": len(summary.new) - len(summary.rejected),
            "abgelehnt": len(summary.rejected),
            "unveraendert_uebersprungen": summary.unchanged,
        })
        if summary.rejected:
            meta["abgelehnte_dateien"] = MetadataValue.md("\n".join(
                f"- **{o.name}** (Bericht: `{o.report_path}`)\n" + "\n".join(f"  - {e}" for e in o.errors[:5])
                for o in summary.rejected))
    return meta


@multi_asset(
    specs=[AssetSpec(["raw", table], description=desc, group_name="ingest") for table, desc in RAW_ASSETS.items()],
    name="raw_dateien_laden",
)
def raw_files(context: AssetExecutionContext):
    """Read every new file version under data/raw/, check it, record it, load the accepted ones."""
    paths = get_paths()
    with duckdb.connect(str(paths.warehouse)) as con:
        create_raw_tables(con)
        rows_before = {t: con.execute(f"SELECT count(*) FROM raw.{t}").fetchall()[0][0] for t in RAW_ASSETS}
    summary = ingest_files(paths, log=context.log.info)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for table in RAW_ASSETS:
            yield MaterializeResult(asset_key=["raw", table],
                                    metadata=_table_metadata(con, summary, table, rows_before))


@asset(key=["raw", "arbeitskalender"], group_name="ingest", description="Arbeitstage Berlin (Mo–Fr ohne gesetzliche Feiertage Berlin, "
       "24./31.12. konfigurierbar) mit laufender Arbeitstagsnummer, aus dem Paket holidays (subdiv='BE').")
def arbeitskalender() -> MaterializeResult:
    with duckdb.connect(str(get_paths().warehouse)) as con:
        create_raw_tables(con)
        n_days = refresh_arbeitskalender(con)
        first, last, workdays = con.execute(
            "SELECT min(datum), max(datum), count(*) FILTER (WHERE is_arbeitstag) FROM raw.arbeitskalender").fetchall()[0]
    return MaterializeResult(metadata={"tage": n_days, "arbeitstage": workdays, "von": str(first), "bis": str(last)})


def raw_fingerprint() -> str:
    """Names, sizes and modification times of the input files: changes when a file arrives or changes."""
    files = discover(get_paths().raw_dir)
    return "|".join(f"{f.name}:{f.size}:{f.mtime}" for f in files)


@sensor(job_name="swh_full", minimum_interval_seconds=30,
        description="Bemerkt neue oder geänderte Dateien unter data/raw/ und startet die Verarbeitung.")
def raw_files_sensor(context: SensorEvaluationContext):
    fingerprint = raw_fingerprint()
    if fingerprint == context.cursor:
        return SkipReason("Keine neuen oder geänderten Dateien unter data/raw/.")
    context.update_cursor(fingerprint)
    return RunRequest(run_key=hashlib.sha256(fingerprint.encode()).hexdigest()[:16])
