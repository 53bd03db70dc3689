"""Writes the demo Erhebungsbögen through ``pipelines.template.write_workbook``: one per district and
quarter, plus one district-quarter delivered twice (first version, then ``_korrektur``) and one
extra hand-filled workbook with deliberate errors (``_entwurf``) beside a valid one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.common.bezirke import BEZIRKE
from pipelines.demo.cases import Quarter
from pipelines.demo.params import DemoParams
from pipelines.demo.submissions import RK_PRINTED
from pipelines.ingest.erhebungsbogen_form import FORM_VERSION
from pipelines.template import write_workbook

FIXED_CREATED = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
VERSAND = RK_PRINTED["versand"]
REAKTION = RK_PRINTED["reaktion"]


@dataclass
class WorkbookPlan:
    """Where the special files go (district number and quarter index), within the generated range."""
    korrektur: tuple[str, int]
    entwurf: tuple[str, int]
    written: list[Path] = field(default_factory=list)


def special_quarter(params: DemoParams, prefix: str, qs: list[Quarter]) -> tuple[str, int]:
    year = min(max(params.i(f"{prefix}_jahr"), qs[0].year), qs[-1].year)
    idx = next(i for i, q in enumerate(qs) if q.year == year and q.quarter == params.i(f"{prefix}_quartal"))
    return f"{params.i(f'{prefix}_bezirk'):02d}", idx


def _meta(params: DemoParams, bezirk_nr: str, q: Quarter, stand: dt.date) -> dict:
    row = params.bezirke.filter(pl.col("bezirk_nr") == bezirk_nr).row(0, named=True)
    return {"Bezirk": BEZIRKE[bezirk_nr] if row["meta_als_name"] == "ja" else bezirk_nr,
            "Jahr": q.year, "Quartal": q.quarter, "Formularversion": FORM_VERSION, "Stand": stand,
            "Kontakt": row["kontakt"]}


def _split(frame: pl.DataFrame) -> dict[tuple[int, int], pl.DataFrame]:
    return frame.partition_by("wb_idx", "bezirk_idx", as_dict=True, include_key=False, maintain_order=True)


def _empty_like(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.drop("wb_idx", "bezirk_idx").clear()


def _faulty(rk: pl.DataFrame, q: Quarter) -> list[dict]:
    """The rows as a district might type them by hand: an impossible date typed as text and a
    'jein' in a ja/nein column."""
    rows = rk.to_dicts()
    indexed = rk.with_row_index("i")
    with_letter = indexed.filter(pl.col(VERSAND).is_not_null())["i"]
    with_reaction = indexed.filter(pl.col(REAKTION).is_not_null())["i"]
    if with_letter.len():
        rows[with_letter[0]][VERSAND] = f"31.02.{q.year}"
    if with_reaction.len():
        rows[with_reaction[-1]][REAKTION] = "jein"
    return rows


def write_workbooks(params: DemoParams, out_dir: Path, qs: list[Quarter], stand: pl.Series,
                    rk: pl.DataFrame, zr: pl.DataFrame, zugang: pl.DataFrame,
                    rng: np.random.Generator) -> WorkbookPlan:
    """Every workbook, in the order a monitoring unit would receive them."""
    plan = WorkbookPlan(korrektur=special_quarter(params, "korrektur", qs),
                        entwurf=special_quarter(params, "fehler", qs))
    parts_rk, parts_zr, parts_zg = _split(rk), _split(zr), _split(zugang)
    empty_rk, empty_zr = _empty_like(rk), _empty_like(zr)
    bezirke = params.bezirke["bezirk_nr"].to_list()
    korrektur_rows = None
    for k, q in enumerate(qs):
        folder = out_dir / q.label
        for b, nr in enumerate(bezirke):
            meta = _meta(params, nr, q, stand[k])
            r, z = parts_rk.get((k, b), empty_rk), parts_zr.get((k, b), empty_zr)
            zg = parts_zg[(k, b)].to_dicts()
            path = folder / f"erhebungsbogen_{nr}_{q.label}.xlsx"
            if (nr, k) == plan.entwurf:
                draft = path.with_name(f"erhebungsbogen_{nr}_{q.label}_entwurf.xlsx")
                plan.written.append(write_workbook(draft, meta, _faulty(r, q), z.to_dicts(), zg, created=FIXED_CREATED))
            if (nr, k) == plan.korrektur:
                korrektur_rows = (path.with_name(f"erhebungsbogen_{nr}_{q.label}_korrektur.xlsx"),
                                  meta, r.to_dicts(), z.to_dicts(), zg)
                # the first version misses some rows the district forgot to enter
                share = params.p("korrektur_fehlende_zeilen")
                r = r.filter(pl.Series(rng.random(r.height)) >= share)
                z = z.filter(pl.Series(rng.random(z.height)) >= share)
            plan.written.append(write_workbook(path, meta, r.to_dicts(), z.to_dicts(), zg, created=FIXED_CREATED))
    if korrektur_rows is not None:  # the corrected resubmission arrives after all regular ones
        path, meta, r_rows, z_rows, zg = korrektur_rows
        plan.written.append(write_workbook(path, {**meta, "Stand": meta["Stand"] + dt.timedelta(days=21)},
                                           r_rows, z_rows, zg, created=FIXED_CREATED))
    return plan
