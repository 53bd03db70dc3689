-- Every file that arrived (accepted or rejected), renamed and typed.
select
    file_id,
    path                  as file_path,
    kind,
    size_bytes,
    seen_at,
    bezirk_nr,
    year,
    quarter,
    status,
    n_errors,
    n_warnings,
    n_rows,
    report_path,
    archive_path
from {{ source('raw', 'file_registry') }}
