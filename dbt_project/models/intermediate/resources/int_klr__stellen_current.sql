-- The klr_stellen rows that count: those of the current file for their year and district.
select s.*
from {{ ref('stg_klr__stellen') }} as s
inner join {{ ref('int_klr__current_files') }} as c
    on c.kind = 'klr_stellen'
    and c.file_id = s.file_id
    and c.year = s.year
    and c.bezirk_nr = s.bezirk_nr
