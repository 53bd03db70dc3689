"""``swh demo-data``: deterministic, realistic demo inputs in exactly the formats of INPUTS.md.

Writes under ``raw_dir``: ``erhebungsboegen/<JJJJ>Q<q>/erhebungsbogen_<BB>_<JJJJ>Q<q>.xlsx`` (all
12 districts, every quarter, plus one ``_korrektur`` resubmission and one faulty ``_entwurf``),
``klr/klr_{mengen,kosten,stellen}_<JJJJ>[_<BB>].csv`` (plus ``klr/nachlieferung/``) and
``fallzahlen/fallzahlen_<JJJJ>_<JJJJ>.csv``. One numpy generator drives everything; files get fixed
modification times in writing order (corrections later), so one seed gives the same bytes.
The assumptions are data: ``pipelines/demo/parameter/demo_*.csv``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pipelines.demo import cases as case_gen
from pipelines.demo.fallzahlen import write_fallzahlen
from pipelines.demo.forms import write_workbooks
from pipelines.demo.klr import write_klr
from pipelines.demo.params import load_params
from pipelines.demo.submissions import reported_rows, submission_dates, zugang_rows
from pipelines.demo.workdays import WorkCalendar


def generate_demo_data(raw_dir: Path, *, scale: int = 1, seed: int = 20240101, first_year: int = 2022,
                       last_year: int = 2025) -> dict:
    """Write the demo inputs; returns a summary (files per kind, case rows, the special files)."""
    if scale < 1:
        raise ValueError(f"scale muss mindestens 1 sein, nicht {scale}")
    if last_year < first_year:
        raise ValueError(f"last_year ({last_year}) liegt vor first_year ({first_year})")
    raw_dir = Path(raw_dir)
    params = load_params()
    rng = np.random.default_rng(seed)
    cal = WorkCalendar(min(first_year, params.i("klr_erstes_jahr")), last_year,
                       dec_24_31_off=bool(params.i("arbeitsfrei_24_31_dezember")))
    qs = case_gen.quarters(first_year, last_year)

    written: list[tuple[str, Path]] = []
    fallzahlen = write_fallzahlen(params, raw_dir / "fallzahlen", params.i("klr_erstes_jahr"), first_year - 1, rng)
    if fallzahlen is not None:
        written.append(("fallzahlen", fallzahlen))
    written += write_klr(params, raw_dir / "klr", last_year, rng)

    rk = case_gen.generate_raeumungsklagen(params, cal, qs, scale, rng)
    zr = case_gen.generate_zwangsraeumungen(params, cal, qs, scale, rng)
    rk, zr = case_gen.assign_fall_ids(params, rk, zr)
    stand = submission_dates(params, cal, qs)
    rk_rows = reported_rows("raeumungsklagen", rk, stand, params, rng)
    zr_rows = reported_rows("zwangsraeumungen", zr, stand, params, rng)
    plan = write_workbooks(params, raw_dir / "erhebungsboegen", qs, stand, rk_rows, zr_rows,
                           zugang_rows(params, qs, rng), rng)
    written += [("erhebungsbogen", p) for p in plan.written]

    # modification times in writing order: a later delivery is always the later file
    base = params.i("mtime_basis")
    for i, (_, path) in enumerate(written):
        os.utime(path, (base + 60 * i, base + 60 * i))

    kinds = [k for k, _ in written]
    rel = {p.name: p.relative_to(raw_dir).as_posix() for _, p in written}
    return {
        **{kind: kinds.count(kind) for kind in ("erhebungsbogen", "klr_mengen", "klr_kosten", "klr_stellen",
                                                 "fallzahlen")},
        "faelle_raeumungsklagen": rk.height,
        "faelle_zwangsraeumungen": zr.height,
        "zeilen_raeumungsklagen": rk_rows.height,
        "zeilen_zwangsraeumungen": zr_rows.height,
        "korrektur": next((v for k, v in rel.items() if k.endswith("_korrektur.xlsx")), None),
        "fehlerhafter_bogen": next((v for k, v in rel.items() if k.endswith("_entwurf.xlsx")), None),
        "klr_nachlieferung": next((v for v in rel.values() if v.startswith("klr/nachlieferung/")), None),
    }


def write_demo_data_if_empty(raw_dir: Path, **kw) -> dict | None:
    """Generate demo data only if ``raw_dir`` holds no input file yet; otherwise None."""
    from pipelines.ingest.registry import discover  # the pipeline's own notion of an input file

    if discover(Path(raw_dir)):
        return None
    return generate_demo_data(raw_dir, **kw)
