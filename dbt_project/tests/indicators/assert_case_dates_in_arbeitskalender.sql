-- Every date used for a working-day count must lie in the working-day calendar; otherwise the deadline
-- cannot be computed and the case would silently fail QS 1.1–1.3.
with dates as (
    select 'Raeumungsklagen' as blatt, eingang_mitteilung as datum from {{ ref('int_raeumungsklagen_latest') }}
    union all
    select 'Raeumungsklagen', versand_anschreiben from {{ ref('int_raeumungsklagen_latest') }}
    union all
    select 'Raeumungsklagen', hausbesuch_1 from {{ ref('int_raeumungsklagen_latest') }}
    union all
    select 'Zwangsraeumungen', eingang_mitteilung_gv from {{ ref('int_zwangsraeumungen_latest') }}
    union all
    select 'Zwangsraeumungen', versand_anschreiben from {{ ref('int_zwangsraeumungen_latest') }}
)

select d.blatt, d.datum, 'Datum liegt außerhalb des Arbeitskalenders' as meldung
from dates as d
left join {{ ref('stg_kalender__arbeitstage') }} as k on k.datum = d.datum
where d.datum is not null and k.datum is null
