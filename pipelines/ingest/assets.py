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

# raw asset -> description (German: shown in the UI to the data engineers)
RAW_ASSETS = {
    "file_registry": "Eingangsregister: jede unter data/raw/ eingegangene Datei (SHA-256, Zeitpunkt, Bezirk, "
                     "Quartal, Status angenommen/abgelehnt, Prüfbericht, Archivkopie).",
    "file_problems": "Jede Beanstandung jeder Datei (Fehler, Warnung, Hinweis) mit Blatt, Zeile, Spalte, Wert.",
    "erhebungsboegen": "Erhebungsbögen je Bezirk und Quartal (Partition laut Blatt Meta), in vier Tabellen: "
                       "raw.erhebungsbogen_meta (Bezirk, Jahr, Quartal, Formularversion, Stand, Eingang), "
                       "_raeumungsklagen (QS 1.1, 1.2), _zwangsraeumungen (QS 1.3, 1.4), _zugang (QS 1.5); "
                       "Fall-IDs gehasht.",
    "klr_mengen": "KLR-Export Mengen und Budgets je Jahr, Bezirk und Produkt (jede Lieferung versioniert).",
    "klr_kosten": "KLR-Export Kosten je Jahr, Bezirk, Produkt und Kostenstelle.",
    "klr_stellen": "KLR-Export Stellenanteile (VZÄ) je Jahr, Bezirk, Produkt, Kostenstelle und Wertigkeit.",
    "fallzahlen": "Historische Fallzahlen vor Beginn der Einzelfallerhebung (MiZi, GV-Mitteilungen, Räumungen).",
    "eingangsregister_klr": "Eingangsregister, nur angenommene KLR-Lieferungen (Ausschnitt von raw.file_registry): "
                            "entscheidet, welche Lieferung je Jahr und Bezirk gilt.",
    "eingangsregister_fallzahlen": "Eingangsregister, nur angenommene Fallzahlen-Dateien (Ausschnitt von "
                                   "raw.file_registry): die spätere Datei gewinnt.",
}

# One partitioned asset for the four tables of the Erhebungsbogen: Dagster writes one event per asset and
# partition, so four assets would cost four times the events (seconds in a first run over 192 partitions).
# The dbt sources of the four tables all map to it (models/staging/_sources.yml).
ERHEBUNGSBOEGEN = "erhebungsboegen"
ERHEBUNGSBOGEN_TABLES = ("erhebungsbogen_meta", "erhebungsbogen_raeumungsklagen", "erhebungsbogen_zwangsraeumungen",
                         "erhebungsbogen_zugang")
TABLES_OF_ASSET = {ERHEBUNGSBOEGEN: ERHEBUNGSBOGEN_TABLES}

# Slices of raw.file_registry that dbt reads as their own sources (models/staging/_sources.yml), so that a
# new file only rebuilds what its kind feeds: slice -> the kinds of file it holds. The Erhebungsbögen need no
# slice: their arrival time is in raw.erhebungsbogen_meta.seen_at.
REGISTRY_SLICES = {
    "eingangsregister_klr": ("klr_mengen", "klr_kosten", "klr_stellen"),
    "eingangsregister_fallzahlen": ("fallzahlen",),
}

OTHER_ASSETS = tuple(a for a in RAW_ASSETS if a != ERHEBUNGSBOEGEN)


def raw_assets_of(kind: str) -> tuple[str, ...]:
    """The raw assets a new file of this kind writes: the registry, its data, its registry slice."""
    data = ERHEBUNGSBOEGEN if kind == "erhebungsbogen" else kind  # KLR and Fallzahlen kinds are table names
    slices = tuple(s for s, kinds in REGISTRY_SLICES.items() if kind in kinds)
    return ("file_registry", "file_problems", data, *slices)


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


def _row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    if table in REGISTRY_SLICES:
        return con.execute("SELECT count(*) FROM raw.file_registry WHERE status = 'accepted' AND kind IN "
                           "(SELECT unnest($kinds))", {"kinds": list(REGISTRY_SLICES[table])}).fetchall()[0][0]
    return con.execute(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0]


def _counts(paths, assets: tuple[str, ...], read_only: bool) -> dict[str, int]:
    with duckdb.connect(str(paths.warehouse), read_only=read_only) as con:
        if not read_only:
            create_raw_tables(con)
        return {t: _row_count(con, t) for a in assets for t in TABLES_OF_ASSET.get(a, (a,))}


def _ingest(context: AssetExecutionContext, assets: tuple[str, ...], select) -> Iterator[MaterializeResult]:
    """Load the selected new files; one result per raw asset with its row counts, the file summary on the first.
    Rejected files are logged one by one (accepted ones only counted: every log line is an event)."""
    paths = get_paths()
    before = _counts(paths, assets, read_only=False)
    summary = ingest_files(paths, select=select)
    for outcome in summary.rejected:
        context.log.warning(f"{outcome.name}: ABGELEHNT ({len(outcome.errors)} Fehler), Bericht {outcome.report_path}")
    after = _counts(paths, assets, read_only=True)
    for i, asset_name in enumerate(assets):
        tables = TABLES_OF_ASSET.get(asset_name, (asset_name,))
        meta: dict = {"dagster/row_count": sum(after[t] for t in tables),
                      "neue_zeilen": sum(after[t] - before[t] for t in tables)}
        if len(tables) > 1:
            meta["tabellen"] = MetadataValue.md("| Tabelle | Zeilen | neu |\n|---|---:|---:|\n" + "\n".join(
                f"| raw.{t} | {after[t]} | {after[t] - before[t]} |" for t in tables))
        if i == 0:
            meta.update(_summary_metadata(summary))
        yield MaterializeResult(asset_key=["raw", asset_name], metadata=meta)


@multi_asset(
    specs=[AssetSpec(["raw", a], description=RAW_ASSETS[a], group_name="ingest") for a in OTHER_ASSETS],
    name="raw_dateien_laden",
)
def raw_files(context: AssetExecutionContext):
    """Register every new file version under data/raw/; load KLR exports and historical volumes. A workbook
    whose Meta sheet names no valid district-quarter has no partition: it is rejected here, with its report."""
    yield from _ingest(context, OTHER_ASSETS,
                       lambda f: f.kind != "erhebungsbogen" or submission_partition(f) is None)


@multi_asset(
    specs=[AssetSpec(["raw", ERHEBUNGSBOEGEN], description=RAW_ASSETS[ERHEBUNGSBOEGEN], group_name="ingest")],
    name="erhebungsboegen_laden",
    partitions_def=bezirk_quartal,
    backfill_policy=BackfillPolicy.single_run(),
)
def erhebungsboegen(context: AssetExecutionContext):
    """Check and load the new workbooks of the district-quarters of this run (partition = Meta sheet)."""
    keys = set(context.partition_keys)
    yield from _ingest(context, (ERHEBUNGSBOEGEN,),
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
