-- KLR costs per cost centre, every delivered line of every file version. The cost centre name is
-- also given normalised (lower case, runs of non-letters/digits -> one blank) for matching against
-- the seed kostenstelle_fachstelle.
select
    k.file_id,
    k.source_row,
    k.year,
    k.bezirk_nr,
    k.product,
    trim(k.kostenstelle) as kostenstelle,
    nullif(regexp_replace(trim(k.kostenstellenbezeichnung), '\s+', ' ', 'g'), '') as kostenstellenbezeichnung,
    trim(regexp_replace(lower(coalesce(k.kostenstellenbezeichnung, '')), '[^a-z0-9äöüß]+', ' ', 'g'))
        as kostenstellenbezeichnung_norm,
    k.kosten_eur as cost_eur,
    k.personalkosten_eur as personnel_cost_eur,
    k.sachkosten_eur as material_cost_eur,
    k.umlagen_eur as allocation_cost_eur
from {{ source('raw', 'klr_kosten') }} as k
where k.product in (select p.product from {{ ref('klr_produkte') }} as p)
