"""Measurements behind the README's claims about fixed costs (manifest, GX import)."""

from __future__ import annotations

import json
import os
import subprocess
import time

from benchmarks.paths import PYTHON, REPO_ROOT, VENV_BIN, WORK_DIR

_IMPORT_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import {module}
print(json.dumps({{"seconds": time.perf_counter() - t0,
                  "gx_loaded": any(m == "great_expectations" or m.startswith("great_expectations.")
                                   for m in sys.modules)}}))
"""


def import_seconds(module: str, repeat: int = 3) -> dict:
    """Median seconds to import ``module`` in a fresh interpreter, and whether that loads GX."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run([str(PYTHON), "-c", _IMPORT_PROBE.format(module=module)], cwd=REPO_ROOT,
                             capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    runs.sort(key=lambda r: r["seconds"])
    return {"seconds": runs[len(runs) // 2]["seconds"], "gx_loaded": any(r["gx_loaded"] for r in runs),
            "runs": repeat}


def dbt_parse_seconds() -> float:
    """What parsing the dbt project costs (into a scratch target: the shared manifest stays untouched)."""
    target = WORK_DIR / "parse_target"
    env = dict(os.environ, SWH_WAREHOUSE=str(WORK_DIR / "parse_only.duckdb"))
    project = REPO_ROOT / "dbt_project"
    t0 = time.perf_counter()
    subprocess.run([str(VENV_BIN / "dbt"), "parse", "--project-dir", str(project), "--profiles-dir",
                    str(project), "--target-path", str(target), "--quiet", "--no-partial-parse"],
                   cwd=project, env=env, capture_output=True, check=True)
    return time.perf_counter() - t0


def measure() -> dict:
    return {
        "import_pipelines_definitions": import_seconds("pipelines.definitions"),
        "import_great_expectations": import_seconds("great_expectations"),
        "dbt_parse_s": dbt_parse_seconds(),
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
