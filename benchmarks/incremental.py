"""The corrected workbook of the incremental benchmark: one visit date changed with openpyxl."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import openpyxl

SHEET = "Raeumungsklagen"
HB1, HB2 = "Hausbesuch 1", "Hausbesuch 2"


def write_correction(source: Path, variant: int) -> Path:
    """Copy ``source`` under a new name with the first home visit of one case one day later.

    ``variant`` picks a different row each time, so every repetition delivers new bytes (a new file
    version). Only rows without a second visit are changed: the correction stays valid.
    """
    wb = openpyxl.load_workbook(source)
    ws = wb[SHEET]
    header = [c.value for c in ws[1]]
    i1, i2 = header.index(HB1), header.index(HB2)
    candidates = [row for row in ws.iter_rows(min_row=2)
                  if isinstance(row[i1].value, dt.datetime) and row[i2].value is None]
    if not candidates:
        raise RuntimeError(f"{source.name}: keine Zeile mit Hausbesuch 1 und ohne Hausbesuch 2")
    cell = candidates[variant % len(candidates)][i1]
    cell.value = cell.value + dt.timedelta(days=1)
    target = source.with_name(f"{source.stem}_korrektur_bench{variant}.xlsx")
    wb.save(target)
    now = time.time()
    os.utime(target, (now, now))  # arrives last
    return target
