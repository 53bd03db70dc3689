-- Maßnahme 5: booked staff shares (VZÄ) by grade (Wertigkeit), summed over cost centres, per
-- district and product, with the product group ('gruppe') and Berlin ('BE') as sums.
select
    coalesce(bezirk_nr, 'BE') as bezirk_nr,
    coalesce(product, 'gruppe') as product,
    year,
    wertigkeit,
    sum(staff_vza) as staff_vza
from {{ ref('int_klr__stellen_current') }}
group by grouping sets (
    (bezirk_nr, product, year, wertigkeit),
    (bezirk_nr, year, wertigkeit),
    (product, year, wertigkeit),
    (year, wertigkeit)
)
