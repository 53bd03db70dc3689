"""The job: everything, as one run. ``swh run`` and the sensor launch it with the assets of their plan
(pipelines/run_plan.py): what new input feeds, over the district-quarter partitions of new workbooks."""

from dagster import AssetSelection, define_asset_job

swh_full = define_asset_job(
    "swh_full", selection=AssetSelection.all(),
    description="Alles: Eingang laden, Kennzahlen und Ressourcen berechnen, prüfen, veröffentlichen. "
                "swh run und der Sensor starten davon nur, was neue Dateien speisen.")
