-- At most one corridor row (Zielwert/Standard) may be valid for an indicator on any day.
with korridor as (
    select *, row_number() over () as zeile from {{ ref('indikator_korridor') }}
)

select a.indicator, a.gueltig_ab, a.gueltig_bis, b.gueltig_ab as anderer_gueltig_ab, b.gueltig_bis as anderer_gueltig_bis
from korridor as a
join korridor as b
    on a.indicator = b.indicator
    and a.zeile < b.zeile
    and coalesce(a.gueltig_ab, date '0001-01-01') <= coalesce(b.gueltig_bis, date '9999-12-31')
    and coalesce(b.gueltig_ab, date '0001-01-01') <= coalesce(a.gueltig_bis, date '9999-12-31')
