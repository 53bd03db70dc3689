-- Maßnahme 6: every booking of the four products (cost row or staff row, amount ≠ 0) from the first
-- year in kostenstelle_fachstelle that is NOT on the Fachstelle cost centre, with the file and CSV
-- line it came from. Staff rows whose district sent no cost rows that year cannot be judged and are
-- not listed (mart_cost_centre_compliance shows them as unknown).
select
    bezirk_nr,
    year,
    product,
    kostenstelle,
    kostenstellenbezeichnung,
    booking_type,
    amount,
    wertigkeit,
    file_id,
    source_row
from {{ ref('int_resources__cost_centre_bookings') }}
where is_fachstelle = false
    and amount <> 0
