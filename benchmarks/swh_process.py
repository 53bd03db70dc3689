"""One ``swh run`` as a subprocess of the installed environment, on its own data directory."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from benchmarks.paths import PYTHON, SWH, WORK_DIR

RUNS_DIR = WORK_DIR / "runs"
BENCH_CASE_KEY = "benchmark-case-key-not-secret"
STEP_LINE = re.compile(r"^ *[0-9.]+ \| ✔ (?P<step>\S+): fertig \((?P<secs>[0-9.]+) s\)", re.M)
FIRST_STEP = re.compile(r"^ *(?P<t>[0-9.]+) \| ▶ ", re.M)
LAST_STEP = re.compile(r"^ *(?P<t>[0-9.]+) \| [✔✘] ", re.M)
CASE_TABLES = ("erhebungsbogen_raeumungsklagen", "erhebungsbogen_zwangsraeumungen")


@dataclass
class RunResult:
    seconds: float
    returncode: int
    published: bool                    # data/marts/manifest.json changed
    ru_maxrss_mb: float
    tree_peak_rss_mb: float
    steps: dict[str, float] = field(default_factory=dict)   # step -> seconds (summed if repeated)
    startup_s: float | None = None     # start until the first step begins: imports, definitions
    tail_s: float | None = None        # last step finished until exit: summary, shutdown
    log: Path | None = None


def fresh_data_dir(name: str, raw_source: Path) -> Path:
    """A cold data directory: nothing but a copy of the raw files (modification times kept)."""
    data_dir = RUNS_DIR / name
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    shutil.copytree(raw_source, data_dir / "raw")
    return data_dir


def environment(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, SWH_DATA_DIR=str(data_dir), SWH_CASE_KEY=BENCH_CASE_KEY)
    env.pop("SWH_WAREHOUSE", None)   # defaults inside data_dir
    env.pop("DAGSTER_HOME", None)
    env.pop("SWH_WARM_MINUTES", None)   # the default: a run leaves a warm process for the next one
    return env


def publication_id(data_dir: Path) -> str | None:
    manifest = data_dir / "marts" / "manifest.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text())["publication_id"]


def warm(data_dir: Path, *, stop: bool = False) -> float:
    """``swh warm`` (wait until the warm process of this data directory is ready) or ``swh warm --stop``;
    not a measurement: the seconds are only reported."""
    started = time.monotonic()
    subprocess.run([str(SWH), "warm", *(["--stop"] if stop else [])], env=environment(data_dir),
                   cwd=Path(__file__).resolve().parents[1], check=True, capture_output=True, timeout=300)
    return time.monotonic() - started


def run_swh(data_dir: Path, label: str, *, cold: bool = False) -> RunResult:
    """Time ``swh run`` from start to exit; check exit code 0 and a new publication.

    ``cold``: ``swh run --kalt``, neither handed to a warm process nor leaving one behind."""
    before = publication_id(data_dir)
    log = data_dir / f"bench_{label}.out"
    probe_out = data_dir / f"bench_{label}.probe.json"
    with open(log, "w", encoding="utf-8") as out:
        subprocess.run([str(PYTHON), "-m", "benchmarks.rss_probe", str(probe_out), "--", str(SWH), "run",
                        *(["--kalt"] if cold else [])],
                       env=environment(data_dir), stdout=out, stderr=subprocess.STDOUT,
                       cwd=Path(__file__).resolve().parents[1], check=True)
    probe = json.loads(probe_out.read_text())
    after = publication_id(data_dir)
    text = log.read_text(encoding="utf-8", errors="replace")
    steps: dict[str, float] = {}
    for m in STEP_LINE.finditer(text):
        steps[m["step"]] = steps.get(m["step"], 0.0) + float(m["secs"])
    first, last = FIRST_STEP.search(text), [float(m["t"]) for m in LAST_STEP.finditer(text)]
    return RunResult(seconds=probe["seconds"], returncode=probe["returncode"],
                     published=after is not None and after != before,
                     ru_maxrss_mb=probe["ru_maxrss_mb"], tree_peak_rss_mb=probe["tree_peak_rss_mb"],
                     steps=steps, startup_s=float(first["t"]) if first else None,
                     tail_s=probe["seconds"] - last[-1] if last else None, log=log)


def case_rows(data_dir: Path) -> int:
    """Rows loaded into the two raw case tables (the denominator of time per case row)."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return sum(con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in CASE_TABLES)


def file_status(data_dir: Path, name: str) -> str | None:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        row = con.execute("SELECT status FROM raw.file_registry WHERE path = ? ORDER BY seen_at DESC LIMIT 1",
                          [name]).fetchone()
    return row[0] if row else None
