-- A district-year is compliant exactly when mart_cost_centre_exceptions lists nothing for it
-- (rows returned = failures; unknown compliance is not checked).
with exceptions as (
    select bezirk_nr, year, count(*) as n_exceptions
    from {{ ref('mart_cost_centre_exceptions') }}
    group by bezirk_nr, year
)

select c.bezirk_nr, c.year, c.compliant, coalesce(e.n_exceptions, 0) as n_exceptions
from {{ ref('mart_cost_centre_compliance') }} as c
left join exceptions as e using (bezirk_nr, year)
where c.bezirk_nr <> 'BE'
    and ((c.compliant and coalesce(e.n_exceptions, 0) > 0)
        or (not c.compliant and coalesce(e.n_exceptions, 0) = 0))
