-- Case volumes counted from the counting case rows, per district and quarter with a current submission
-- (zero where nothing was counted): MiZi notices and bailiff notices by arrival quarter, forced
-- evictions carried out by the quarter of the Raeumungstermin.
with grid as (
    select bezirk_nr, year, quarter, quarter_start, quarter_end
    from {{ ref('int_submissions_versioned') }}
    where is_current
),

counts as (
    select bezirk_nr, year, quarter, 'mizi_raeumungsklagen' as measure, count(*) as value
    from {{ ref('int_raeumungsklagen_latest') }}
    group by bezirk_nr, year, quarter

    union all

    select bezirk_nr, year, quarter, 'gv_raeumungsmitteilungen', count(*)
    from {{ ref('int_zwangsraeumungen_latest') }}
    group by bezirk_nr, year, quarter

    union all

    select bezirk_nr, raeumung_year, raeumung_quarter, 'zwangsraeumungen', count(*)
    from {{ ref('int_zwangsraeumungen_latest') }}
    where raeumung_durchgefuehrt and raeumungstermin is not null
    group by bezirk_nr, raeumung_year, raeumung_quarter
),

measures as (
    select unnest(['mizi_raeumungsklagen', 'gv_raeumungsmitteilungen', 'zwangsraeumungen']) as measure
)

select
    g.bezirk_nr,
    g.year,
    g.quarter,
    g.quarter_start as period_start,
    g.quarter_end as period_end,
    m.measure,
    coalesce(c.value, 0)::bigint as value
from grid as g
cross join measures as m
left join counts as c
    on c.bezirk_nr = g.bezirk_nr and c.year = g.year and c.quarter = g.quarter and c.measure = m.measure
