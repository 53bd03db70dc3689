"""The true course of every demo case (court notices and bailiff notices), generated vectorised.

One row per case with every event that ever happens to it; what a district can report at a given
submission date is derived from this in ``submissions``. Volumes follow the Berlin totals in
``demo_volumen.csv`` spread over districts (``demo_bezirke.csv``) and months (``demo_saison.csv``);
delays are drawn in working days from ``demo_verzoegerung.csv``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.demo.params import DemoParams
from pipelines.demo.workdays import WorkCalendar

NAT = np.datetime64("NaT", "D")


@dataclass(frozen=True)
class Quarter:
    year: int
    quarter: int

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def last_day(self) -> dt.date:
        nxt = dt.date(self.year + (self.quarter == 4), 3 * self.quarter % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.quarter}"


def quarters(first_year: int, last_year: int) -> list[Quarter]:
    return [Quarter(y, q) for y in range(first_year, last_year + 1) for q in range(1, 5)]


class DelaySampler:
    """Draws delays (working days) for one process from its binned distribution; bins flagged
    ``rueckstand`` are weighted by a per-row backlog factor, a bin without bounds means 'missing'."""

    def __init__(self, params: DemoParams, process: str):
        bins = params.verzoegerung.filter(pl.col("prozess") == process)
        if bins.is_empty():
            raise ValueError(f"demo_verzoegerung.csv: kein Prozess {process!r}")
        self.p = bins["anteil"].to_numpy()
        self.tail = bins["rueckstand"].to_numpy()
        self.missing = bins["von_arbeitstage"].is_null().to_numpy()
        self.lo = bins["von_arbeitstage"].fill_null(0).to_numpy()
        self.hi = bins["bis_arbeitstage"].fill_null(0).to_numpy()

    def sample(self, rng: np.random.Generator, factor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(delay, missing) for each row; rows sharing a factor share one distribution."""
        n = factor.shape[0]
        u = rng.random(n)
        u2 = rng.random(n)
        bin_idx = np.zeros(n, dtype=np.int64)
        levels, inverse = np.unique(factor, return_inverse=True)
        for k, f in enumerate(levels):  # a handful of (district, year) levels, not rows
            w = self.p * np.where(self.tail, f, 1.0)
            cdf = np.cumsum(w / w.sum())
            rows = inverse == k
            bin_idx[rows] = np.minimum(np.searchsorted(cdf, u[rows], side="right"), len(cdf) - 1)
        delay = self.lo[bin_idx] + np.floor(u2 * (self.hi[bin_idx] - self.lo[bin_idx] + 1)).astype(np.int64)
        return delay, self.missing[bin_idx]


JA, NEIN, LEER = 1, 0, -1


def _choice3(rng: np.random.Generator, n: int, p_ja: np.ndarray | float, p_leer: float) -> np.ndarray:
    """JA / LEER (empty) / NEIN codes with the given shares (vectorised)."""
    u = rng.random(n)
    return np.where(u < p_ja, JA, np.where(u < p_ja + p_leer, LEER, NEIN)).astype(np.int8)


def _yesno(codes: np.ndarray) -> pl.Series:
    """Codes to the form's text: 'ja', 'nein' or empty."""
    return pl.Series(codes).replace_strict({JA: "ja", NEIN: "nein"}, default=None, return_dtype=pl.String)


def _counts(params: DemoParams, qs: list[Quarter], kennzahl: str, scale: int,
            rng: np.random.Generator) -> np.ndarray:
    """Cases per (quarter, district): Berlin year total × district weight × quarter's seasonal share."""
    weights = params.bezirke["gewicht_faelle"].to_numpy()
    weights = weights / weights.sum()
    month_f = params.saison["faktor"].to_numpy()
    q_share = month_f.reshape(4, 3).sum(axis=1) / month_f.sum()
    per_quarter = (params.berlin_volumes(np.array([q.year for q in qs]), kennzahl)
                   * q_share[[q.quarter - 1 for q in qs]])
    expected = np.outer(per_quarter, weights) * scale
    noise = np.exp(rng.normal(0.0, params.p("volumen_streuung"), expected.shape))
    return np.maximum(np.rint(expected * noise), 1).astype(np.int64)


def _arrivals(params: DemoParams, cal: WorkCalendar, qs: list[Quarter], counts: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(arrival date, quarter index, district index) per case; arrivals fall on working days,
    weighted by the month's seasonal factor."""
    month_f = params.saison["faktor"].to_numpy()
    dates, qidx, didx = [], [], []
    for k, q in enumerate(qs):  # one draw per quarter
        days = cal.workdays(q.first_day, q.last_day)
        months = days.astype("datetime64[M]").astype(np.int64) % 12
        w = month_f[months]
        n = int(counts[k].sum())
        dates.append(rng.choice(days, size=n, p=w / w.sum()))
        qidx.append(np.full(n, k))
        didx.append(np.repeat(np.arange(counts.shape[1]), counts[k]))
    return np.concatenate(dates), np.concatenate(qidx), np.concatenate(didx)


def _backlog_factor(params: DemoParams, years: np.ndarray, didx: np.ndarray) -> np.ndarray:
    """District backlog factor, shrinking every year after the reference year."""
    base = params.bezirke["rueckstand_faktor"].to_numpy()[didx]
    steps = np.maximum(years - params.i("rueckstand_basisjahr"), 0)
    return np.round(base * (1.0 - params.p("rueckstand_verbesserung_pro_jahr")) ** steps, 6)


def _dates(x: np.ndarray) -> pl.Series:
    return pl.Series(x.astype("datetime64[D]")).cast(pl.Date)


def generate_raeumungsklagen(params: DemoParams, cal: WorkCalendar, qs: list[Quarter], scale: int,
                             rng: np.random.Generator) -> pl.DataFrame:
    counts = _counts(params, qs, "mizi_raeumungsklagen", scale, rng)
    eingang, qidx, didx = _arrivals(params, cal, qs, counts, rng)
    n = eingang.shape[0]
    years = np.array([q.year for q in qs])[qidx]
    factor = _backlog_factor(params, years, didx)

    delay, missing = DelaySampler(params, "anschreiben_rk").sample(rng, factor)
    versand = np.where(missing, NAT, cal.add(eingang, delay))
    has_letter = ~missing

    reaktion = _choice3(rng, n, params.p("reaktion_ja"), params.p("reaktion_leer"))
    reaktion[~has_letter] = LEER

    hb_delay, hb_missing = DelaySampler(params, "hausbesuch_1").sample(rng, factor)
    u = rng.random(n)
    visited = has_letter & np.select(
        [reaktion == NEIN, reaktion == JA],
        [~hb_missing, u < params.p("hausbesuch_bei_reaktion_ja")],
        default=u < params.p("hausbesuch_bei_reaktion_leer"))
    hb1 = np.where(visited, cal.add(np.where(has_letter, versand, eingang), hb_delay), NAT)
    hb1_zu_zweit = _choice3(rng, n, params.p("zu_zweit_ja"), params.p("zu_zweit_leer"))
    hb1_zu_zweit[~visited] = LEER

    hb2_delay, _ = DelaySampler(params, "hausbesuch_2").sample(rng, np.ones(n))
    second = visited & (rng.random(n) < params.p("hausbesuch_2_anteil"))
    hb2 = np.where(second, cal.add(np.where(visited, hb1, eingang), hb2_delay), NAT)
    hb2_zu_zweit = _choice3(rng, n, params.p("zu_zweit_ja"), params.p("zu_zweit_leer"))
    hb2_zu_zweit[~second] = LEER

    erg_delay, _ = DelaySampler(params, "ergebnis").sample(rng, np.ones(n))
    p_e, p_v, p_u = (params.p(k) for k in ("ergebnis_erhalten", "ergebnis_verloren", "ergebnis_unbekannt"))
    u = rng.random(n)
    ergebnis = np.select([u < p_e, u < p_e + p_v, u < p_e + p_v + p_u],
                         ["Wohnraum erhalten", "Wohnraum verloren", "unbekannt"], default="offen")
    return pl.DataFrame({
        "quarter_idx": qidx, "bezirk_idx": didx, "eingang": _dates(eingang), "versand": _dates(versand),
        "reaktion": _yesno(reaktion), "hb1": _dates(hb1),
        "hb1_zu_zweit": _yesno(hb1_zu_zweit), "hb2": _dates(hb2),
        "hb2_zu_zweit": _yesno(hb2_zu_zweit),
        "ergebnis_final": ergebnis, "ergebnis_datum": _dates(cal.add(eingang, erg_delay)),
        "tiebreak": rng.random(n),
    })


def generate_zwangsraeumungen(params: DemoParams, cal: WorkCalendar, qs: list[Quarter], scale: int,
                              rng: np.random.Generator) -> pl.DataFrame:
    counts = _counts(params, qs, "gv_raeumungsmitteilungen", scale, rng)
    eingang, qidx, didx = _arrivals(params, cal, qs, counts, rng)
    n = eingang.shape[0]
    years = np.array([q.year for q in qs])[qidx]
    factor = _backlog_factor(params, years, didx)

    delay, missing = DelaySampler(params, "anschreiben_gv").sample(rng, factor)
    versand = np.where(missing, NAT, cal.add(eingang, delay))

    t_sampler = DelaySampler(params, "raeumungstermin")
    t_delay, t_missing = t_sampler.sample(rng, np.ones(n))
    termin = np.where(t_missing, NAT, cal.add(eingang, t_delay))

    # share carried out so that evictions per year meet the Berlin total of forced evictions
    p_termin = 1.0 - t_sampler.p[t_sampler.missing].sum()
    target = (params.berlin_volumes(years, "zwangsraeumungen")
              / params.berlin_volumes(years, "gv_raeumungsmitteilungen"))
    p_ja = np.minimum(target / p_termin, 0.95)
    durchgefuehrt = _choice3(rng, n, p_ja, params.p("raeumung_durchgefuehrt_leer"))
    durchgefuehrt[t_missing] = LEER

    kontakt = _choice3(rng, n, params.p("vorheriger_kontakt_ja"), params.p("vorheriger_kontakt_leer"))
    p_not = np.where(kontakt == JA, params.p("begleitung_notwendig_mit_kontakt"),
                     params.p("begleitung_notwendig_ohne_kontakt"))
    notwendig = np.where(rng.random(n) < p_not, JA, NEIN).astype(np.int8)

    steps = np.maximum(years - params.i("rueckstand_basisjahr"), 0)
    p_anw = np.where((notwendig == JA) & (kontakt != JA),
                     np.minimum(params.p("anwesenheit_start") + params.p("anwesenheit_zuwachs_pro_jahr") * steps, 0.95),
                     params.p("anwesenheit_sonst"))
    carried_out = durchgefuehrt == JA
    anwesend = np.where(rng.random(n) < p_anw, JA, NEIN).astype(np.int8)
    anwesend[~carried_out] = LEER
    zu_zweit = _choice3(rng, n, params.p("zu_zweit_ja"), params.p("zu_zweit_leer"))
    zu_zweit[anwesend != JA] = LEER
    return pl.DataFrame({
        "quarter_idx": qidx, "bezirk_idx": didx, "eingang": _dates(eingang), "versand": _dates(versand),
        "termin": _dates(termin), "durchgefuehrt": _yesno(durchgefuehrt),
        "kontakt": _yesno(kontakt), "notwendig": _yesno(notwendig),
        "anwesend": _yesno(anwesend), "zu_zweit": _yesno(zu_zweit),
        "tiebreak": rng.random(n),
    })


def assign_fall_ids(params: DemoParams, rk: pl.DataFrame, zr: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Pseudonymous case keys like ``MI-2023-0457``: the district's running number per year over
    both kinds of notice, in order of arrival. Never a name."""
    kuerzel = pl.Series(params.bezirke["kuerzel"].to_list())
    both = pl.concat([
        rk.select("bezirk_idx", "eingang", "tiebreak").with_columns(kind=pl.lit(0), row=pl.int_range(pl.len())),
        zr.select("bezirk_idx", "eingang", "tiebreak").with_columns(kind=pl.lit(1), row=pl.int_range(pl.len())),
    ]).with_columns(year=pl.col("eingang").dt.year())
    both = both.sort("bezirk_idx", "year", "eingang", "tiebreak").with_columns(
        nr=pl.int_range(1, pl.len() + 1).over("bezirk_idx", "year"))
    width = max(4, len(str(both["nr"].max() or 0)))
    both = both.with_columns(
        fall_id=pl.col("bezirk_idx").replace_strict(list(range(len(kuerzel))), kuerzel, return_dtype=pl.String)
        + "-" + pl.col("year").cast(pl.String) + "-" + pl.col("nr").cast(pl.String).str.zfill(width))
    ids = both.select("kind", "row", "fall_id")

    def attach(frame: pl.DataFrame, kind: int) -> pl.DataFrame:
        keyed = frame.with_columns(row=pl.int_range(pl.len()))
        return keyed.join(ids.filter(pl.col("kind") == kind).drop("kind"), on="row", how="left",
                          maintain_order="left").drop(
            "row", "tiebreak")

    return attach(rk, 0), attach(zr, 1)
