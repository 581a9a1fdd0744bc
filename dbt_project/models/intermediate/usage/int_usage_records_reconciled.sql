{{ config(
    materialized=day_incremental_or_table(),
    incremental_strategy=day_incremental_strategy(),
    unique_key='usage_date',
    on_schema_change='append_new_columns',
) }}

{#-
    One system of record per token (PRODUCT.md): agent telemetry and the vendor's report describe
    the same Claude Code spend. The rule, per vendor record (a Claude Code user-day and model):

    * the telemetry requests of that person, platform and model inside the record's time span
      are the record of what they cover: kept, one row per request, with their own cost;
    * the vendor record keeps only the rest: its tokens and cost minus the telemetry's, floored
      at zero per token type (`usage_source = 'vendor_residual'`); a record telemetry covers
      whole disappears;
    * per person, platform and day, telemetry that exceeds its vendor records (a model the report
      spells differently, a request the report has not counted yet) reduces that day's residuals
      first, so the day never counts more than the larger of the two: no token is counted twice;
    * vendor records of person-days without telemetry, and every other platform, pass unchanged.

    The gap either way is reported (fct_telemetry_reconciliation, mart_data_quality), never
    hidden. Actor-day code signals of a residual are the report's minus what the day's telemetry
    sessions did (int_telemetry_session_signals), floored at zero.

    Incremental by day, like fct_ai_usage: a run with a day window rebuilds the days
    [min_date - usage_lookback_days, max_date), each from its own day's records (a vendor record
    is a user-day). A table, not a view, so that its tests, sessionisation and both usage facts
    read the reconciliation once instead of each computing it again over all history. The one
    rule that looks past a day, a telemetry session's first day, reads one more day back: a
    session longer than a day past the window's edge is the documented limit, as for
    fct_ai_sessions (run a full refresh after backfilling older days). The window applies only
    to an incremental run: a first build, a full refresh and Spark's table, rebuilt whole
    (day_incremental_or_table), hold every day.
-#}
{%- set tokens = [
    'input_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'cache_read_tokens',
    'output_tokens',
] -%}
{%- set money = ['list_cost_usd', 'vendor_cost_usd', 'cost_usd'] -%}
{%- set signals = [
    'lines_added', 'lines_removed', 'edits_accepted', 'edits_rejected', 'commits',
] -%}

with

-- The window's records, and the day before it for telemetry sessions' first days.
records_from_day_before as (

    select * from {{ ref('int_usage_records_priced') }}

    {% if is_incremental() -%}
        where {{ in_usage_window('usage_date', var('usage_lookback_days', 3) + 1) }}
    {%- endif %}

),

records as (

    select * from records_from_day_before

    {% if is_incremental() -%}
        where {{ in_usage_window('usage_date', var('usage_lookback_days', 3)) }}
    {%- endif %}

),

session_signals as (

    select * from {{ ref('int_telemetry_session_signals') }}

),

telemetry as (

    select * from records
    where usage_source = 'telemetry'

),

vendor as (

    select * from records
    where usage_source = 'vendor_report'

),

-- The platforms whose vendor records telemetry can replace (those with telemetry records).
telemetry_days as (

    select distinct
        person_id,
        platform,
        usage_date

    from telemetry

),

-- Telemetry requests inside each vendor record of the same person, platform and model.
covered as (

    select
        vendor.usage_id,
        {%- for column in tokens + money %}
            sum(coalesce(telemetry.{{ column }}, 0)) as telemetry_{{ column }},
        {%- endfor %}
        count(*) as telemetry_requests

    from vendor

    inner join telemetry
        on
            vendor.person_id = telemetry.person_id
            and vendor.platform = telemetry.platform
            and vendor.model = telemetry.model
            and vendor.started_at <= telemetry.started_at
            and vendor.ended_at > telemetry.started_at

    group by vendor.usage_id

),

vendor_covered as (

    select
        vendor.*,
        telemetry_days.person_id is not null as has_telemetry_day,
        {%- for column in tokens + money %}
            coalesce(covered.telemetry_{{ column }}, 0) as telemetry_{{ column }},
        {%- endfor %}
        greatest(
            coalesce(vendor.cost_usd, 0) - coalesce(covered.telemetry_cost_usd, 0), 0
        ) as residual_cost_usd,
        greatest(
            coalesce(covered.telemetry_cost_usd, 0) - coalesce(vendor.cost_usd, 0), 0
        ) as excess_cost_usd

    from vendor

    left join covered
        on vendor.usage_id = covered.usage_id

    left join telemetry_days
        on
            vendor.person_id = telemetry_days.person_id
            and vendor.platform = telemetry_days.platform
            and vendor.usage_date = telemetry_days.usage_date

),

-- Telemetry cost of each person-day that no vendor record of its model covers.
uncovered_telemetry as (

    select
        telemetry.person_id,
        telemetry.platform,
        telemetry.usage_date,
        sum(coalesce(telemetry.cost_usd, 0)) as uncovered_cost_usd

    from telemetry

    left join vendor
        on
            telemetry.person_id = vendor.person_id
            and telemetry.platform = vendor.platform
            and telemetry.model = vendor.model
            and telemetry.started_at >= vendor.started_at
            and telemetry.started_at < vendor.ended_at

    where vendor.usage_id is null

    group by telemetry.person_id, telemetry.platform, telemetry.usage_date

),

day_scales as (

    select
        vendor_covered.person_id,
        vendor_covered.platform,
        vendor_covered.usage_date,
        sum(vendor_covered.residual_cost_usd) as residual_cost_usd,
        sum(vendor_covered.excess_cost_usd) + max(coalesce(uncovered.uncovered_cost_usd, 0))
            as excess_cost_usd

    from vendor_covered

    left join uncovered_telemetry as uncovered
        on
            vendor_covered.person_id = uncovered.person_id
            and vendor_covered.platform = uncovered.platform
            and vendor_covered.usage_date = uncovered.usage_date

    where vendor_covered.has_telemetry_day

    group by vendor_covered.person_id, vendor_covered.platform, vendor_covered.usage_date

),

-- Each telemetry session's person and first day (a session may start the day before).
telemetry_session_days as (

    select
        person_id,
        platform,
        agent_session_id,
        min(usage_date) as usage_date

    from records_from_day_before

    where usage_source = 'telemetry'

    group by person_id, platform, agent_session_id

),

-- What the day's telemetry sessions did, to take from the report's actor-day signals.
telemetry_day_signals as (

    select
        telemetry_session_days.person_id,
        telemetry_session_days.platform,
        telemetry_session_days.usage_date,
        {%- for signal in signals %}
            sum(session_signals.{{ signal }}) as {{ signal }},
        {%- endfor %}
        count(*) as telemetry_sessions

    from telemetry_session_days

    inner join session_signals
        on
            telemetry_session_days.platform = session_signals.platform
            and telemetry_session_days.agent_session_id = session_signals.agent_session_id

    group by
        telemetry_session_days.person_id,
        telemetry_session_days.platform,
        telemetry_session_days.usage_date

),

residuals as (

    select
        vendor_covered.*,
        -- The share of each residual kept once the day's excess telemetry is taken off.
        case
            when day_scales.residual_cost_usd > 0
                then
                    greatest(day_scales.residual_cost_usd - day_scales.excess_cost_usd, 0)
                    / day_scales.residual_cost_usd
            else 1
        end as residual_scale

    from vendor_covered

    left join day_scales
        on
            vendor_covered.person_id = day_scales.person_id
            and vendor_covered.platform = day_scales.platform
            and vendor_covered.usage_date = day_scales.usage_date

    where vendor_covered.has_telemetry_day

),

residual_rows as (

    select
        residuals.usage_id,
        residuals.person_id,
        residuals.platform,
        residuals.identity_type,
        residuals.identity_value,
        residuals.model,
        residuals.usage_date,
        residuals.started_at,
        residuals.ended_at,
        {%- for column in tokens %}
            cast(round(
                greatest(residuals.{{ column }} - residuals.telemetry_{{ column }}, 0)
                * residuals.residual_scale
            ) as {{ dbt.type_bigint() }}) as {{ column }},
        {%- endfor %}
        residuals.request_count,
        residuals.ai_credits,
        {%- for column in money %}
            -- A null cost (an unpriced model) stays null: never a silent zero.
            cast(
                case
                    when residuals.{{ column }} is not null
                        then
                            greatest(residuals.{{ column }} - residuals.telemetry_{{ column }}, 0)
                            * residuals.residual_scale
                end as {{ type_usd() }}
            ) as {{ column }},
        {%- endfor %}
        residuals.is_unpriced_model,
        residuals.model_price_id,
        {%- for signal in ['lines_added', 'lines_removed', 'lines_accepted', 'edits_accepted',
                           'edits_rejected', 'commits', 'pull_requests'] %}
            {%- if signal in signals %}
                case
                    when residuals.{{ signal }} is not null
                        then greatest(
                            residuals.{{ signal }}
                            - coalesce(telemetry_day_signals.{{ signal }}, 0),
                            0
                        )
                end as {{ signal }},
            {%- else %}
                residuals.{{ signal }},
            {%- endif %}
        {%- endfor %}
        residuals.vendor_num_sessions,
        residuals.api_key_id,
        residuals.conversation_id,
        residuals.agent_session_id,
        'vendor_residual' as usage_source,
        residuals.is_claude_code_duplicate,
        residuals.owner_kind,
        residuals.unassigned_kind

    from residuals

    left join telemetry_day_signals
        on
            residuals.person_id = telemetry_day_signals.person_id
            and residuals.platform = telemetry_day_signals.platform
            and residuals.usage_date = telemetry_day_signals.usage_date
            -- The report's actor-day signals sit on one model's row of the day (unioned).
            and residuals.lines_added is not null

),

final as (

    select * from records
    where usage_source = 'telemetry'

    union all

    select vendor.*
    from vendor
    left join telemetry_days
        on
            vendor.person_id = telemetry_days.person_id
            and vendor.platform = telemetry_days.platform
            and vendor.usage_date = telemetry_days.usage_date
    where telemetry_days.person_id is null

    union all

    -- A record telemetry covered whole leaves nothing.
    select * from residual_rows
    where
        cost_usd > 0
        {%- for column in tokens %}
            or {{ column }} > 0
        {%- endfor %}

)

select * from final
