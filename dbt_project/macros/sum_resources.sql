{#
  The columns of a summed resources row (Maßnahme 5), used for Berlin rows (over districts) and for
  the product group (over products). Budget and quantity are summed only when every summed row has
  one, quantities only when all share one unit (Bezugsgröße); otherwise quantity_note says why.
  part_column names what was summed (bezirk_nr or product), part_label how the note calls it.
#}
{% macro sum_resources(part_column, part_label) %}
        case when count(budget_eur) = count(*) then sum(budget_eur) end as budget_eur,
        sum(cost_eur) as cost_eur,
        sum(personnel_cost_eur) as personnel_cost_eur,
        sum(material_cost_eur) as material_cost_eur,
        sum(allocation_cost_eur) as allocation_cost_eur,
        sum(staff_vza) as staff_vza,
        case when count(quantity) = count(*) and count(distinct lower(unit)) = 1
            then sum(quantity) end as quantity,
        case when count(unit) = count(*) and count(distinct lower(unit)) = 1 then min(unit) end as unit,
        case
            when count(distinct lower(unit)) > 1 then
                'Bezugsgrößen verschieden (' || string_agg(distinct unit, ', ' order by unit) || '): keine Summe'
            when count(quantity) < count(*) then
                'Menge fehlt bei {{ part_label }} '
                || string_agg({{ part_column }}, ', ' order by {{ part_column }}) filter (where quantity is null)
                || ': keine Summe'
        end as quantity_note
{% endmacro %}
