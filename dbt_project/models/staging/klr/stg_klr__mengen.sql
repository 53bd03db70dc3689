-- KLR quantities and budgets, every delivered line of every file version (which version counts is
-- decided in int_klr__current_files). Only the products of the seed klr_produkte.
select
    m.file_id,
    m.source_row,
    m.year,
    m.bezirk_nr,
    m.product,
    nullif(trim(m.produktbezeichnung), '') as produktbezeichnung,
    nullif(regexp_replace(trim(m.bezugsgroesse), '\s+', ' ', 'g'), '') as unit,
    m.menge as quantity,
    m.budget_eur
from {{ source('raw', 'klr_mengen') }} as m
where m.product in (select p.product from {{ ref('klr_produkte') }} as p)
