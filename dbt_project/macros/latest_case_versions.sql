{#
  The rule "the latest accepted version of a case counts" (INPUTS.md §1), in one place:
  rows of current submissions only (int_submissions_versioned.is_current); a case is
  (bezirk_nr, fall_key, <arrival date>); if it appears in several current submissions, the row of the
  latest submission quarter (then seen_at, then file_id) counts. Returns those rows with seen_at.
#}
{% macro latest_case_versions(case_model, arrival_column) %}
    select * exclude (version_rank)
    from (
        select
            c.*,
            s.seen_at,
            row_number() over (
                partition by c.bezirk_nr, c.fall_key, c.{{ arrival_column }}
                order by c.submission_year desc, c.submission_quarter desc, s.seen_at desc, c.file_id desc
            ) as version_rank
        from {{ ref(case_model) }} as c
        join {{ ref('int_submissions_versioned') }} as s on s.file_id = c.file_id and s.is_current
    )
    where version_rank = 1
{% endmacro %}
