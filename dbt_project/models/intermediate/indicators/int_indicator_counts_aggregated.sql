-- Numerator and denominator of QS 1.1–1.5 per district and quarter. Rows exist exactly for the
-- district-quarters with a current submission (no fabricated quarters), each with all 5 indicators;
-- events outside such a quarter wait until that quarter is submitted.
with grid as (
    select bezirk_nr, year, quarter
    from {{ ref('int_submissions_versioned') }}
    where is_current
),

raeumungsklagen as (
    select
        bezirk_nr, year, quarter,
        count(*) as n_mitteilungen,
        count(*) filter (where anschreiben_fristgerecht) as n_anschreiben_fristgerecht,
        count(*) filter (where versand_anschreiben is null) as n_ohne_versand,
        count(*) filter (where ohne_reaktion) as n_ohne_reaktion,
        count(*) filter (where hausbesuch_fristgerecht) as n_hausbesuch_fristgerecht,
        count(*) filter (where reaktion_unbekannt) as n_reaktion_unbekannt
    from {{ ref('int_raeumungsklagen_fristen') }}
    group by bezirk_nr, year, quarter
),

gv_mitteilungen as (
    select
        bezirk_nr, year, quarter,
        count(*) as n_mitteilungen,
        count(*) filter (where anschreiben_fristgerecht) as n_anschreiben_fristgerecht,
        count(*) filter (where versand_anschreiben is null) as n_ohne_versand
    from {{ ref('int_zwangsraeumungen_fristen') }}
    group by bezirk_nr, year, quarter
),

raeumungen as (
    select
        bezirk_nr,
        raeumung_year as year,
        raeumung_quarter as quarter,
        count(*) filter (where ohne_vorherigen_kontakt) as n_ohne_kontakt,
        count(*) filter (where begleitet_ohne_vorherigen_kontakt) as n_begleitet,
        count(*) filter (where kontakt_unbekannt) as n_kontakt_unbekannt
    from {{ ref('int_zwangsraeumungen_fristen') }}
    where raeumung_gezaehlt
    group by bezirk_nr, raeumung_year, raeumung_quarter
),

zugang as (
    select
        z.bezirk_nr, z.year, z.quarter,
        count(*) filter (where z.erfuellt) as n_erfuellt
    from {{ ref('int_zugang_latest') }} as z
    join {{ ref('zugangsstandards') }} as s on s.nr = z.standard_nr
    group by z.bezirk_nr, z.year, z.quarter
),

n_zugangsstandards as (
    select count(*) as n from {{ ref('zugangsstandards') }}
),

per_indicator as (
    select g.bezirk_nr, g.year, g.quarter, '1.1' as indicator,
           coalesce(rk.n_anschreiben_fristgerecht, 0) as numerator,
           coalesce(rk.n_mitteilungen, 0) as denominator,
           coalesce(rk.n_ohne_versand, 0) as n_ohne_angabe
    from grid as g
    left join raeumungsklagen as rk using (bezirk_nr, year, quarter)

    union all

    select g.bezirk_nr, g.year, g.quarter, '1.2',
           coalesce(rk.n_hausbesuch_fristgerecht, 0),
           coalesce(rk.n_ohne_reaktion, 0),
           coalesce(rk.n_reaktion_unbekannt, 0)
    from grid as g
    left join raeumungsklagen as rk using (bezirk_nr, year, quarter)

    union all

    select g.bezirk_nr, g.year, g.quarter, '1.3',
           coalesce(gv.n_anschreiben_fristgerecht, 0),
           coalesce(gv.n_mitteilungen, 0),
           coalesce(gv.n_ohne_versand, 0)
    from grid as g
    left join gv_mitteilungen as gv using (bezirk_nr, year, quarter)

    union all

    select g.bezirk_nr, g.year, g.quarter, '1.4',
           coalesce(r.n_begleitet, 0),
           coalesce(r.n_ohne_kontakt, 0),
           coalesce(r.n_kontakt_unbekannt, 0)
    from grid as g
    left join raeumungen as r using (bezirk_nr, year, quarter)

    union all

    select g.bezirk_nr, g.year, g.quarter, '1.5',
           coalesce(z.n_erfuellt, 0),
           n.n,
           0
    from grid as g
    left join zugang as z using (bezirk_nr, year, quarter)
    cross join n_zugangsstandards as n
)

select
    bezirk_nr,
    year,
    quarter,
    indicator,
    numerator::bigint as numerator,
    denominator::bigint as denominator,
    n_ohne_angabe::bigint as n_ohne_angabe
from per_indicator
