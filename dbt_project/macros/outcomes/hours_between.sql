{#-
    Fractional hours from `start_at` to `end_at` (null when either is null), via whole seconds
    with dbt's cross-database datediff.
-#}
{% macro hours_between(start_at, end_at) -%}
    cast(
        cast({{ dbt.datediff(start_at, end_at, 'second') }} as decimal(18, 6)) / 3600
        as decimal(18, 6)
    )
{%- endmacro %}
