-- Registry slice: the accepted files of historical volumes (arrival order decides which version counts).
select
    file_id,
    path as file_path,
    kind,
    seen_at,
    bezirk_nr,
    year,
    quarter
from {{ source('raw', 'eingangsregister_fallzahlen') }}
where kind = 'fallzahlen' and status = 'accepted'
