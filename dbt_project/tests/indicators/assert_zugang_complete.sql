-- Every current submission reports each of the access standards of the seed exactly once (QS 1.5).
with current_submissions as (
    select file_id, bezirk_nr, year, quarter
    from {{ ref('int_submissions_versioned') }}
    where is_current
),

reported as (
    select file_id, standard_nr, count(*) as n
    from {{ ref('int_zugang_latest') }}
    group by file_id, standard_nr
)

select s.bezirk_nr, s.year, s.quarter, z.nr as standard_nr, coalesce(r.n, 0) as anzahl_gemeldet
from current_submissions as s
cross join {{ ref('zugangsstandards') }} as z
left join reported as r on r.file_id = s.file_id and r.standard_nr = z.nr
where coalesce(r.n, 0) <> 1
