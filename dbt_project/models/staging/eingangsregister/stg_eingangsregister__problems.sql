-- Every problem found in a file (German), renamed.
select
    file_id,
    severity,
    file      as file_name,
    sheet,
    "row"     as row_nr,
    "column"  as column_name,
    value,
    expected,
    message
from {{ source('raw', 'file_problems') }}
