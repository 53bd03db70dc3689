-- The access standards (QS 1.5) of each district's current submission per reporting quarter.
select
    z.bezirk_nr,
    z.submission_year as year,
    z.submission_quarter as quarter,
    z.standard_nr,
    z.standard_text,
    z.erfuellt,
    z.bemerkung,
    z.file_id
from {{ ref('stg_erhebungsbogen__zugang') }} as z
join {{ ref('int_submissions_versioned') }} as s on s.file_id = z.file_id and s.is_current
