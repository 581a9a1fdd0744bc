{#-
    One row per day (`spine_date`) from `start_date` to `end_date`, both inclusive (SQL date
    expressions), up to 10,000 days; built from digit cross joins so it runs on any adapter.
    When the bounds are columns of another relation, join it with `cross join lateral`.
-#}
{% macro day_spine(start_date, end_date) -%}
    (
        select
            {{ dbt.dateadd('day', 'offsets.n', start_date) }} as spine_date
        from (
            select
                thousands.d * 1000 + hundreds.d * 100 + tens.d * 10 + ones.d as n
            from {{ digits() }} as thousands
            cross join {{ digits() }} as hundreds
            cross join {{ digits() }} as tens
            cross join {{ digits() }} as ones
        ) as offsets
        where {{ dbt.dateadd('day', 'offsets.n', start_date) }} <= {{ end_date }}
    )
{%- endmacro %}

{% macro digits() -%}
    (
        {%- for i in range(10) %}
        select {{ i }} as d{{ " union all" if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
