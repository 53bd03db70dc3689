-- Which KLR file counts, per kind, year and district (INPUTS.md §2): the latest accepted file
-- (seen_at, then file_id) that has rows for that year and district. A later delivery replaces the
-- earlier one for the year+district it covers; rows of rejected files never count; nothing is deleted.
with delivered as (
    select distinct 'klr_mengen' as kind, file_id, year, bezirk_nr from {{ ref('stg_klr__mengen') }}
    union
    select distinct 'klr_kosten' as kind, file_id, year, bezirk_nr from {{ ref('stg_klr__kosten') }}
    union
    select distinct 'klr_stellen' as kind, file_id, year, bezirk_nr from {{ ref('stg_klr__stellen') }}
),

ranked as (
    select
        d.kind,
        d.year,
        d.bezirk_nr,
        d.file_id,
        f.seen_at,
        row_number() over (
            partition by d.kind, d.year, d.bezirk_nr order by f.seen_at desc, d.file_id desc
        ) as version_rank,
        count(*) over (partition by d.kind, d.year, d.bezirk_nr) as n_versions
    from delivered as d
    inner join {{ ref('stg_eingangsregister__klr') }} as f on f.file_id = d.file_id
)

select kind, year, bezirk_nr, file_id, seen_at, n_versions
from ranked
where version_rank = 1
