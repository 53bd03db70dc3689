-- Sheet Meta of every loaded Erhebungsbogen.
select
    file_id,
    seen_at,
    bezirk_nr,
    year     as submission_year,
    quarter  as submission_quarter,
    formularversion,
    stand,
    kontakt
from {{ source('raw', 'erhebungsbogen_meta') }}
