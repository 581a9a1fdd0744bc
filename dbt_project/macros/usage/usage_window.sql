{#-
    The incremental day window of the usage facts: `min_date` minus `lookback_days` (inclusive)
    to `max_date` (exclusive). Vendors revise recent days after the fact (the ingest re-reads 1
    day for Anthropic/OpenAI/Cursor and 3 for Copilot's report lag), so the facts re-read the same
    lookback: a partition run also rebuilds the days its ingest may have changed.

    The window comes from `--vars` when given, else from TOKENWORTH_DBT_MIN_DATE /
    TOKENWORTH_DBT_MAX_DATE (what Dagster sets for a partition run), else all days. Dagster sets
    environment variables rather than `--vars` because dbt throws away its saved parse whenever
    `--vars` change, and a nightly run's window changes every night: an environment variable read
    only here keeps partial parsing.
-#}
{% macro usage_window_bound(name) -%}
    {%- set defaults = {'min_date': '2000-01-01', 'max_date': '9999-12-31'} -%}
    {{- var(name, env_var('TOKENWORTH_DBT_' ~ name | upper, defaults[name])) -}}
{%- endmacro %}

{#- True when this run has a window: a partition run, or `min_date` in --vars. -#}
{% macro usage_window_is_set() -%}
    {{- return(var('min_date', env_var('TOKENWORTH_DBT_MIN_DATE', '')) != '') -}}
{%- endmacro %}

{% macro usage_window_start(lookback_days) -%}
    {{ dbt.dateadd('day', -1 * lookback_days, "cast('" ~ usage_window_bound('min_date') ~ "' as date)") }}
{%- endmacro %}

{% macro usage_window_end(lookahead_days=0) -%}
    {{ dbt.dateadd('day', lookahead_days, "cast('" ~ usage_window_bound('max_date') ~ "' as date)") }}
{%- endmacro %}

{#-
    `lookahead_days` reads past the window's end: a session that starts on the window's last day
    can run past midnight into days already loaded (re-running an older day), and is rebuilt whole
    only if sessionisation sees those records too.
-#}
{% macro in_usage_window(date_column, lookback_days, lookahead_days=0) -%}
    (
        {{ date_column }} >= {{ usage_window_start(lookback_days) }}
        and {{ date_column }} < {{ usage_window_end(lookahead_days) }}
    )
{%- endmacro %}
