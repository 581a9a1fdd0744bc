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

{#-
    The `position`-th part of `string` split on `delimiter`, where `position` is a column or
    expression (1-based). `dbt.split_part` compares its position with 0 while compiling, which only
    works for literal numbers; DuckDB and PostgreSQL both take an expression in `split_part`.
-#}
{% macro split_part_at(string, delimiter, position) -%}
    {{ return(adapter.dispatch('split_part_at')(string, delimiter, position)) }}
{%- endmacro %}

{% macro default__split_part_at(string, delimiter, position) -%}
    split_part({{ string }}, {{ delimiter }}, {{ position }})
{%- endmacro %}
