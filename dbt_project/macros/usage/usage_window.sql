{#-
    The incremental day window of the usage facts: `min_date` minus `lookback_days` (inclusive)
    to `max_date` (exclusive). Vendors revise recent days after the fact (the ingest re-reads 1
    day for Anthropic/OpenAI/Cursor and 3 for Copilot's report lag), so the facts re-read the same
    lookback: a partition run also rebuilds the days its ingest may have changed.
-#}
{% macro usage_window_start(lookback_days) -%}
    {{ dbt.dateadd('day', -1 * lookback_days, "cast('" ~ var('min_date') ~ "' as date)") }}
{%- endmacro %}

{% macro usage_window_end() -%}
    cast('{{ var("max_date") }}' as date)
{%- endmacro %}

{% macro in_usage_window(date_column, lookback_days) -%}
    (
        {{ date_column }} >= {{ usage_window_start(lookback_days) }}
        and {{ date_column }} < {{ usage_window_end() }}
    )
{%- endmacro %}
