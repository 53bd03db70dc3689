-- Registry slice: the accepted KLR deliveries (arrival order decides which version counts).
select
    file_id,
    path as file_path,
    kind,
    seen_at,
    bezirk_nr,
    year,
    quarter
from {{ source('raw', 'eingangsregister_klr') }}
where kind in ('klr_mengen', 'klr_kosten', 'klr_stellen') and status = 'accepted'
