-- The 7 access standards (QS 1.5) per district and reporting quarter, from the current submission.
select
    z.bezirk_nr,
    z.year,
    z.quarter,
    z.standard_nr,
    s.standard,
    z.erfuellt,
    z.bemerkung
from {{ ref('int_zugang_latest') }} as z
join {{ ref('zugangsstandards') }} as s on s.nr = z.standard_nr
