"""Demo data per (scale, seed), generated once by ``swh demo-data`` and cached under benchmarks/work/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.paths import SWH, WORK_DIR

CACHE_DIR = WORK_DIR / "demo"
DONE = "demo_summary.json"  # written last: a directory without it is an interrupted generation


def cached_raw_dir(scale: int, seed: int) -> Path:
    return CACHE_DIR / f"scale{scale}_seed{seed}" / "raw"


def ensure_demo_data(scale: int, seed: int, log=print) -> tuple[Path, dict]:
    """Return (raw dir, generation summary); generate with ``swh demo-data`` only if not cached."""
    target = cached_raw_dir(scale, seed)
    marker = target.parent / DONE
    if marker.exists():
        return target, json.loads(marker.read_text())
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".gen-scale{scale}-", dir=CACHE_DIR))
    log(f"  Demodaten Skalierung {scale}, Seed {seed} werden erzeugt (einmalig, zwischengespeichert) ...")
    env = dict(os.environ, SWH_DATA_DIR=str(scratch / "data"))
    env.pop("SWH_WAREHOUSE", None)
    env.pop("DAGSTER_HOME", None)
    t0 = time.monotonic()
    proc = subprocess.run([str(SWH), "demo-data", "--scale", str(scale), "--seed", str(seed),
                           "--raw-dir", str(scratch / "raw")], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"swh demo-data --scale {scale} ist fehlgeschlagen:\n{proc.stdout}\n{proc.stderr}")
    seconds = time.monotonic() - t0
    if target.parent.exists():
        shutil.rmtree(target.parent)
    target.parent.mkdir(parents=True)
    (scratch / "raw").rename(target)
    shutil.rmtree(scratch, ignore_errors=True)
    summary = {"scale": scale, "seed": seed, "generation_s": round(seconds, 1), "output": proc.stdout.strip()}
    marker.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return target, summary


if __name__ == "__main__":
    import sys

    for arg in sys.argv[1:]:
        raw, info = ensure_demo_data(int(arg), 20240101)
        print(raw, info["generation_s"])
