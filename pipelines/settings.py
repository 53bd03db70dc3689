"""Where everything lives. Resolved once, to absolute paths, from the environment.

``SWH_DATA_DIR``   data directory (default: ``<repository>/data``): ``raw/``, ``marts/``, ``reports/``
``SWH_WAREHOUSE``  DuckDB warehouse file (default: ``<data dir>/warehouse.duckdb``)
``DAGSTER_HOME``   Dagster instance shared by ``swh run`` and ``make ui`` (default: ``<data dir>/dagster``)

Nothing here depends on the working directory: dagster-dbt runs dbt from ``dbt_project/`` and a
relative path baked into a DuckDB view would break every other reader.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
PARAMETERS_DIR = DBT_PROJECT_DIR / "seeds"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    warehouse: Path
    dagster_home: Path

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def marts_dir(self) -> Path:
        return self.data_dir / "marts"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def archive_dir(self) -> Path:
        """Every file that ever arrived, by content hash: nothing that arrived is lost."""
        return self.data_dir / "archive"

    @property
    def data_docs_dir(self) -> Path:
        return self.data_dir / "data_docs"

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secrets" / "case_key"

    def ensure(self) -> "Paths":
        for d in (self.raw_dir, self.marts_dir, self.reports_dir, self.archive_dir, self.dagster_home,
                  self.warehouse.parent):
            d.mkdir(parents=True, exist_ok=True)
        ensure_dagster_home(self)
        return self


def get_paths() -> Paths:
    """Read the environment and return absolute paths (the environment is normalised too)."""
    data_dir = Path(os.environ.get("SWH_DATA_DIR") or REPO_ROOT / "data").expanduser().resolve()
    warehouse = Path(os.environ.get("SWH_WAREHOUSE") or data_dir / "warehouse.duckdb").expanduser().resolve()
    dagster_home = Path(os.environ.get("DAGSTER_HOME") or data_dir / "dagster").expanduser().resolve()
    return Paths(data_dir=data_dir, warehouse=warehouse, dagster_home=dagster_home)


def export_environment(paths: Paths) -> None:
    """Write the resolved absolute paths back to the environment, for dbt and Dagster subprocesses."""
    os.environ["SWH_DATA_DIR"] = str(paths.data_dir)
    os.environ["SWH_WAREHOUSE"] = str(paths.warehouse)
    os.environ["DAGSTER_HOME"] = str(paths.dagster_home)


_DAGSTER_YAML_HEADER = "# Dagster instance shared by `swh run` and `make ui` (written by pipelines.settings)."
DAGSTER_YAML = _DAGSTER_YAML_HEADER + """
telemetry:
  enabled: false
# DuckDB allows one writing process: never two runs at once (runs started from the UI or the sensor queue)
concurrency:
  runs:
    max_concurrent_runs: 1
# a queued run (from the sensor or the UI) starts within a second, not up to five
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
# Dagster's SQLite storages, same files and tables, but one engine per database file instead of one per
# event (pipelines/common/dagster_storage.py): 12-17 ms -> 4-5 ms per event
run_storage:
  module: pipelines.common.dagster_storage
  class: PooledSqliteRunStorage
  config:
    base_dir: "{history}"
event_log_storage:
  module: pipelines.common.dagster_storage
  class: PooledSqliteEventLogStorage
  config:
    base_dir: "{runs}"
"""


def dagster_yaml(paths: Paths) -> str:
    """dagster.yaml of the instance; the storage folders are where Dagster puts them by default."""
    history = paths.dagster_home / "history"
    return DAGSTER_YAML.format(history=history.as_posix(), runs=(history / "runs").as_posix())


def ensure_dagster_home(paths: Paths) -> None:
    """One Dagster instance for the CLI and the UI, with a configuration file (no telemetry).

    A dagster.yaml this module wrote earlier (first line = its header) is brought up to date; one
    written by somebody else is left alone."""
    paths.dagster_home.mkdir(parents=True, exist_ok=True)
    config = paths.dagster_home / "dagster.yaml"
    wanted = dagster_yaml(paths)
    if not config.exists():
        config.write_text(wanted, encoding="utf-8")
        return
    current = config.read_text(encoding="utf-8")
    if current != wanted and current.startswith(_DAGSTER_YAML_HEADER):
        config.write_text(wanted, encoding="utf-8")
