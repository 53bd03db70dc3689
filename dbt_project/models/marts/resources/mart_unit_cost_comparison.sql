-- Berlin budgeting rule: each district's unit cost (cost / quantity) per product and year against
-- the Berlin median of the districts that report a unit cost (DuckDB median() on doubles averages
-- the two middle values for an even count: for 12 districts the mean of the 6th and 7th), its rank
-- (1 = lowest, ties share a rank) and the euros it bears: (unit cost − median) × quantity
-- (positive = above the median, the district bears the difference). median_budget_eur = median ×
-- quantity is the budget the rule gives it, beside the assigned budget_eur. A district reports a
-- unit cost only with cost > 0 and quantity > 0 (no booked cost is a gap, not a unit cost of 0).
with base as (
    select
        bezirk_nr,
        product,
        year,
        cost_eur,
        quantity,
        budget_eur,
        case when quantity > 0 and cost_eur > 0 then cost_eur / quantity end as unit_cost_eur
    from {{ ref('int_resources__district_product_year') }}
),

stats as (
    select
        product,
        year,
        median(unit_cost_eur) as median_unit_cost_eur,
        count(unit_cost_eur) as n_districts_reporting
    from base
    group by product, year
)

select
    b.bezirk_nr,
    b.product,
    b.year,
    b.unit_cost_eur,
    b.quantity,
    s.median_unit_cost_eur,
    s.n_districts_reporting,
    case when b.unit_cost_eur is not null then
        rank() over (partition by b.product, b.year order by b.unit_cost_eur asc nulls last)
    end as rank,
    (b.unit_cost_eur - s.median_unit_cost_eur) * b.quantity as diff_to_median_eur,
    s.median_unit_cost_eur * b.quantity as median_budget_eur,
    b.budget_eur,
    b.cost_eur
from base as b
inner join stats as s using (product, year)
