"""dbt's JSON schemas are stored at setup and used by the dbt step; dbt builds what is not stored."""

from __future__ import annotations

import json

from pipelines.transform import dbt_schemas


def _normal(schema) -> str:
    return json.dumps(schema, sort_keys=True)


def test_stored_schemas_are_dbts_own_and_kept_while_current():
    path = dbt_schemas.prepare_schemas()
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["versions"] == dbt_schemas._versions()
    built = dbt_schemas.build_schemas()
    assert set(stored["schemas"]) == set(built) and len(built) == 9
    assert all(_normal(stored["schemas"][c]) == _normal(built[c]) for c in built)
    mtime = path.stat().st_mtime_ns
    dbt_schemas.prepare_schemas()
    assert path.stat().st_mtime_ns == mtime   # current: not written again


def test_schemas_of_other_package_versions_are_not_used(monkeypatch):
    dbt_schemas.prepare_schemas()
    assert dbt_schemas._stored() is not None
    monkeypatch.setattr(dbt_schemas, "_versions", lambda: {"dbt-core": "0.0.0"})
    assert dbt_schemas._stored() is None


def test_dbt_uses_the_stored_schemas_and_builds_the_others():
    from dbt.contracts.graph.model_config import ModelConfig
    from dbt.contracts.project import Project

    dbt_schemas.prepare_schemas()
    assert dbt_schemas.use_stored_schemas()
    stored = dbt_schemas._stored()
    assert _normal(Project.json_schema()) == _normal(stored["dbt.contracts.project.Project"])
    schema = ModelConfig.json_schema()   # not stored: dbt builds it as before
    assert "dbt.contracts.graph.model_config.ModelConfig" not in stored and schema["type"] == "object"
