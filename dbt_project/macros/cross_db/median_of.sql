{#- The median of a numeric column, as an aggregate (dispatched: no portable spelling). -#}
{% macro median_of(column) -%}
    {{ return(adapter.dispatch('median_of', 'tokenworth')(column)) }}
{%- endmacro %}

{% macro default__median_of(column) -%}
    percentile_cont(0.5) within group (order by {{ column }})
{%- endmacro %}

{% macro duckdb__median_of(column) -%}
    median({{ column }})
{%- endmacro %}
