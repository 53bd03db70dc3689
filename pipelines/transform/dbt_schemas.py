"""dbt's JSON schemas, built once per installation instead of once in every process that runs dbt.

Before it builds anything, dbt validates dbt_project.yml, the profile and the models' constraints
against JSON schemas of its configuration classes (``dbtClassMixin.json_schema`` in dbt_common).
mashumaro derives each schema from the class on first use: 0.6–1 s in every ``swh run``. The schemas
depend on nothing but the installed packages, so ``swh prepare`` stores them in
``dbt_project/target/dbt_json_schemas.json`` together with the versions of those packages, and the
dbt step uses them while the versions match. A class that is not stored, or stored schemas of other
versions, leave dbt to build the schema itself, as it always does.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import threading
from pathlib import Path
from typing import Any

from pipelines.transform.manifest import MANIFEST_PATH

SCHEMAS_PATH = MANIFEST_PATH.parent / "dbt_json_schemas.json"
_PACKAGES = ("dbt-core", "dbt-common", "dbt-adapters", "dbt-duckdb", "mashumaro", "jsonschema")
# what `dbt build` validates in this project (found by recording dbtClassMixin.json_schema calls)
_CLASSES = (
    ("dbt.contracts.project", ("ProjectFlags", "ProfileConfig", "Project", "PackageConfig", "Configuration")),
    ("dbt.contracts.selection", ("SelectorFile",)),
    ("dbt.adapters.duckdb.credentials", ("DuckDBCredentials",)),
    ("dbt_common.contracts.constraints", ("ColumnLevelConstraint", "ModelLevelConstraint")),
)
_lock = threading.Lock()
_installed = False


def _versions() -> dict[str, str]:
    return {p: importlib.metadata.version(p) for p in _PACKAGES}


def _stored() -> dict[str, Any] | None:
    """The stored schemas, if they were built by the packages installed now."""
    try:
        data = json.loads(SCHEMAS_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data["schemas"] if data.get("versions") == _versions() else None


def build_schemas() -> dict[str, Any]:
    """The schemas as dbt builds them, per class (``module.Class``)."""
    schemas = {}
    for module, names in _CLASSES:
        loaded = importlib.import_module(module)
        for name in names:
            schemas[f"{module}.{name}"] = getattr(loaded, name).json_schema()
    return schemas


def prepare_schemas() -> Path:
    """Store the schemas unless the stored ones belong to the installed packages (``swh prepare``)."""
    if _stored() is None:
        payload = {"versions": _versions(), "schemas": build_schemas()}
        SCHEMAS_PATH.parent.mkdir(parents=True, exist_ok=True)
        tmp = SCHEMAS_PATH.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, sort_keys=True), encoding="utf-8")
        tmp.replace(SCHEMAS_PATH)
    return SCHEMAS_PATH


def use_stored_schemas() -> bool:
    """Let dbt take its schemas from the stored file in this process; False when there is none for the
    installed packages (dbt then builds them itself)."""
    global _installed
    with _lock:
        if _installed:
            return True
        stored = _stored()
        if stored is None:
            return False
        from dbt_common.dataclass_schema import dbtClassMixin

        build = dbtClassMixin.json_schema.__func__   # dbt's own (cached per class)

        def json_schema(cls: type) -> dict[str, Any]:
            schema = stored.get(f"{cls.__module__}.{cls.__qualname__}")
            return schema if schema is not None else build(cls)

        dbtClassMixin.json_schema = classmethod(json_schema)
        _installed = True
        return True
