"""Where the harness finds the installed environment and keeps its work files."""

from __future__ import annotations

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
VENV_BIN = REPO_ROOT / ".venv" / "bin"
SWH = VENV_BIN / "swh"
PYTHON = VENV_BIN / "python"
WORK_DIR = BENCH_DIR / "work"          # gitignored: cached demo data, scratch data directories
RESULTS = BENCH_DIR / "results.json"
DEFAULT_SEED = 20240101
