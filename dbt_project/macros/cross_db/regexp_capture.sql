{#-
    The first capture group of `pattern` in `string`, or null when it does not match. DuckDB's
    `regexp_extract` answers '' for no match (made null here); PostgreSQL's `substring(… from …)`
    answers the first parenthesised group. `pattern` is a SQL string literal with one group.
-#}
{% macro regexp_capture(string, pattern) -%}
    {{ return(adapter.dispatch('regexp_capture')(string, pattern)) }}
{%- endmacro %}

{% macro default__regexp_capture(string, pattern) -%}
    nullif(regexp_extract({{ string }}, {{ pattern }}, 1), '')
{%- endmacro %}

{% macro postgres__regexp_capture(string, pattern) -%}
    substring({{ string }} from {{ pattern }})
{%- endmacro %}
