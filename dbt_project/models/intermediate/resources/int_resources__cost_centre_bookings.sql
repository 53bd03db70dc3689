-- Maßnahme 6: every cost row and staff row of the four products from the first year in the seed
-- kostenstelle_fachstelle, flagged whether it is booked on a Fachstelle cost centre. Staff rows carry
-- only the cost centre code: it is matched against the Fachstelle codes found in the cost rows of the
-- same district and year (null when that district sent no cost rows for the year: unknown).
with first_year as (
    select min(ab_jahr) as first_year from {{ ref('kostenstelle_fachstelle') }}
),

kosten as (
    select k.*
    from {{ ref('int_klr__kosten_current') }} as k
    where k.year >= (select first_year from first_year)
),

stellen as (
    select s.*
    from {{ ref('int_klr__stellen_current') }} as s
    where s.year >= (select first_year from first_year)
),

kosten_delivered as (
    select distinct bezirk_nr, year from kosten
),

kostenstellen_namen as (
    select bezirk_nr, year, kostenstelle, min(kostenstellenbezeichnung) as kostenstellenbezeichnung
    from kosten
    group by bezirk_nr, year, kostenstelle
),

fachstelle as (
    select bezirk_nr, year, kostenstelle from {{ ref('int_resources__fachstelle_kostenstellen') }}
)

select
    k.bezirk_nr,
    k.year,
    k.product,
    k.kostenstelle,
    k.kostenstellenbezeichnung,
    'Kosten' as booking_type,
    k.cost_eur as amount,
    cast(null as varchar) as wertigkeit,
    f.kostenstelle is not null as is_fachstelle,
    k.file_id,
    k.source_row
from kosten as k
left join fachstelle as f using (bezirk_nr, year, kostenstelle)

union all

select
    s.bezirk_nr,
    s.year,
    s.product,
    s.kostenstelle,
    n.kostenstellenbezeichnung,
    'Stellenanteile' as booking_type,
    s.staff_vza as amount,
    s.wertigkeit,
    case when d.bezirk_nr is not null then f.kostenstelle is not null end as is_fachstelle,
    s.file_id,
    s.source_row
from stellen as s
left join fachstelle as f using (bezirk_nr, year, kostenstelle)
left join kostenstellen_namen as n using (bezirk_nr, year, kostenstelle)
left join kosten_delivered as d using (bezirk_nr, year)
