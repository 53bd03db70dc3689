"""Demo KLR exports (INPUTS.md §2): staff shares by grade growing in the build-up years and stable
after, costs derived from them (Personalkosten + Sachkosten + Umlagen = Kosten to the cent),
quantities per product, budgets from the Berlin median unit cost. The delivery details (encoding,
one file or one per district, budget given) per year are data in ``demo_klr_lieferungen.csv``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from pipelines.common.bezirke import PRODUKTE
from pipelines.demo.csvfmt import german_fixed, german_int, write_csv
from pipelines.demo.params import DemoParams

HEADERS = {
    "klr_mengen": ["Jahr", "Bezirk", "Produkt", "Produktbezeichnung", "Bezugsgroesse", "Menge", "Budget"],
    "klr_kosten": ["Jahr", "Bezirk", "Produkt", "Kostenstelle", "Kostenstellenbezeichnung", "Kosten",
                   "Personalkosten", "Sachkosten", "Umlagen"],
    "klr_stellen": ["Jahr", "Bezirk", "Produkt", "Kostenstelle", "Wertigkeit", "Stellenanteile"],
}
UNKNOWN_PRODUCT = ("80999", "Sonstige Leistungen des Amtes für Soziales (nicht Gegenstand der Zielvereinbarung)")


def _berlin_staff(params: DemoParams, years: np.ndarray) -> pl.DataFrame:
    """VZÄ per product and year for Berlin: flat before the build-up, linear during it, slow after."""
    a, b = params.i("klr_aufbau_von"), params.i("klr_aufbau_bis")
    pr = params.klr_produkte.join(pl.DataFrame({"year": years}), how="cross")
    ramp = ((pl.col("year").clip(a, b) - a) / (b - a))
    return pr.with_columns(
        vza_berlin=(pl.col("vza_berlin_2016") + (pl.col("vza_berlin_2021") - pl.col("vza_berlin_2016")) * ramp)
        * (1 + pl.col("vza_trend_nach_2021")) ** (pl.col("year") - b).clip(lower_bound=0))


def _cost_centres(params: DemoParams, grid: pl.DataFrame) -> pl.DataFrame:
    """(bezirk_nr, year) -> cost centres and shares: a district-specific row wins over the general one."""
    ks = params.klr_kostenstellen
    in_years = pl.col("year").is_between(pl.col("ab_jahr"), pl.col("bis_jahr"))
    keys = grid.select("bezirk_nr", "year").unique()
    specific = keys.join(ks.filter(pl.col("bezirk_nr").is_not_null()), on="bezirk_nr").filter(in_years)
    general = (keys.join(ks.filter(pl.col("bezirk_nr").is_null()).drop("bezirk_nr"), how="cross")
               .filter(in_years).join(specific.select("bezirk_nr", "year").unique(), on=["bezirk_nr", "year"],
                                      how="anti"))
    cols = ["bezirk_nr", "year", "kostenstelle_suffix", "bezeichnung", "anteil"]
    return pl.concat([specific.select(cols), general.select(cols)]).with_columns(
        kostenstelle=pl.col("bezirk_nr") + pl.col("kostenstelle_suffix")).drop("kostenstelle_suffix")


def klr_frames(params: DemoParams, last_year: int, rng: np.random.Generator) -> dict[str, pl.DataFrame]:
    """The three KLR tables (numbers, not yet formatted) for every year and district."""
    years = np.arange(params.i("klr_erstes_jahr"), last_year + 1)
    bez = params.bezirke.select("bezirk_nr", "gewicht_faelle")
    n_b, n_p, n_y = bez.height, params.klr_produkte.height, len(years)
    even = params.p("klr_anteil_gleichverteilt")
    w = bez["gewicht_faelle"].to_numpy() / bez["gewicht_faelle"].sum()
    staff_share = (1 - even) * w + even / n_b

    sd_b, sd_y = params.p("klr_streuung_bezirk"), params.p("klr_streuung_jahr")
    shape = (n_b, n_p, n_y)
    noise_staff = np.exp(rng.normal(0, sd_b, (n_b, n_p, 1)) + rng.normal(0, sd_y, shape))
    noise_menge = np.exp(rng.normal(0, sd_b, (n_b, n_p, 1)) + rng.normal(0, sd_y, shape))
    grid = pl.DataFrame({
        "bezirk_nr": np.repeat(bez["bezirk_nr"].to_numpy(), n_p * n_y),
        "product": np.tile(np.repeat(params.klr_produkte["product"].to_numpy(), n_y), n_b),
        "year": np.tile(years, n_b * n_p),
        "w": np.repeat(w, n_p * n_y), "staff_share": np.repeat(staff_share, n_p * n_y),
        "noise_staff": noise_staff.ravel(), "noise_menge": noise_menge.ravel(),
    })

    cases = (params.berlin_volumes(years, "mizi_raeumungsklagen")
             + params.berlin_volumes(years, "gv_raeumungsmitteilungen"))
    case_index = pl.DataFrame({"year": years, "case_index": cases / cases[0]})
    grid = (grid.join(_berlin_staff(params, years), on=["product", "year"])
            .join(case_index, on="year")
            .with_columns(
                vza=pl.col("vza_berlin") * pl.col("staff_share") * pl.col("noise_staff"),
                menge=(pl.col("menge_berlin_2016") * pl.col("w") * pl.col("noise_menge") * pl.when(
                    pl.col("menge_folgt_fallzahlen")).then(pl.col("case_index")).otherwise(
                    (1 + pl.col("menge_trend_pro_jahr")) ** (pl.col("year") - int(years[0])))).round(0)))

    # staff by cost centre and grade, in hundredths of a VZÄ
    grades = params.klr_wertigkeiten
    stellen = (grid.join(_cost_centres(params, grid).rename({"anteil": "kst_anteil"}), on=["bezirk_nr", "year"])
               .join(grades.rename({"anteil": "grade_anteil"}), how="cross")
               .sort("year", "bezirk_nr", "product", "kostenstelle", "wertigkeit"))  # before drawing noise
    stellen = stellen.with_columns(grade_noise=pl.Series(np.exp(rng.normal(0, 0.12, stellen.height))),
                                   pay_noise=pl.Series(np.exp(rng.normal(0, 0.02, stellen.height))))
    stellen = stellen.with_columns(
        vza_h=(pl.col("vza") * pl.col("kst_anteil") * pl.col("grade_anteil") * pl.col("grade_noise") * 100)
        .round(0).cast(pl.Int64),
        kosten_je_vza=pl.col("personalkosten_je_vza_2016")
        * (1 + pl.col("steigerung_pro_jahr")) ** (pl.col("year") - int(years[0])) * pl.col("pay_noise"),
    ).filter(pl.col("vza_h") > 0)

    kosten = (stellen.group_by("bezirk_nr", "product", "year", "kostenstelle", "bezeichnung")
              .agg(pk_cent=(pl.col("vza_h") * pl.col("kosten_je_vza")).round(0).cast(pl.Int64).sum(),
                   sach=pl.col("sachkosten_quote").first(), uml=pl.col("umlagen_quote").first())
              .sort("year", "bezirk_nr", "product", "kostenstelle"))
    kosten = kosten.with_columns(
        sk_cent=(pl.col("pk_cent") * pl.col("sach") * pl.Series(np.exp(rng.normal(0, 0.05, kosten.height))))
        .round(0).cast(pl.Int64),
        ul_cent=(pl.col("pk_cent") * pl.col("uml")).round(0).cast(pl.Int64),
    ).with_columns(kosten_cent=pl.col("pk_cent") + pl.col("sk_cent") + pl.col("ul_cent"))

    mengen = grid.select("bezirk_nr", "product", "year", "menge").join(
        kosten.group_by("bezirk_nr", "product", "year").agg(pl.col("kosten_cent").sum()),
        on=["bezirk_nr", "product", "year"])
    with_budget = params.klr_lieferungen.filter(pl.col("budget"))["jahr"].to_list()
    mengen = mengen.with_columns(stueck=pl.col("kosten_cent") / pl.col("menge")).with_columns(
        budget_cent=pl.when(pl.col("year").is_in(with_budget)).then(
            (pl.col("stueck").median().over("product", "year") * pl.col("menge")
             * (1 + params.p("klr_budget_aufschlag"))).round(0).cast(pl.Int64)))
    mengen = mengen.join(params.klr_produkte.select("product", "bezugsgroesse"), on="product").with_columns(
        produktbezeichnung=pl.col("product").replace_strict(PRODUKTE, return_dtype=pl.String))
    return {
        "klr_mengen": mengen.sort("year", "bezirk_nr", "product"),
        "klr_kosten": kosten,
        "klr_stellen": stellen.sort("year", "bezirk_nr", "product", "kostenstelle", "wertigkeit"),
    }


def format_klr(kind: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The export's text columns, German number format."""
    base = [pl.col("year").cast(pl.String).alias("Jahr"), pl.col("bezirk_nr").alias("Bezirk"),
            pl.col("product").alias("Produkt")]
    if kind == "klr_mengen":
        cols = [pl.col("produktbezeichnung").alias("Produktbezeichnung"),
                pl.col("bezugsgroesse").alias("Bezugsgroesse"), german_int(pl.col("menge")).alias("Menge"),
                german_fixed(pl.col("budget_cent")).alias("Budget")]
    elif kind == "klr_kosten":
        cols = [pl.col("kostenstelle").alias("Kostenstelle"), pl.col("bezeichnung").alias("Kostenstellenbezeichnung"),
                german_fixed(pl.col("kosten_cent")).alias("Kosten"),
                german_fixed(pl.col("pk_cent")).alias("Personalkosten"),
                german_fixed(pl.col("sk_cent")).alias("Sachkosten"), german_fixed(pl.col("ul_cent")).alias("Umlagen")]
    else:
        cols = [pl.col("kostenstelle").alias("Kostenstelle"), pl.col("wertigkeit").alias("Wertigkeit"),
                german_fixed(pl.col("vza_h")).alias("Stellenanteile")]
    out = frame.select(*base, *cols)
    assert out.columns == HEADERS[kind]
    return out


def write_klr(params: DemoParams, klr_dir: Path, last_year: int, rng: np.random.Generator) -> list[tuple[str, Path]]:
    """Write every year's exports (one file, or one per district) plus the unknown-product row and
    the later replacement delivery; returns (kind, path) in writing order."""
    frames = klr_frames(params, last_year, rng)
    deliveries = {r["jahr"]: r for r in params.klr_lieferungen.iter_rows(named=True)}
    odd_year = params.i("klr_unbekanntes_produkt_jahr")
    written: list[tuple[str, Path]] = []
    for year in range(params.i("klr_erstes_jahr"), last_year + 1):
        d = deliveries.get(year, {"kodierung": "utf-8", "aufteilung": "gesamt"})
        for kind in HEADERS:
            rows = format_klr(kind, frames[kind].filter(pl.col("year") == year))
            if kind == "klr_mengen" and year == odd_year:
                first = rows.head(1)
                rows = pl.concat([rows, first.with_columns(
                    Produkt=pl.lit(UNKNOWN_PRODUCT[0]), Produktbezeichnung=pl.lit(UNKNOWN_PRODUCT[1]),
                    Bezugsgroesse=pl.lit("Fälle"), Menge=pl.lit("1.250"), Budget=pl.lit(None, pl.String))])
            if d["aufteilung"] == "je_bezirk":
                for (bezirk,), part in rows.partition_by("Bezirk", as_dict=True, maintain_order=True).items():
                    written.append((kind, write_csv(klr_dir / f"{kind}_{year}_{bezirk}.csv", part, d["kodierung"])))
            else:
                written.append((kind, write_csv(klr_dir / f"{kind}_{year}.csv", rows, d["kodierung"])))

    n_year, n_bezirk = params.i("nachlieferung_jahr"), f"{params.i('nachlieferung_bezirk'):02d}"
    if params.i("klr_erstes_jahr") <= n_year <= last_year:
        fix = params.p("nachlieferung_faktor")
        corrected = (frames["klr_kosten"].filter((pl.col("year") == n_year) & (pl.col("bezirk_nr") == n_bezirk))
                     .with_columns(sk_cent=(pl.col("sk_cent") * fix).round(0).cast(pl.Int64))
                     .with_columns(kosten_cent=pl.col("pk_cent") + pl.col("sk_cent") + pl.col("ul_cent")))
        enc = deliveries.get(n_year, {"kodierung": "utf-8"})["kodierung"]
        path = klr_dir / "nachlieferung" / f"klr_kosten_{n_year}_{n_bezirk}.csv"
        written.append(("klr_kosten", write_csv(path, format_klr("klr_kosten", corrected), enc)))
    return written
