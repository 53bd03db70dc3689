-- Anlage 2 risk analysis: home visits and eviction attendances done alone or in pairs, per district
-- and quarter with a current submission (each event in the quarter of its own date), plus Berlin 'BE'.
with grid as (
    select bezirk_nr, year, quarter
    from {{ ref('int_submissions_versioned') }}
    where is_current
),

visits as (
    select bezirk_nr, hausbesuch_1 as datum, hausbesuch_1_zu_zweit as zu_zweit
    from {{ ref('int_raeumungsklagen_latest') }}
    where hausbesuch_1 is not null
    union all
    select bezirk_nr, hausbesuch_2, hausbesuch_2_zu_zweit
    from {{ ref('int_raeumungsklagen_latest') }}
    where hausbesuch_2 is not null
),

visit_counts as (
    select
        bezirk_nr,
        year(datum)::integer as year,
        quarter(datum)::integer as quarter,
        count(*) as hausbesuche_gesamt,
        count(*) filter (where zu_zweit = false) as hausbesuche_allein,
        count(*) filter (where zu_zweit) as hausbesuche_zu_zweit,
        count(*) filter (where zu_zweit is null) as hausbesuche_ohne_angabe
    from visits
    group by all
),

eviction_counts as (
    select
        bezirk_nr,
        raeumung_year as year,
        raeumung_quarter as quarter,
        count(*) filter (where raeumung_durchgefuehrt) as zwangsraeumungen_durchgefuehrt,
        count(*) filter (where anwesenheit_fachstelle) as begleitungen_gesamt,
        count(*) filter (where anwesenheit_fachstelle and begleitung_zu_zweit = false) as begleitungen_allein,
        count(*) filter (where anwesenheit_fachstelle and begleitung_zu_zweit) as begleitungen_zu_zweit,
        count(*) filter (where anwesenheit_fachstelle and begleitung_zu_zweit is null) as begleitungen_ohne_angabe,
        count(*) filter (where raeumung_durchgefuehrt and begleitung_notwendig) as begleitung_notwendig,
        count(*) filter (where raeumung_durchgefuehrt and begleitung_notwendig
                         and vorheriger_kontakt = false) as begleitung_notwendig_ohne_kontakt,
        count(*) filter (where raeumung_durchgefuehrt and begleitung_notwendig and vorheriger_kontakt = false
                         and anwesenheit_fachstelle) as begleitung_notwendig_ohne_kontakt_begleitet
    from {{ ref('int_zwangsraeumungen_latest') }}
    where raeumungstermin is not null
    group by all
),

districts as (
    select
        g.bezirk_nr,
        g.year,
        g.quarter,
        coalesce(v.hausbesuche_gesamt, 0)::bigint as hausbesuche_gesamt,
        coalesce(v.hausbesuche_allein, 0)::bigint as hausbesuche_allein,
        coalesce(v.hausbesuche_zu_zweit, 0)::bigint as hausbesuche_zu_zweit,
        coalesce(v.hausbesuche_ohne_angabe, 0)::bigint as hausbesuche_ohne_angabe,
        coalesce(e.zwangsraeumungen_durchgefuehrt, 0)::bigint as zwangsraeumungen_durchgefuehrt,
        coalesce(e.begleitungen_gesamt, 0)::bigint as begleitungen_gesamt,
        coalesce(e.begleitungen_allein, 0)::bigint as begleitungen_allein,
        coalesce(e.begleitungen_zu_zweit, 0)::bigint as begleitungen_zu_zweit,
        coalesce(e.begleitungen_ohne_angabe, 0)::bigint as begleitungen_ohne_angabe,
        coalesce(e.begleitung_notwendig, 0)::bigint as begleitung_notwendig,
        coalesce(e.begleitung_notwendig_ohne_kontakt, 0)::bigint as begleitung_notwendig_ohne_kontakt,
        coalesce(e.begleitung_notwendig_ohne_kontakt_begleitet, 0)::bigint
            as begleitung_notwendig_ohne_kontakt_begleitet,
        1::bigint as n_bezirke
    from grid as g
    left join visit_counts as v using (bezirk_nr, year, quarter)
    left join eviction_counts as e using (bezirk_nr, year, quarter)
),

berlin as (
    select
        'BE' as bezirk_nr,
        year,
        quarter,
        sum(hausbesuche_gesamt)::bigint,
        sum(hausbesuche_allein)::bigint,
        sum(hausbesuche_zu_zweit)::bigint,
        sum(hausbesuche_ohne_angabe)::bigint,
        sum(zwangsraeumungen_durchgefuehrt)::bigint,
        sum(begleitungen_gesamt)::bigint,
        sum(begleitungen_allein)::bigint,
        sum(begleitungen_zu_zweit)::bigint,
        sum(begleitungen_ohne_angabe)::bigint,
        sum(begleitung_notwendig)::bigint,
        sum(begleitung_notwendig_ohne_kontakt)::bigint,
        sum(begleitung_notwendig_ohne_kontakt_begleitet)::bigint,
        count(*)::bigint
    from districts
    group by year, quarter
)

select * from districts
union all
select * from berlin
