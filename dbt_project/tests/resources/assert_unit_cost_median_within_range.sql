-- The Berlin median of unit costs lies between the lowest and highest reported unit cost, and the
-- number of reporting districts matches the ranked rows (rows returned = failures).
select product, year, median_unit_cost_eur, n_districts_reporting
from {{ ref('mart_unit_cost_comparison') }}
group by product, year, median_unit_cost_eur, n_districts_reporting
having median_unit_cost_eur < min(unit_cost_eur) - 0.000001
    or median_unit_cost_eur > max(unit_cost_eur) + 0.000001
    or n_districts_reporting <> count(rank)
