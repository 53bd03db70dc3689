-- Maßnahme 5, overview 2017–2021 (the reporting window the agreement names): staff shares (VZÄ)
-- per district and grade, one column per year, for the product group ('gruppe') and each product,
-- with Berlin ('BE') and all grades ('insgesamt'). A year the district delivered staff rows for
-- but without this grade is 0; a year without any delivered staff rows is null (for Berlin: no
-- district delivered). change_2017_2021 = staff_vza_2021 − staff_vza_2017.
with stellen as (
    select * from {{ ref('int_klr__stellen_current') }}
    where year between 2017 and 2021
),

sums as (
    select
        coalesce(bezirk_nr, 'BE') as bezirk_nr,
        coalesce(product, 'gruppe') as product,
        coalesce(wertigkeit, 'insgesamt') as wertigkeit,
        year,
        sum(staff_vza) as staff_vza
    from stellen
    group by grouping sets (
        (bezirk_nr, product, wertigkeit, year),
        (bezirk_nr, wertigkeit, year),
        (product, wertigkeit, year),
        (wertigkeit, year),
        (bezirk_nr, product, year),
        (bezirk_nr, year),
        (product, year),
        (year)
    )
),

delivered as (
    select distinct bezirk_nr, year from stellen
    union
    select distinct 'BE' as bezirk_nr, year from stellen
),

series as (
    select distinct bezirk_nr, product, wertigkeit from sums
),

pivoted as (
    select
        s.bezirk_nr,
        s.product,
        s.wertigkeit,
        {% for y in range(2017, 2022) -%}
        case when d{{ y }}.year is not null then coalesce(v{{ y }}.staff_vza, 0) end as staff_vza_{{ y }},
        {% endfor -%}
    from series as s
    {% for y in range(2017, 2022) -%}
    left join delivered as d{{ y }} on d{{ y }}.bezirk_nr = s.bezirk_nr and d{{ y }}.year = {{ y }}
    left join sums as v{{ y }}
        on v{{ y }}.bezirk_nr = s.bezirk_nr and v{{ y }}.product = s.product
        and v{{ y }}.wertigkeit = s.wertigkeit and v{{ y }}.year = {{ y }}
    {% endfor %}
)

select
    *,
    staff_vza_2021 - staff_vza_2017 as change_2017_2021
from pivoted
