"""The jobs: everything, and everything but the partitioned Erhebungsbogen step (for a data directory
that holds no workbook yet, where there is no district-quarter to run)."""

from dagster import AssetSelection, define_asset_job

from pipelines.ingest.assets import erhebungsboegen

swh_full = define_asset_job(
    "swh_full", selection=AssetSelection.all(),
    description="Alles: Eingang laden, Kennzahlen und Ressourcen berechnen, prüfen, veröffentlichen. "
                "Läuft als ein Lauf über alle Bezirks-Quartals-Partitionen.")

swh_ohne_erhebungsboegen = define_asset_job(
    "swh_ohne_erhebungsboegen", selection=AssetSelection.all() - AssetSelection.assets(erhebungsboegen),
    description="Alles außer den Erhebungsbögen: solange noch kein Erhebungsbogen eingegangen ist.")
