-- Maßnahme 6: per district and year (from the first year in kostenstelle_fachstelle) the share of the
-- four products' costs and staff shares booked on the Fachstelle cost centre, and whether all of it
-- is (compliant: no booking ≠ 0 elsewhere, i.e. both shares 100 %). Berlin ('BE') sums the districts.
-- Unknown stays null: no cost rows delivered -> cost figures null; no staff rows -> staff figures
-- null; staff rows but no cost rows -> staff_on_fachstelle_vza null (the codes come from the cost rows).
with bookings as (
    select * from {{ ref('int_resources__cost_centre_bookings') }}
),

district as (
    select
        bezirk_nr,
        year,
        sum(amount) filter (where booking_type = 'Kosten') as cost_total_eur,
        case when count(*) filter (where booking_type = 'Kosten') > 0 then
            coalesce(sum(amount) filter (where booking_type = 'Kosten' and is_fachstelle), 0)
        end as cost_on_fachstelle_eur,
        count(*) filter (where booking_type = 'Kosten' and not is_fachstelle and amount <> 0)
            as n_cost_exceptions,
        sum(amount) filter (where booking_type = 'Stellenanteile') as staff_total_vza,
        case when count(*) filter (where booking_type = 'Stellenanteile') > 0
            and count(*) filter (where booking_type = 'Stellenanteile' and is_fachstelle is null) = 0 then
            coalesce(sum(amount) filter (where booking_type = 'Stellenanteile' and is_fachstelle), 0)
        end as staff_on_fachstelle_vza,
        count(*) filter (where booking_type = 'Stellenanteile' and not is_fachstelle and amount <> 0)
            as n_staff_exceptions,
        cast(count(distinct kostenstelle) filter (where booking_type = 'Kosten' and is_fachstelle) as integer)
            as n_fachstelle_kostenstellen
    from bookings
    group by bezirk_nr, year
),

district_flagged as (
    select
        bezirk_nr,
        year,
        cost_total_eur,
        cost_on_fachstelle_eur,
        staff_total_vza,
        staff_on_fachstelle_vza,
        n_fachstelle_kostenstellen,
        case
            when n_cost_exceptions > 0 or n_staff_exceptions > 0 then false
            when cost_on_fachstelle_eur is null or staff_on_fachstelle_vza is null then null
            else true
        end as compliant
    from district
),

berlin as (
    select
        'BE' as bezirk_nr,
        year,
        sum(cost_total_eur) as cost_total_eur,
        case when count(cost_on_fachstelle_eur) = count(cost_total_eur)
            then sum(cost_on_fachstelle_eur) end as cost_on_fachstelle_eur,
        sum(staff_total_vza) as staff_total_vza,
        case when count(staff_on_fachstelle_vza) = count(staff_total_vza)
            then sum(staff_on_fachstelle_vza) end as staff_on_fachstelle_vza,
        cast(sum(n_fachstelle_kostenstellen) as integer) as n_fachstelle_kostenstellen,
        case
            when bool_or(not compliant) then false
            when count(compliant) = count(*) then true
        end as compliant
    from district_flagged
    group by year
),

all_rows as (
    select * from district_flagged
    union all by name
    select * from berlin
),

-- amounts to the cent and staff shares to 1/10,000 VZÄ, so that a district with everything on the
-- Fachstelle shows exactly 100 % (floating point would otherwise give 100.00000000000001); shares to 4 decimals
rounded as (
    select
        * replace (
            round(cost_total_eur, 2) as cost_total_eur,
            round(cost_on_fachstelle_eur, 2) as cost_on_fachstelle_eur,
            round(staff_total_vza, 4) as staff_total_vza,
            round(staff_on_fachstelle_vza, 4) as staff_on_fachstelle_vza
        )
    from all_rows
)

select
    bezirk_nr,
    year,
    cost_total_eur,
    cost_on_fachstelle_eur,
    case when cost_total_eur <> 0 then round(100 * cost_on_fachstelle_eur / cost_total_eur, 4) end as cost_share_pct,
    staff_total_vza,
    staff_on_fachstelle_vza,
    case when staff_total_vza <> 0 then round(100 * staff_on_fachstelle_vza / staff_total_vza, 4) end as staff_share_pct,
    n_fachstelle_kostenstellen,
    compliant
from rounded
