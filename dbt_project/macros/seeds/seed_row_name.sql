{#-
    A SQL expression naming a row by its natural key, for test failures a person reads:
    `vendor=anthropic, model=claude-opus-5, effective_from=2026-07-24` (empty cells as `null`).
    `alias` prefixes the columns (for self-joins).
-#}
{% macro seed_row_name(key_columns, alias=none) -%}
    {%- set parts = [] -%}
    {%- for column in key_columns -%}
        {%- set ref = (alias ~ "." ~ column) if alias else column -%}
        {%- do parts.append(
            "'" ~ column ~ "=' || coalesce(cast(" ~ ref ~ " as " ~ dbt.type_string() ~ "), 'null')"
        ) -%}
    {%- endfor -%}
    {{- parts | join(" || ', ' || ") -}}
{%- endmacro %}
