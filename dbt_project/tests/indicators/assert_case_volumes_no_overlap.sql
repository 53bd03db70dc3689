{{ config(severity='warn') }}
-- Overlapping periods for the same district and measure would be counted twice when summed over time
-- (e.g. a historical year and a historical quarter of the same year).
select a.bezirk_nr, a.measure, a.period_start, a.period_end, b.period_start as other_start, b.period_end as other_end
from {{ ref('mart_case_volumes') }} as a
join {{ ref('mart_case_volumes') }} as b
    on a.bezirk_nr = b.bezirk_nr and a.measure = b.measure
    and (a.period_start, a.period_end) <> (b.period_start, b.period_end)
    and a.period_start <= b.period_end and b.period_start <= a.period_end
