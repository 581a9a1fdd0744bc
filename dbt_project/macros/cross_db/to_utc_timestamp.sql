{#-
    A timestamp with time zone as a plain UTC timestamp (the warehouse convention for `*_at`),
    independent of the session's TimeZone setting.
-#}
{% macro to_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'tokenworth')(column)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(column) -%}
    ({{ column }} at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(column) -%}
    timezone('UTC', {{ column }})
{%- endmacro %}

{#- Spark's timestamp is an instant shown in the session time zone: UTC (profiles.yml). -#}
{% macro spark__to_utc_timestamp(column) -%}
    {{ column }}
{%- endmacro %}
