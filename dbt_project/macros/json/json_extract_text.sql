{#-
    The text value at a key path of a JSON column, or null: `json_extract_text('core_metrics',
    ['lines_of_code', 'added'])`. The only place JSON is read, dispatched per adapter so models
    stay portable (dlt stores `json` columns as JSON on DuckDB and as jsonb on PostgreSQL).
-#}
{% macro json_extract_text(column, path) -%}
    {{ return(adapter.dispatch('json_extract_text', 'tokenworth')(column, path)) }}
{%- endmacro %}

{% macro default__json_extract_text(column, path) -%}
    json_extract_path_text({{ column }}, '{{ path | join("', '") }}')
{%- endmacro %}

{% macro duckdb__json_extract_text(column, path) -%}
    json_extract_string({{ column }}, '$.{{ path | join(".") }}')
{%- endmacro %}

{% macro postgres__json_extract_text(column, path) -%}
    (cast({{ column }} as jsonb) #>> '{ {{- path | join(",") -}} }')
{%- endmacro %}

{% macro spark__json_extract_text(column, path) -%}
    get_json_object({{ column }}, '$.{{ path | join(".") }}')
{%- endmacro %}
