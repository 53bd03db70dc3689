-- Historical case volumes (fallzahlen_*.csv): one row per district or Berlin, period and measure.
select
    file_id,
    source_row,
    bezirk_nr,
    von      as period_start,
    bis      as period_end,
    kennzahl as measure,
    wert     as value,
    quelle
from {{ source('raw', 'fallzahlen') }}
