"""The Dagster instance of a data directory: pooled SQLite storages, same files as Dagster's own."""

import time

import pytest
from dagster import AssetKey, AssetMaterialization, DagsterEvent, DagsterEventType, DagsterInstance, job, op
from dagster._core.events import StepMaterializationData
from dagster._core.events.log import EventLogEntry

from pipelines.common import dagster_storage
from pipelines.common.dagster_storage import PooledSqliteEventLogStorage, PooledSqliteRunStorage
from pipelines.settings import DAGSTER_YAML, Paths, dagster_yaml, ensure_dagster_home


@pytest.fixture
def paths(tmp_path):
    return Paths(data_dir=tmp_path, warehouse=tmp_path / "warehouse.duckdb", dagster_home=tmp_path / "dagster")


def _materialize(instance, run_id: str, asset: str, value: int) -> None:
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value, job_name="j",
        event_specific_data=StepMaterializationData(AssetMaterialization(asset_key=AssetKey(asset),
                                                                         metadata={"wert": value})))
    instance.store_event(EventLogEntry(error_info=None, level=20, user_message="", run_id=run_id,
                                       timestamp=time.time(), dagster_event=event, step_key="s", job_name="j"))


@op
def _nothing():
    return 1


@job
def _job():
    _nothing()


def test_instance_uses_the_pooled_storages(paths):
    ensure_dagster_home(paths)
    with DagsterInstance.from_config(str(paths.dagster_home)) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        assert isinstance(instance.run_storage, PooledSqliteRunStorage)
        result = _job.execute_in_process(instance=instance)
        assert result.success
        assert instance.get_run_by_id(result.run_id).is_success
        assert DagsterEventType.RUN_SUCCESS in {e.dagster_event.event_type for e in instance.all_logs(result.run_id)
                                 if e.dagster_event is not None}


def test_files_are_dagsters_own(paths):
    """What the pooled storages write, Dagster's default storages read (and the other way round)."""
    ensure_dagster_home(paths)
    with DagsterInstance.from_config(str(paths.dagster_home)) as instance:
        run_id = _job.execute_in_process(instance=instance).run_id
        _materialize(instance, run_id, "mart_a", 7)
    (paths.dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with DagsterInstance.from_config(str(paths.dagster_home)) as plain:
        assert type(plain.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert plain.get_run_by_id(run_id).is_success
        latest = plain.get_latest_materialization_event(AssetKey("mart_a"))
        assert latest.asset_materialization.metadata["wert"].value == 7
        _materialize(plain, run_id, "mart_a", 8)
    ensure_dagster_home(paths)  # foreign file: left alone
    assert (paths.dagster_home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_open_engines_are_bounded(paths, monkeypatch):
    monkeypatch.setattr(dagster_storage, "MAX_OPEN_SHARDS", 3)
    storage = PooledSqliteEventLogStorage(str(paths.dagster_home / "runs"))
    with DagsterInstance.ephemeral() as instance:
        instance._event_storage = storage  # noqa: SLF001 (the storage under test, in a throwaway instance)
        storage.register_instance(instance)
        for i in range(6):
            _materialize(instance, f"run{i}", f"asset{i}", i)
        assert len(storage._engines) <= 3
        for i in range(6):  # evicted shards open again
            assert len(storage.get_records_for_run(f"run{i}").records) == 1
        storage.wipe()  # the run shards' files are deleted with their engines; the index is emptied
        assert set(storage._engines) <= {"index"}
        assert storage.get_records_for_run("run0").records == []
        storage.dispose()


def test_dagster_yaml_written_and_upgraded(paths):
    ensure_dagster_home(paths)
    config = paths.dagster_home / "dagster.yaml"
    assert config.read_text() == dagster_yaml(paths)
    assert str(paths.dagster_home / "history" / "runs") in config.read_text()
    # an earlier version of our own file (same first line) is brought up to date
    config.write_text(DAGSTER_YAML.splitlines()[0] + "\ntelemetry:\n  enabled: false\n")
    ensure_dagster_home(paths)
    assert config.read_text() == dagster_yaml(paths)
