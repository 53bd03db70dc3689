-- QS 1.1–1.5 per district and quarter, plus Berlin ('BE') = sum of numerators / sum of denominators,
-- with the corridor (Zielwert, Standard) valid on the last day of the quarter.
with districts as (
    select bezirk_nr, year, quarter, indicator, numerator, denominator, n_ohne_angabe, 1::bigint as n_bezirke
    from {{ ref('int_indicator_counts_aggregated') }}
),

berlin as (
    select
        'BE' as bezirk_nr, year, quarter, indicator,
        sum(numerator)::bigint as numerator,
        sum(denominator)::bigint as denominator,
        sum(n_ohne_angabe)::bigint as n_ohne_angabe,
        count(*)::bigint as n_bezirke
    from districts
    group by year, quarter, indicator
),

all_rows as (
    select *, last_day(make_date(year, 3 * quarter, 1)) as quarter_end from districts
    union all
    select *, last_day(make_date(year, 3 * quarter, 1)) as quarter_end from berlin
),

with_share as (
    select
        a.*,
        case when a.denominator > 0 then 100.0 * a.numerator / a.denominator end as share_pct
    from all_rows as a
)

select
    w.bezirk_nr,
    coalesce(b.bezirk_name, 'Berlin') as bezirk_name,
    w.year,
    w.quarter,
    w.indicator,
    i.indicator_name,
    i.product,
    w.numerator,
    w.denominator,
    w.share_pct,
    w.n_ohne_angabe,
    w.n_bezirke,
    k.zielwert_pct,
    k.standard_pct,
    case
        when k.zielwert_pct is null and k.standard_pct is null then 'kein Korridor festgelegt'
        when w.share_pct is null then 'nicht bewertbar (Nenner 0)'
        when w.share_pct < k.standard_pct then 'unter Standard'
        when w.share_pct >= k.zielwert_pct then 'Zielwert erreicht'
        else 'im Korridor'
    end as korridor_status
from with_share as w
join {{ ref('indikatoren') }} as i on i.indicator = w.indicator
left join {{ ref('bezirke') }} as b on b.bezirk_nr = w.bezirk_nr
left join {{ ref('indikator_korridor') }} as k
    on k.indicator = w.indicator
    and (k.gueltig_ab is null or k.gueltig_ab <= w.quarter_end)
    and (k.gueltig_bis is null or k.gueltig_bis >= w.quarter_end)
