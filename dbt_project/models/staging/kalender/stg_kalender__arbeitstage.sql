-- The Berlin working-day calendar: one row per day.
select
    datum,
    is_arbeitstag,
    feiertag,
    arbeitstag_nr
from {{ source('raw', 'arbeitskalender') }}
