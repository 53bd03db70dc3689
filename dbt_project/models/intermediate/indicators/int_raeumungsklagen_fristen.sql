-- Working days and QS 1.1 / 1.2 classification of every counting court-notice case. Working days =
-- arbeitstag_nr(later) - arbeitstag_nr(earlier) from the calendar; thresholds from arbeitstage_schwellen.
with cases as (
    select * from {{ ref('int_raeumungsklagen_latest') }}
),

kalender as (
    select datum, arbeitstag_nr from {{ ref('stg_kalender__arbeitstage') }}
),

schwelle_1_1 as (
    select max_arbeitstage from {{ ref('arbeitstage_schwellen') }} where indicator = '1.1'
),

schwelle_1_2 as (
    select max_arbeitstage from {{ ref('arbeitstage_schwellen') }} where indicator = '1.2'
),

days as (
    select
        c.*,
        k_versand.arbeitstag_nr - k_eingang.arbeitstag_nr as arbeitstage_bis_anschreiben,
        k_besuch.arbeitstag_nr - k_versand.arbeitstag_nr as arbeitstage_anschreiben_bis_hausbesuch
    from cases as c
    left join kalender as k_eingang on k_eingang.datum = c.eingang_mitteilung
    left join kalender as k_versand on k_versand.datum = c.versand_anschreiben
    left join kalender as k_besuch on k_besuch.datum = c.hausbesuch_1
)

select
    d.*,
    coalesce(d.arbeitstage_bis_anschreiben <= s11.max_arbeitstage, false) as anschreiben_fristgerecht,
    d.versand_anschreiben is not null and coalesce(d.reaktion = false, false) as ohne_reaktion,
    d.versand_anschreiben is not null and d.reaktion is null as reaktion_unbekannt,
    d.versand_anschreiben is not null and coalesce(d.reaktion = false, false)
        and coalesce(d.arbeitstage_anschreiben_bis_hausbesuch <= s12.max_arbeitstage, false) as hausbesuch_fristgerecht
from days as d
left join schwelle_1_1 as s11 on true
left join schwelle_1_2 as s12 on true
