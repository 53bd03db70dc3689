-- Sheet Zwangsraeumungen: one row per bailiff notice per loaded file version.
select
    file_id,
    bezirk_nr,
    year     as submission_year,
    quarter  as submission_quarter,
    source_row,
    fall_key,
    eingang_mitteilung_gv,
    versand_anschreiben,
    raeumungstermin,
    raeumung_durchgefuehrt,
    vorheriger_kontakt,
    begleitung_notwendig,
    anwesenheit_fachstelle,
    begleitung_zu_zweit
from {{ source('raw', 'erhebungsbogen_zwangsraeumungen') }}
