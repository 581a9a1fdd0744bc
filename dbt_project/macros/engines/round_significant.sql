{#-
    A positive whole number rounded to `digits` significant digits (`12345` → `12000` for 2).
    DuckDB and PostgreSQL round to a computed number of places; Spark's `round` takes only a
    constant scale, so there the value is divided by the power of ten, rounded (half away from
    zero, as elsewhere) and multiplied back, exactly for counts below 2^53.
-#}
{% macro round_significant(column, digits) -%}
    {{ return(adapter.dispatch('round_significant', 'tokenworth')(column, digits)) }}
{%- endmacro %}

{% macro default__round_significant(column, digits) -%}
    round(
        {{ column }},
        {{ digits }} - cast(
            floor(log10(cast({{ column }} as {{ dbt.type_numeric() }})) + 1) as integer
        )
    )
{%- endmacro %}

{% macro spark__round_significant(column, digits) -%}
    cast(
        round({{ column }} / power(10, floor(log10({{ column }})) + 1 - {{ digits }}))
        * power(10, floor(log10({{ column }})) + 1 - {{ digits }})
        as bigint
    )
{%- endmacro %}
