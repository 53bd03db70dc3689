-- The counting version of every bailiff-notice case: rows of current submissions only; a case is
-- (bezirk_nr, fall_key, eingang_mitteilung_gv); the row of the latest submission quarter (then seen_at,
-- then file_id) counts. year/quarter = quarter of arrival of the bailiff's notice.
with latest as (
    {{ latest_case_versions('stg_erhebungsbogen__zwangsraeumungen', 'eingang_mitteilung_gv') }}
)

select
    bezirk_nr,
    fall_key,
    eingang_mitteilung_gv,
    year(eingang_mitteilung_gv)::integer as year,
    quarter(eingang_mitteilung_gv)::integer as quarter,
    versand_anschreiben,
    raeumungstermin,
    year(raeumungstermin)::integer as raeumung_year,
    quarter(raeumungstermin)::integer as raeumung_quarter,
    raeumung_durchgefuehrt,
    vorheriger_kontakt,
    begleitung_notwendig,
    anwesenheit_fachstelle,
    begleitung_zu_zweit,
    file_id,
    submission_year,
    submission_quarter,
    source_row
from latest
