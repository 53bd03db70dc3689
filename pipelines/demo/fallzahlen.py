"""Demo historical case volumes (INPUTS.md §3) for the years before case rows exist: the three
measures per district, per year, half-year or quarter as ``demo_fallzahlen_perioden.csv`` says,
plus Berlin totals for some years (never below the sum of the districts)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.demo.csvfmt import german_int, write_csv
from pipelines.demo.params import DemoParams

KENNZAHLEN = ("mizi_raeumungsklagen", "gv_raeumungsmitteilungen", "zwangsraeumungen")
PERIOD_MONTHS = {"Jahr": 12, "Halbjahr": 6, "Quartal": 3}
HEADER = ["Bezirk", "Von", "Bis", "Kennzahl", "Wert", "Quelle"]


def _periods(params: DemoParams, first: int, last: int) -> pl.DataFrame:
    """One row per (year, period) with its start, end, seasonal share, Berlin-total flag and source."""
    spec = {r["jahr"]: r for r in params.fallzahlen_perioden.iter_rows(named=True)}
    month_f = params.saison["faktor"].to_numpy()
    rows = []
    for year in range(first, last + 1):  # a handful of years
        s = spec.get(year, {"periode": "Quartal", "berlin_gesamt": False, "quelle": "Quartalsstatistik der Bezirke"})
        step = PERIOD_MONTHS[s["periode"]]
        for m in range(1, 13, step):
            end = dt.date(year + (m + step > 12), (m + step - 1) % 12 + 1, 1) - dt.timedelta(days=1)
            rows.append({"year": year, "von": dt.date(year, m, 1), "bis": end,
                         "share": float(month_f[m - 1:m - 1 + step].sum() / month_f.sum()),
                         "berlin": s["berlin_gesamt"], "quelle": s["quelle"]})
    return pl.DataFrame(rows)


def fallzahlen_frame(params: DemoParams, first: int, last: int, rng: np.random.Generator) -> pl.DataFrame:
    """Bezirk (number or 'Berlin'), von, bis, kennzahl, wert, quelle."""
    periods = _periods(params, first, last)
    targets = pl.DataFrame([{"year": y, "kennzahl": k, "target": params.berlin_volume(y, k)}
                            for y in range(first, last + 1) for k in KENNZAHLEN])
    bez = params.bezirke.select("bezirk_nr", (pl.col("gewicht_faelle") / pl.col("gewicht_faelle").sum()).alias("w"))
    grid = (periods.join(targets, on="year").join(bez, how="cross")
            .sort("bezirk_nr", "kennzahl", "von"))  # fixed order before drawing noise
    noise = np.exp(rng.normal(0, params.p("volumen_streuung"), grid.height))
    # the districts' shares vary, their sum stays just below the Berlin total of the period
    grid = grid.with_columns(berlin_wert=(pl.col("target") * pl.col("share")).round(0).cast(pl.Int64),
                             anteil=pl.col("w") * pl.Series(noise)).with_columns(
        wert=(pl.col("berlin_wert") * params.p("fallzahlen_erfassungsgrad") * pl.col("anteil")
              / pl.col("anteil").sum().over("von", "kennzahl")).floor().cast(pl.Int64))
    berlin = (grid.filter(pl.col("berlin"))
              .group_by("von", "bis", "kennzahl", "quelle")
              .agg(pl.col("berlin_wert").first().alias("wert"))
              .with_columns(bezirk_nr=pl.lit("Berlin")))
    cols = ["bezirk_nr", "von", "bis", "kennzahl", "wert", "quelle"]
    return pl.concat([grid.select(cols), berlin.select(cols)]).sort("von", "kennzahl", "bezirk_nr")


def write_fallzahlen(params: DemoParams, out_dir: Path, first: int, last: int,
                     rng: np.random.Generator) -> Path | None:
    if last < first:
        return None
    frame = fallzahlen_frame(params, first, last, rng)
    text = frame.select(
        pl.col("bezirk_nr").alias("Bezirk"), pl.col("von").dt.strftime("%d.%m.%Y").alias("Von"),
        pl.col("bis").dt.strftime("%d.%m.%Y").alias("Bis"), pl.col("kennzahl").alias("Kennzahl"),
        german_int(pl.col("wert")).alias("Wert"), pl.col("quelle").alias("Quelle"))
    return write_csv(out_dir / f"fallzahlen_{first}_{last}.csv", text, "utf-8")
