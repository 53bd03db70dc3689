"""The project's workbook reader against pandas + openpyxl on the same workbooks."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from pipelines.ingest.erhebungsbogen_form import DATA_SHEETS

N_WORKBOOKS = 20


def pick_workbooks(raw_dir: Path, n: int = N_WORKBOOKS) -> list[Path]:
    """``n`` regular workbooks spread evenly over all districts and quarters."""
    books = sorted(p for p in (raw_dir / "erhebungsboegen").rglob("erhebungsbogen_*.xlsx")
                   if p.stem.count("_") == 2)
    step = max(1, len(books) // n)
    return books[::step][:n]


def _time_all(read, books: list[Path]) -> float:
    t0 = time.perf_counter()
    for p in books:
        read(p)
    return time.perf_counter() - t0


def measure(raw_dir: Path, repeat: int) -> dict:
    """Median seconds of each reader over all ``books`` (both warmed up once: imports excluded; rounds
    alternate between the readers)."""
    import pandas as pd

    from pipelines.ingest.erhebungsbogen import read_erhebungsbogen

    books = pick_workbooks(raw_dir)
    sheets = [s.name for s in DATA_SHEETS]

    def project(p: Path) -> None:
        result = read_erhebungsbogen(p, p.name)
        if not result.accepted:
            raise RuntimeError(f"{p.name} wurde abgelehnt: der Vergleich braucht gültige Bögen")

    def openpyxl(p: Path) -> None:
        pd.read_excel(p, sheet_name=sheets, engine="openpyxl")

    project(books[0]), openpyxl(books[0])  # warm-up: imports, seeds, calendar caches
    # rounds alternate between the readers (and which one goes first): the VM's speed drifts within
    # minutes, so five rounds of one reader followed by five of the other compare two different machines
    ours, theirs = [], []
    for i in range(repeat):
        pair = ((ours, project), (theirs, openpyxl))
        for times, read in (pair if i % 2 == 0 else pair[::-1]):
            times.append(_time_all(read, books))
    return {"workbooks": len(books), "bytes": sum(p.stat().st_size for p in books),
            "project_reader_s": statistics.median(ours), "pandas_openpyxl_s": statistics.median(theirs),
            "speedup": statistics.median(theirs) / statistics.median(ours), "runs": repeat}
