"""All dbt models and seeds as Dagster assets; the results of dbt tests are one observation per model."""


from typing import Any, Mapping

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets

from pipelines.settings import export_environment, get_paths

# Asset groups follow the dbt folders: staging belongs to ingest, intermediate and marts to their
# domain folder (indicators, resources); seeds are the parameters of the agreement.
_FOLDER_GROUPS = {"staging": "ingest"}


class SwhTranslator(DagsterDbtTranslator):
    """Asset keys and groups from the dbt folders. dbt tests are not asset checks: their results are one
    observation per model (pipelines/transform/dbt_inprocess.py); the gate checks are the asset checks."""

    def __init__(self) -> None:
        # the four sources of the Erhebungsbogen tables share the asset raw/erhebungsboegen
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=False,
                                                               enable_duplicate_source_asset_keys=True))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "parameters"
        fqn = dbt_resource_props["fqn"]
        layer = fqn[1] if len(fqn) > 2 else None
        if layer in _FOLDER_GROUPS:
            return _FOLDER_GROUPS[layer]
        return fqn[2] if len(fqn) > 3 else layer


def mart_models(manifest: Mapping[str, Any]) -> dict[str, AssetKey]:
    """Every model under models/marts/: what is checked and published."""
    translator = SwhTranslator()
    return {
        node["name"]: translator.get_asset_key(node)
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    }


def build_dbt_assets(manifest: Mapping[str, Any]):
    translator = SwhTranslator()
    marts = set(mart_models(manifest).values())

    @dbt_assets(manifest=manifest, dagster_dbt_translator=translator, name="dbt_warehouse")
    def dbt_warehouse(context: AssetExecutionContext):
        """dbt build of the selected seeds and models with their tests, in this process (see dbt_inprocess)."""
        from pipelines.transform.dbt_inprocess import dbt_build

        paths = get_paths()
        export_environment(paths)  # dbt runs from dbt_project/: it gets absolute paths only
        if marts & set(context.selected_asset_keys):
            from pipelines.publication import gx_worker

            gx_worker.start(paths.data_docs_dir)  # the gate follows: GX imports on the other core meanwhile
        # one target folder per data directory: no shared state between warehouses
        yield from dbt_build(context, manifest, translator, paths.data_dir / "dbt_target", paths.warehouse)

    return dbt_warehouse
