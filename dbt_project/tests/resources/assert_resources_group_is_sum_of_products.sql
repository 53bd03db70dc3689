-- The product-group row ('gruppe') of every district and of Berlin carries the sum of its products'
-- costs and staff shares (rows returned = failures).
with products as (
    select bezirk_nr, year, sum(cost_eur) as cost_eur, sum(staff_vza) as staff_vza
    from {{ ref('mart_resources_yearly') }}
    where product <> 'gruppe'
    group by bezirk_nr, year
)

select g.bezirk_nr, g.year, g.cost_eur, p.cost_eur as sum_cost_eur, g.staff_vza, p.staff_vza as sum_staff_vza
from {{ ref('mart_resources_yearly') }} as g
inner join products as p using (bezirk_nr, year)
where g.product = 'gruppe'
    and (abs(coalesce(g.cost_eur, 0) - coalesce(p.cost_eur, 0)) > 0.005
        or abs(coalesce(g.staff_vza, 0) - coalesce(p.staff_vza, 0)) > 0.00001)
