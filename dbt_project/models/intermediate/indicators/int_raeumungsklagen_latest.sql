-- The counting version of every court-notice case: rows of current submissions only; a case is
-- (bezirk_nr, fall_key, eingang_mitteilung); if it appears in several current submissions, the row of the
-- latest submission quarter (then seen_at, then file_id) counts
-- (macro latest_case_versions). year/quarter = quarter of arrival.
with latest as (
    {{ latest_case_versions('stg_erhebungsbogen__raeumungsklagen', 'eingang_mitteilung') }}
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
from latest
