-- A numerator never exceeds its denominator; shares lie between 0 and 100 %.
select bezirk_nr, year, quarter, indicator, numerator, denominator, share_pct
from {{ ref('mart_indicators_quarterly') }}
where numerator > denominator or numerator < 0 or share_pct < 0 or share_pct > 100
