{#-
    Numbers 1..n as a relation (`select n from ...`), for splitting short delimited lists with
    `dbt.split_part` portably (no unnest/string_split, which differ between adapters).
-#}
{% macro numbers_up_to(n) -%}
    (
        {%- for i in range(1, n + 1) %}
        select {{ i }} as n{{ " union all" if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
