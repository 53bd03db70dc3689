-- Versioning of the submissions (INPUTS.md §1): per district and reporting quarter the latest accepted
-- Erhebungsbogen (seen_at, then file_id) is current; earlier accepted ones are superseded by their
-- successor. Nothing is deleted. Other kinds keep their registry status (versioned in their own models).
with files as (
    select * from {{ ref('stg_eingangsregister__files') }}
),

accepted_versions as (
    select
        file_id,
        row_number() over w as version_nr,
        lead(file_id) over w as next_file_id
    from files
    where kind = 'erhebungsbogen' and status = 'accepted'
    window w as (partition by bezirk_nr, year, quarter order by seen_at, file_id)
)

select
    f.file_id,
    f.file_path,
    f.kind,
    f.bezirk_nr,
    f.year,
    f.quarter,
    case when f.kind = 'erhebungsbogen' then make_date(f.year, 3 * f.quarter - 2, 1) end as quarter_start,
    case when f.kind = 'erhebungsbogen' then last_day(make_date(f.year, 3 * f.quarter, 1)) end as quarter_end,
    f.seen_at,
    case
        when f.status = 'rejected' then 'rejected'
        when v.next_file_id is not null then 'superseded'
        else 'accepted'
    end as status,
    v.version_nr,
    v.next_file_id as superseded_by,
    case when f.kind = 'erhebungsbogen' then v.file_id is not null and v.next_file_id is null end as is_current,
    f.n_errors,
    f.n_warnings,
    f.n_rows,
    f.report_path
from files as f
left join accepted_versions as v on v.file_id = f.file_id
