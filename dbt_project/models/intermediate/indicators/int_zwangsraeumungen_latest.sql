-- The counting version of every bailiff-notice case: rows of current submissions only; a case is
-- (bezirk_nr, fall_key, eingang_mitteilung_gv); the row of the latest submission quarter (then seen_at,
-- then file_id) counts. year/quarter = quarter of arrival of the bailiff's notice.
with current_rows as (
    select z.*, s.seen_at
    from {{ ref('stg_erhebungsbogen__zwangsraeumungen') }} as z
    join {{ ref('int_submissions_versioned') }} as s on s.file_id = z.file_id and s.is_current
),

ranked as (
    select
        *,
        row_number() over (
            partition by bezirk_nr, fall_key, eingang_mitteilung_gv
            order by submission_year desc, submission_quarter desc, seen_at desc, file_id desc
        ) as version_rank
    from current_rows
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
from ranked
where version_rank = 1
