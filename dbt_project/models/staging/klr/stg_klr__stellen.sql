-- KLR staff shares (VZÄ) per cost centre and grade, every delivered line of every file version.
-- The grade is normalised to "<pay scale letters> <number><suffix>": "e9B", "E 9 b" -> "E 9b",
-- "A11" -> "A 11"; anything else keeps its text with single blanks.
with src as (
    select
        s.*,
        regexp_replace(s.wertigkeit, '\s+', '', 'g') as w
    from {{ source('raw', 'klr_stellen') }} as s
    where s.product in (select p.product from {{ ref('klr_produkte') }} as p)
)

select
    file_id,
    source_row,
    year,
    bezirk_nr,
    product,
    trim(kostenstelle) as kostenstelle,
    case
        when regexp_matches(w, '^[A-Za-z]+[0-9]+[A-Za-z]*$') then
            upper(regexp_extract(w, '^([A-Za-z]+)', 1))
            || ' ' || regexp_extract(w, '([0-9]+)', 1)
            || lower(regexp_extract(w, '[0-9]+([A-Za-z]*)$', 1))
        else regexp_replace(trim(wertigkeit), '\s+', ' ', 'g')
    end as wertigkeit,
    stellenanteile_vza as staff_vza
from src
