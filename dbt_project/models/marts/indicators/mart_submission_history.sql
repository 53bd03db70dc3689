-- Every file that arrived, with its derived status (accepted | superseded | rejected). No case data.
-- Versions of the Erhebungsbögen come from int_submissions_versioned; every other file keeps its
-- registry status.
select
    f.file_id,
    f.file_path,
    f.kind,
    f.bezirk_nr,
    f.year,
    f.quarter,
    f.seen_at,
    coalesce(v.status, f.status) as status,
    v.version_nr,
    v.superseded_by,
    case when f.kind = 'erhebungsbogen' then coalesce(v.is_current, false) end as is_current,
    f.n_errors,
    f.n_warnings,
    f.n_rows,
    f.report_path
from {{ ref('stg_eingangsregister__files') }} as f
left join {{ ref('int_submissions_versioned') }} as v on v.file_id = f.file_id
