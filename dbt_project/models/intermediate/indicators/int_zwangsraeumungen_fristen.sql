-- Working days and QS 1.3 / 1.4 classification of every counting bailiff-notice case. QS 1.4 follows the
-- agreement's Messgröße: every eviction carried out without prior contact (Begleitung notwendig does not
-- restrict it); an empty Vorheriger Kontakt is unknown and stays out of the denominator.
with cases as (
    select * from {{ ref('int_zwangsraeumungen_latest') }}
),

kalender as (
    select datum, arbeitstag_nr from {{ ref('stg_kalender__arbeitstage') }}
),

schwelle_1_3 as (
    select max_arbeitstage from {{ ref('arbeitstage_schwellen') }} where indicator = '1.3'
),

days as (
    select
        c.*,
        k_versand.arbeitstag_nr - k_eingang.arbeitstag_nr as arbeitstage_bis_anschreiben
    from cases as c
    left join kalender as k_eingang on k_eingang.datum = c.eingang_mitteilung_gv
    left join kalender as k_versand on k_versand.datum = c.versand_anschreiben
)

select
    d.*,
    coalesce(d.arbeitstage_bis_anschreiben <= s13.max_arbeitstage, false) as anschreiben_fristgerecht,
    coalesce(d.raeumung_durchgefuehrt, false) and d.raeumungstermin is not null as raeumung_gezaehlt,
    coalesce(d.raeumung_durchgefuehrt, false) and d.raeumungstermin is not null
        and coalesce(d.vorheriger_kontakt = false, false) as ohne_vorherigen_kontakt,
    coalesce(d.raeumung_durchgefuehrt, false) and d.raeumungstermin is not null
        and d.vorheriger_kontakt is null as kontakt_unbekannt,
    coalesce(d.raeumung_durchgefuehrt, false) and d.raeumungstermin is not null
        and coalesce(d.vorheriger_kontakt = false, false) and coalesce(d.anwesenheit_fachstelle, false) as begleitet_ohne_vorherigen_kontakt
from days as d
left join schwelle_1_3 as s13 on true
