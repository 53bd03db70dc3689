-- The counting version of every court-notice case: rows of current submissions only; a case is
-- (bezirk_nr, fall_key, eingang_mitteilung); if it appears in several current submissions, the row of the
-- latest submission quarter (then seen_at, then file_id) counts. year/quarter = quarter of arrival.
with current_rows as (
    select r.*, s.seen_at
    from {{ ref('stg_erhebungsbogen__raeumungsklagen') }} as r
    join {{ ref('int_submissions_versioned') }} as s on s.file_id = r.file_id and s.is_current
),

ranked as (
    select
        *,
        row_number() over (
            partition by bezirk_nr, fall_key, eingang_mitteilung
            order by submission_year desc, submission_quarter desc, seen_at desc, file_id desc
        ) as version_rank
    from current_rows
)

select
    bezirk_nr,
    fall_key,
    eingang_mitteilung,
    year(eingang_mitteilung)::integer as year,
    quarter(eingang_mitteilung)::integer as quarter,
    versand_anschreiben,
    reaktion,
    hausbesuch_1,
    hausbesuch_1_zu_zweit,
    hausbesuch_2,
    hausbesuch_2_zu_zweit,
    ergebnis,
    file_id,
    submission_year,
    submission_quarter,
    source_row
from ranked
where version_rank = 1
