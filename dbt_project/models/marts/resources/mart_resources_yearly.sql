-- Maßnahme 5: resources per district ('01'…'12', Berlin 'BE'), product (and 'gruppe' for the
-- product group) and year. Costs and staff are sums of what was delivered. Budget and quantity are
-- summed only when every summed row has one (a partial sum would be misread as the total), and
-- quantities only when they share one unit (Bezugsgröße); otherwise quantity_note says why
-- (macro sum_resources, the same rule for Berlin rows and product-group rows).
with district as (
    select * from {{ ref('int_resources__district_product_year') }}
),

-- Berlin per product: sums over the districts
berlin as (
    select
        'BE' as bezirk_nr,
        product,
        year,
{{ sum_resources('bezirk_nr', 'Bezirk(en)') }}
    from district
    group by product, year
),

product_rows as (
    select
        bezirk_nr, product, year, budget_eur, cost_eur, personnel_cost_eur, material_cost_eur,
        allocation_cost_eur, staff_vza, quantity, unit,
        case when quantity is null then 'Keine Menge geliefert' end as quantity_note
    from district
    union all by name
    select * from berlin
),

-- the product group: sums over the products of a district (or of Berlin)
gruppe as (
    select
        bezirk_nr,
        'gruppe' as product,
        year,
{{ sum_resources('product', 'Produkt(en)') }}
    from product_rows
    group by bezirk_nr, year
),

all_rows as (
    select * from product_rows
    union all by name
    select * from gruppe
)

select
    bezirk_nr,
    product,
    year,
    budget_eur,
    cost_eur,
    personnel_cost_eur,
    material_cost_eur,
    allocation_cost_eur,
    budget_eur - cost_eur as budget_result_eur,
    staff_vza,
    quantity,
    unit,
    case when staff_vza > 0 then quantity / staff_vza end as quantity_per_vza,
    case when quantity > 0 then cost_eur / quantity end as unit_cost_eur,
    quantity_note
from all_rows
