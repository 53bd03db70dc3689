-- Maßnahme 6: the cost centres that are the "Fachstelle Soziale Wohnhilfen", per district and year,
-- recognised by their name in klr_kosten matched against the seed kostenstelle_fachstelle (the
-- normalised name contains the normalised pattern, and the year is at or after the pattern's ab_jahr).
with muster as (
    select
        trim(regexp_replace(lower(bezeichnung_enthaelt), '[^a-z0-9äöüß]+', ' ', 'g')) as muster,
        ab_jahr
    from {{ ref('kostenstelle_fachstelle') }}
)

select
    k.bezirk_nr,
    k.year,
    k.kostenstelle,
    min(k.kostenstellenbezeichnung) as kostenstellenbezeichnung
from {{ ref('int_klr__kosten_current') }} as k
inner join muster as m
    on k.year >= m.ab_jahr
    and m.muster <> ''
    and contains(k.kostenstellenbezeichnung_norm, m.muster)
group by k.bezirk_nr, k.year, k.kostenstelle
