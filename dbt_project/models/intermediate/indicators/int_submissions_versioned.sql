-- Versioning of the submissions (INPUTS.md §1): per district and reporting quarter the latest accepted
-- Erhebungsbogen (seen_at, then file_id) is current; earlier accepted ones are superseded by their
-- successor. Nothing is deleted. Only accepted workbooks (the Meta rows; seen_at = arrival in the registry):
-- rejected files and other kinds are listed in mart_submission_history, which reads the whole registry.
with accepted_versions as (
    select
        file_id,
        seen_at,
        bezirk_nr,
        submission_year as year,
        submission_quarter as quarter,
        row_number() over w as version_nr,
        lead(file_id) over w as next_file_id
    from {{ ref('stg_erhebungsbogen__meta') }}
    window w as (partition by bezirk_nr, submission_year, submission_quarter order by seen_at, file_id)
)

select
    file_id,
    bezirk_nr,
    year,
    quarter,
    make_date(year, 3 * quarter - 2, 1) as quarter_start,
    last_day(make_date(year, 3 * quarter, 1)) as quarter_end,
    seen_at,
    case when next_file_id is null then 'accepted' else 'superseded' end as status,
    version_nr,
    next_file_id as superseded_by,
    next_file_id is null as is_current
from accepted_versions
