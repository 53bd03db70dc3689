"""Dagster assets of the ingest group: the raw loaders and the working-day calendar."""


from typing import Iterator

import duckdb

from dagster import (AssetExecutionContext, AssetSpec, BackfillPolicy, MaterializeResult, MetadataValue, asset,
                     multi_asset)

from pipelines.ingest.arbeitskalender import refresh_arbeitskalender
from pipelines.ingest.raw_tables import create_raw_tables
from pipelines.ingest.partitions import bezirk_quartal, submission_partition
from pipelines.ingest.registry import IngestSummary, ingest_files
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


ERHEBUNGSBOGEN_TABLES = ("erhebungsbogen_meta", "erhebungsbogen_raeumungsklagen", "erhebungsbogen_zwangsraeumungen",
                         "erhebungsbogen_zugang")
OTHER_TABLES = tuple(t for t in RAW_ASSETS if t not in ERHEBUNGSBOGEN_TABLES)


def _summary_metadata(summary: IngestSummary) -> dict:
    meta = {
        "neue_dateien": len(summary.new),
        "angenommen": len(summary.new) - len(summary.rejected),
        "abgelehnt": len(summary.rejected),
        "unveraendert_uebersprungen": summary.unchanged,
    }
    if summary.rejected:
        meta["abgelehnte_dateien"] = MetadataValue.md("\n".join(
            f"- **{o.name}** (Bericht: `{o.report_path}`)\n" + "\n".join(f"  - {e}" for e in o.errors[:5])
            for o in summary.rejected))
    return meta


def _ingest(context: AssetExecutionContext, tables: tuple[str, ...], select) -> Iterator[MaterializeResult]:
    """Load the selected new files; one result per raw table with its row counts, the file summary on the first."""
    paths = get_paths()
    with duckdb.connect(str(paths.warehouse)) as con:
        create_raw_tables(con)
        before = {t: con.execute(f"SELECT count(*) FROM raw.{t}").fetchall()[0][0] for t in tables}
    summary = ingest_files(paths, select=select, log=context.log.info)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for i, table in enumerate(tables):
            total = con.execute(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0]
            meta = {"dagster/row_count": total, "neue_zeilen": total - before[table]}
            if i == 0:
                meta.update(_summary_metadata(summary))
            yield MaterializeResult(asset_key=["raw", table], metadata=meta)


@multi_asset(
    specs=[AssetSpec(["raw", t], description=RAW_ASSETS[t], group_name="ingest") for t in OTHER_TABLES],
    name="raw_dateien_laden",
)
def raw_files(context: AssetExecutionContext):
    """Register every new file version under data/raw/; load KLR exports and historical volumes. A workbook
    whose Meta sheet names no valid district-quarter has no partition: it is rejected here, with its report."""
    yield from _ingest(context, OTHER_TABLES,
                       lambda f: f.kind != "erhebungsbogen" or submission_partition(f) is None)


@multi_asset(
    specs=[AssetSpec(["raw", t], description=RAW_ASSETS[t], group_name="ingest") for t in ERHEBUNGSBOGEN_TABLES],
    name="erhebungsboegen_laden",
    partitions_def=bezirk_quartal,
    backfill_policy=BackfillPolicy.single_run(),
)
def erhebungsboegen(context: AssetExecutionContext):
    """Check and load the new workbooks of the district-quarters of this run (partition = Meta sheet)."""
    keys = set(context.partition_keys)
    yield from _ingest(context, ERHEBUNGSBOGEN_TABLES,
                       lambda f: f.kind == "erhebungsbogen" and submission_partition(f) in keys)


@asset(key=["raw", "arbeitskalender"], group_name="ingest", description="Arbeitstage Berlin (Mo–Fr ohne gesetzliche Feiertage Berlin, "
       "24./31.12. konfigurierbar) mit laufender Arbeitstagsnummer, aus dem Paket holidays (subdiv='BE').")
def arbeitskalender() -> MaterializeResult:
    with duckdb.connect(str(get_paths().warehouse)) as con:
        create_raw_tables(con)
        n_days = refresh_arbeitskalender(con)
        first, last, workdays = con.execute(
            "SELECT min(datum), max(datum), count(*) FILTER (WHERE is_arbeitstag) FROM raw.arbeitskalender").fetchall()[0]
    return MaterializeResult(metadata={"tage": n_days, "arbeitstage": workdays, "von": str(first), "bis": str(last)})
