-- Maßnahme 5 base: one row per district, product and year with everything the current KLR files say:
-- budget, quantity and unit (klr_mengen), costs (klr_kosten, summed over cost centres) and staff
-- shares (klr_stellen, summed over cost centres and grades). A product without cost (staff) rows in
-- a year for which the district did deliver a cost (staff) file has 0 there: nothing was booked. Without
-- such a file the figure is null (unknown); budget and quantity stay null when not delivered.
with mengen as (
    select
        bezirk_nr, product, year,
        sum(budget_eur) as budget_eur,
        sum(quantity) as quantity,
        min(unit) as unit
    from {{ ref('int_klr__mengen_current') }}
    group by bezirk_nr, product, year
),

kosten as (
    select
        bezirk_nr, product, year,
        sum(cost_eur) as cost_eur,
        sum(personnel_cost_eur) as personnel_cost_eur,
        sum(material_cost_eur) as material_cost_eur,
        sum(allocation_cost_eur) as allocation_cost_eur
    from {{ ref('int_klr__kosten_current') }}
    group by bezirk_nr, product, year
),

stellen as (
    select bezirk_nr, product, year, sum(staff_vza) as staff_vza
    from {{ ref('int_klr__stellen_current') }}
    group by bezirk_nr, product, year
),

keys as (
    select bezirk_nr, product, year from mengen
    union
    select bezirk_nr, product, year from kosten
    union
    select bezirk_nr, product, year from stellen
),

delivered as (
    select
        bezirk_nr,
        year,
        bool_or(kind = 'klr_kosten') as has_kosten,
        bool_or(kind = 'klr_stellen') as has_stellen
    from {{ ref('int_klr__current_files') }}
    group by bezirk_nr, year
)

select
    k.bezirk_nr,
    k.product,
    k.year,
    m.budget_eur,
    case when d.has_kosten then coalesce(ko.cost_eur, 0) end as cost_eur,
    case when d.has_kosten then coalesce(ko.personnel_cost_eur, 0) end as personnel_cost_eur,
    case when d.has_kosten then coalesce(ko.material_cost_eur, 0) end as material_cost_eur,
    case when d.has_kosten then coalesce(ko.allocation_cost_eur, 0) end as allocation_cost_eur,
    case when d.has_stellen then coalesce(s.staff_vza, 0) end as staff_vza,
    m.quantity,
    m.unit
from keys as k
left join mengen as m using (bezirk_nr, product, year)
left join kosten as ko using (bezirk_nr, product, year)
left join stellen as s using (bezirk_nr, product, year)
left join delivered as d using (bezirk_nr, year)
