-- Sheet Zugang: the 7 access standards (QS 1.5) per loaded file version.
select
    file_id,
    bezirk_nr,
    year     as submission_year,
    quarter  as submission_quarter,
    source_row,
    nr       as standard_nr,
    standard as standard_text,
    erfuellt,
    bemerkung
from {{ source('raw', 'erhebungsbogen_zugang') }}
