"""The demo generator's assumptions, read from ``pipelines/demo/parameter/demo_*.csv`` (editable data, not
used by dbt models): district weights, yearly Berlin volumes, delay distributions, KLR structure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pathlib import Path

DEMO_PARAMETERS_DIR = Path(__file__).resolve().parent / "parameter"


def _seed(name: str) -> pl.DataFrame:
    """A seed as text columns (the generator casts what it needs)."""
    return pl.read_csv(DEMO_PARAMETERS_DIR / name, infer_schema=False, encoding="utf8")


@dataclass(frozen=True)
class DemoParams:
    bezirke: pl.DataFrame          # bezirk_nr, kuerzel, gewicht_faelle, rueckstand_faktor, zugang_start, ...
    volumen: pl.DataFrame          # jahr, kennzahl, berlin_gesamt
    saison: pl.DataFrame           # monat, faktor
    verzoegerung: pl.DataFrame     # prozess, von_arbeitstage, bis_arbeitstage, anteil, rueckstand
    scalars: dict[str, float]      # demo_parameter.csv
    klr_produkte: pl.DataFrame
    klr_wertigkeiten: pl.DataFrame
    klr_lieferungen: pl.DataFrame
    klr_kostenstellen: pl.DataFrame
    fallzahlen_perioden: pl.DataFrame

    def p(self, name: str) -> float:
        return self.scalars[name]

    def i(self, name: str) -> int:
        return int(self.scalars[name])

    def berlin_volume(self, year: int, kennzahl: str) -> float:
        """Target Berlin total for a year; years outside the table take the nearest listed year."""
        v = self.volumen.filter(pl.col("kennzahl") == kennzahl).sort("jahr")
        years = v["jahr"].to_list()
        nearest = min(years, key=lambda y: abs(y - year))
        return float(v.filter(pl.col("jahr") == nearest)["berlin_gesamt"][0])

    def berlin_volumes(self, years: np.ndarray, kennzahl: str) -> np.ndarray:
        """``berlin_volume`` for an array of years (looked up once per distinct year)."""
        levels, inverse = np.unique(years, return_inverse=True)
        return np.array([self.berlin_volume(int(y), kennzahl) for y in levels])[inverse]


def load_params() -> DemoParams:
    bezirke = _seed("demo_bezirke.csv").with_columns(
        pl.col("gewicht_faelle", "rueckstand_faktor").cast(pl.Float64),
        pl.col("zugang_start").cast(pl.Int64),
    ).sort("bezirk_nr")
    volumen = _seed("demo_volumen.csv").with_columns(
        pl.col("jahr").cast(pl.Int64), pl.col("berlin_gesamt").cast(pl.Float64))
    saison = _seed("demo_saison.csv").with_columns(
        pl.col("monat").cast(pl.Int64), pl.col("faktor").cast(pl.Float64)).sort("monat")
    verzoegerung = _seed("demo_verzoegerung.csv").with_columns(
        pl.col("von_arbeitstage", "bis_arbeitstage").cast(pl.Int64),
        pl.col("anteil").cast(pl.Float64),
        (pl.col("rueckstand") == "ja").alias("rueckstand"),
    )
    scalars = {r["parameter"]: float(r["wert"]) for r in _seed("demo_parameter.csv").iter_rows(named=True)}
    klr_produkte = _seed("demo_klr_produkte.csv").with_columns(
        pl.col("menge_berlin_2016", "menge_trend_pro_jahr", "vza_berlin_2016", "vza_berlin_2021",
               "vza_trend_nach_2021", "sachkosten_quote", "umlagen_quote").cast(pl.Float64),
        (pl.col("menge_folgt_fallzahlen") == "ja").alias("menge_folgt_fallzahlen"),
    ).sort("product")
    klr_wertigkeiten = _seed("demo_klr_wertigkeiten.csv").with_columns(
        pl.col("anteil", "personalkosten_je_vza_2016", "steigerung_pro_jahr").cast(pl.Float64))
    klr_lieferungen = _seed("demo_klr_lieferungen.csv").with_columns(
        pl.col("jahr").cast(pl.Int64), (pl.col("budget") == "ja").alias("budget"))
    klr_kostenstellen = _seed("demo_klr_kostenstellen.csv").with_columns(
        pl.col("ab_jahr", "bis_jahr").cast(pl.Int64), pl.col("anteil").cast(pl.Float64))
    fallzahlen_perioden = _seed("demo_fallzahlen_perioden.csv").with_columns(
        pl.col("jahr").cast(pl.Int64), (pl.col("berlin_gesamt") == "ja").alias("berlin_gesamt"))
    return DemoParams(bezirke=bezirke, volumen=volumen, saison=saison, verzoegerung=verzoegerung,
                      scalars=scalars, klr_produkte=klr_produkte, klr_wertigkeiten=klr_wertigkeiten,
                      klr_lieferungen=klr_lieferungen, klr_kostenstellen=klr_kostenstellen,
                      fallzahlen_perioden=fallzahlen_perioden)
