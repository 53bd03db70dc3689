"""What each district reports in each quarter's Erhebungsbogen, derived from the true course of the
cases: a case appears in the workbook of its arrival quarter with the events known by the
submission date (``Stand``); if later events follow (visit, eviction day, outcome), it appears again
in the next quarter's workbook (same Fall-ID, same arrival date) with those events added."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.demo.cases import Quarter
from pipelines.demo.params import DemoParams
from pipelines.demo.workdays import WorkCalendar
from pipelines.ingest.erhebungsbogen_form import RAEUMUNGSKLAGEN, ZUGANG, ZUGANG_STANDARDS, ZWANGSRAEUMUNGEN

RK_HEADERS = {  # generator column -> printed header of the form
    "fall_id": "fall_id", "eingang": "eingang_mitteilung", "versand": "versand_anschreiben",
    "reaktion": "reaktion", "hb1": "hausbesuch_1", "hb1_zu_zweit": "hausbesuch_1_zu_zweit",
    "hb2": "hausbesuch_2", "hb2_zu_zweit": "hausbesuch_2_zu_zweit", "ergebnis": "ergebnis",
}
ZR_HEADERS = {
    "fall_id": "fall_id", "eingang": "eingang_mitteilung_gv", "versand": "versand_anschreiben",
    "termin": "raeumungstermin", "durchgefuehrt": "raeumung_durchgefuehrt", "kontakt": "vorheriger_kontakt",
    "notwendig": "begleitung_notwendig", "anwesend": "anwesenheit_fachstelle", "zu_zweit": "begleitung_zu_zweit",
}


def _printed(sheet, mapping: dict[str, str]) -> dict[str, str]:
    by_field = {c.field: c.header for c in sheet.columns}
    return {col: by_field[field] for col, field in mapping.items()}


RK_PRINTED = _printed(RAEUMUNGSKLAGEN, RK_HEADERS)
ZR_PRINTED = _printed(ZWANGSRAEUMUNGEN, ZR_HEADERS)


def submission_dates(params: DemoParams, cal: WorkCalendar, qs: list[Quarter]) -> pl.Series:
    """``Stand`` of each quarter's workbook: a fixed number of working days after quarter end."""
    ends = np.array([q.last_day for q in qs], dtype="datetime64[D]")
    lag = np.full(len(qs), params.i("abgabe_arbeitstage_nach_quartalsende"))
    return pl.Series("stand", cal.add(ends, lag)).cast(pl.Date)


def _rk_view(frame: pl.DataFrame) -> pl.DataFrame:
    """Raeumungsklagen as known at column ``s``: later events empty, outcome 'offen' until known."""
    s = pl.col("s")

    def known(c: str) -> pl.Expr:
        return pl.when(pl.col(c) <= s).then(pl.col(c))

    return frame.with_columns(
        versand=known("versand"),
        reaktion=pl.when(pl.col("versand") <= s).then(pl.col("reaktion")),
        hb1=known("hb1"), hb1_zu_zweit=pl.when(pl.col("hb1") <= s).then(pl.col("hb1_zu_zweit")),
        hb2=known("hb2"), hb2_zu_zweit=pl.when(pl.col("hb2") <= s).then(pl.col("hb2_zu_zweit")),
        ergebnis=pl.when(pl.col("ergebnis_datum") <= s).then(pl.col("ergebnis_final")).otherwise(pl.lit("offen")),
    )


def _zr_view(frame: pl.DataFrame) -> pl.DataFrame:
    """Zwangsraeumungen as known at ``s``: the eviction day is known from the notice, its outcome
    only once it has passed."""
    s = pl.col("s")
    passed = pl.col("termin") <= s
    return frame.with_columns(
        versand=pl.when(pl.col("versand") <= s).then(pl.col("versand")),
        durchgefuehrt=pl.when(passed).then(pl.col("durchgefuehrt")),
        anwesend=pl.when(passed).then(pl.col("anwesend")),
        zu_zweit=pl.when(passed).then(pl.col("zu_zweit")),
    )


def _new_between(cols: list[str]) -> pl.Expr:
    return pl.any_horizontal([(pl.col(c) > pl.col("s_prev")) & (pl.col(c) <= pl.col("s")) for c in cols])


def reported_rows(kind: str, cases: pl.DataFrame, stand: pl.Series, params: DemoParams,
                  rng: np.random.Generator) -> pl.DataFrame:
    """Every row of every workbook: first reports plus next-quarter re-reports (a share of the
    cases with news; every eviction day that fell into the next quarter), with ``wb_idx`` (the
    workbook's quarter index) and the form's printed headers as column names."""
    n_q = stand.len()
    share = params.p("nachmeldung_anteil")
    stands = pl.DataFrame({"wb_idx": pl.int_range(n_q, eager=True), "s": stand})
    first = cases.with_columns(wb_idx=pl.col("quarter_idx")).join(stands, on="wb_idx")
    again = (cases.with_columns(wb_idx=pl.col("quarter_idx") + 1, pick=pl.Series(rng.random(cases.height)))
             .join(stands, on="wb_idx")
             .join(stands.rename({"s": "s_prev"}).with_columns(pl.col("wb_idx") + 1), on="wb_idx"))
    if kind == "raeumungsklagen":
        changed = (_new_between(["versand", "hb1", "hb2"]) | (
            (pl.col("ergebnis_final") != "offen") & _new_between(["ergebnis_datum"]))) & (pl.col("pick") < share)
        view, printed = _rk_view, RK_PRINTED
    else:
        # an eviction day in the next quarter is always reported there with its outcome
        changed = _new_between(["termin"]) | (_new_between(["versand"]) & (pl.col("pick") < share))
        view, printed = _zr_view, ZR_PRINTED
    again = again.filter(changed).drop("pick", "s_prev")
    rows = pl.concat([view(first), view(again)], how="diagonal")
    return (rows.sort("wb_idx", "bezirk_idx", "eingang", "fall_id")
            .select("wb_idx", "bezirk_idx", *[pl.col(c).alias(h) for c, h in printed.items()]))


def zugang_rows(params: DemoParams, qs: list[Quarter], rng: np.random.Generator) -> pl.DataFrame:
    """The 7 access standards per district and quarter, met from the start (``zugang_start`` of
    them) or from a random later quarter on, never lost again."""
    n_b, n_s, n_q = params.bezirke.height, len(ZUGANG_STANDARDS), len(qs)
    order = rng.random((n_b, n_s)).argsort(axis=1).argsort(axis=1)  # random rank of each standard
    start = order < params.bezirke["zugang_start"].to_numpy()[:, None]
    since = np.where(start, 0, rng.geometric(params.p("zugang_neu_je_quartal"), (n_b, n_s)))
    h = {c.field: c.header for c in ZUGANG.columns}
    standards = pl.DataFrame({
        "bezirk_idx": np.repeat(np.arange(n_b), n_s),
        h["nr"]: np.tile([n for n, _ in ZUGANG_STANDARDS], n_b),
        h["standard"]: [t for _, t in ZUGANG_STANDARDS] * n_b,
        "since": since.ravel(),
    })
    labels = pl.DataFrame({"since": np.arange(1, n_q), "seit": [q.label for q in qs[1:]]})
    met = pl.col("wb_idx") >= pl.col("since")
    return (standards.join(pl.DataFrame({"wb_idx": np.arange(n_q)}), how="cross")
            .join(labels, on="since", how="left")
            .select("wb_idx", "bezirk_idx", h["nr"], h["standard"],
                    pl.when(met).then(pl.lit("ja")).otherwise(pl.lit("nein")).alias(h["erfuellt"]),
                    pl.when(met & (pl.col("since") > 0)).then(pl.lit("erfüllt seit ") + pl.col("seit"))
                    .when(~met).then(pl.lit("in Umsetzung")).alias(h["bemerkung"]))
            .sort("wb_idx", "bezirk_idx", h["nr"]))
