-- Every file that arrived, with its derived status (accepted | superseded | rejected). No case data.
select
    file_id,
    file_path,
    kind,
    bezirk_nr,
    year,
    quarter,
    seen_at,
    status,
    version_nr,
    superseded_by,
    is_current,
    n_errors,
    n_warnings,
    n_rows,
    report_path
from {{ ref('int_submissions_versioned') }}
