-- One series of case volumes since the earliest history: historical counts (raw.fallzahlen, accepted
-- files; for the same district, measure and period the latest file wins) and counts from the case rows
-- of the Erhebungsbogen. Precedence: a district's counted quarters win; a historical district row whose
-- period overlaps a counted quarter of the same district and measure is dropped. Berlin: a historical
-- Berlin total wins where given; elsewhere Berlin = sum of the district rows of the same period.
with registry as (
    select file_id, seen_at from {{ ref('stg_eingangsregister__fallzahlen') }}
),

history_ranked as (
    select
        v.bezirk_nr, v.period_start, v.period_end, v.measure, v.value,
        row_number() over (
            partition by v.bezirk_nr, v.measure, v.period_start, v.period_end
            order by r.seen_at desc, v.file_id desc
        ) as version_rank
    from {{ ref('stg_fallzahlen__volumes') }} as v
    join registry as r on r.file_id = v.file_id
),

history as (
    select bezirk_nr, period_start, period_end, measure, value from history_ranked where version_rank = 1
),

counted as (
    select bezirk_nr, period_start, period_end, measure, value from {{ ref('int_case_volumes_counted') }}
),

districts as (
    select h.bezirk_nr, h.period_start, h.period_end, h.measure, h.value,
           'historisch' as source, 'gemeldet' as herleitung, 1::bigint as n_bezirke
    from history as h
    where h.bezirk_nr <> 'BE'
      and not exists (
          select 1 from counted as c
          where c.bezirk_nr = h.bezirk_nr and c.measure = h.measure
            and c.period_start <= h.period_end and c.period_end >= h.period_start
      )
    union all
    select bezirk_nr, period_start, period_end, measure, value,
           'erhebungsbogen', 'gezählt aus Fallzeilen', 1::bigint
    from counted
),

berlin_given as (
    select bezirk_nr, period_start, period_end, measure, value,
           'historisch' as source, 'gemeldet' as herleitung, null::bigint as n_bezirke
    from history
    where bezirk_nr = 'BE'
),

berlin_summed as (
    select
        'BE' as bezirk_nr, d.period_start, d.period_end, d.measure,
        sum(d.value)::bigint as value,
        case when count(distinct d.source) = 1 then min(d.source) else 'gemischt' end as source,
        'Summe der Bezirke' as herleitung,
        count(*)::bigint as n_bezirke
    from districts as d
    where not exists (
        select 1 from berlin_given as b
        where b.measure = d.measure and b.period_start <= d.period_end and b.period_end >= d.period_start
    )
    group by d.period_start, d.period_end, d.measure
)

select bezirk_nr, period_start, period_end, measure, value::bigint as value, source, herleitung, n_bezirke
from districts
union all
select bezirk_nr, period_start, period_end, measure, value::bigint, source, herleitung, n_bezirke
from berlin_given
union all
select bezirk_nr, period_start, period_end, measure, value, source, herleitung, n_bezirke
from berlin_summed
