{{ config(
    materialized='incremental',
    incremental_strategy=day_incremental_strategy(),
    unique_key='session_date',
    partition_by=day_partition_by('session_date'),
    on_schema_change='append_new_columns',
) }}

{#-
    Built from the same priced usage records as fct_ai_usage (int_usage_records_priced), with
    their sessions from int_usage_records_sessionized. Incremental by day like fct_ai_usage:
    rebuilds the sessions that start in [min_date - usage_lookback_days, max_date) from usage
    re-read one day earlier and one day later, so sessions crossing midnight (or a partition
    boundary, also when an older day is re-run after later days loaded) are rebuilt whole. A
    session longer than a day past the window's edge is the documented limit: run a full
    refresh after backfilling older days.
-#}

with

-- The usage records of the sessions (the ones fct_ai_usage keeps: Claude Code key duplicates
-- have no session, so the join to record_sessions leaves them out; agent telemetry and the
-- vendor reports already reconciled, each token once).
usage_records as (

    select * from {{ ref('int_usage_records_reconciled') }}

    where {{ in_usage_window('usage_date', var('usage_lookback_days', 3) + 1, 1) }}

),

record_sessions as (

    select * from {{ ref('int_usage_records_sessionized') }}

    where {{ in_usage_window('session_date', var('usage_lookback_days', 3)) }}

),

cursor_daily_usages as (

    select * from {{ ref('stg_cursor__daily_usages') }}

),

identities as (

    select * from {{ ref('int_identities') }}

),

telemetry_signals as (

    select * from {{ ref('int_telemetry_session_signals') }}

),

ai_code_commits as (

    select * from {{ ref('stg_cursor__ai_code_commits') }}

    where {{ in_usage_window('commit_date', var('usage_lookback_days', 3) + 1, 1) }}

),

records as (

    select
        record_sessions.session_id,
        record_sessions.session_grain,
        record_sessions.session_date,
        usage_records.*

    from record_sessions

    inner join usage_records
        on record_sessions.usage_id = usage_records.usage_id

),

-- The session's model: the one with the most cost (then the most tokens, then by name).
model_ranked as (

    select
        session_id,
        model,
        row_number() over (
            partition by session_id
            order by
                sum(coalesce(cost_usd, 0)) desc,
                sum(
                    input_tokens + cache_write_5m_tokens + cache_write_1h_tokens
                    + cache_read_tokens + output_tokens
                ) desc,
                model
        ) as model_rank

    from records

    group by session_id, model

),

sessions as (

    select
        session_id,
        person_id,
        platform,
        session_grain,
        session_date,
        min(started_at) as started_at,
        max(ended_at) as ended_at,
        cast(sum(input_tokens) as {{ dbt.type_bigint() }}) as input_tokens,
        cast(sum(cache_write_5m_tokens) as {{ dbt.type_bigint() }}) as cache_write_5m_tokens,
        cast(sum(cache_write_1h_tokens) as {{ dbt.type_bigint() }}) as cache_write_1h_tokens,
        cast(sum(cache_read_tokens) as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cast(sum(output_tokens) as {{ dbt.type_bigint() }}) as output_tokens,
        cast(sum(list_cost_usd) as {{ type_usd() }}) as list_cost_usd,
        cast(sum(vendor_cost_usd) as {{ type_usd() }}) as vendor_cost_usd,
        cast(sum(cost_usd) as {{ type_usd() }}) as cost_usd,
        cast(sum(vendor_num_sessions) as {{ dbt.type_bigint() }}) as vendor_num_sessions,
        cast(sum(request_count) as {{ dbt.type_bigint() }}) as request_count,
        cast(count(*) as {{ dbt.type_bigint() }}) as usage_record_count,
        cast(sum(lines_added) as {{ dbt.type_bigint() }}) as lines_added,
        cast(sum(lines_removed) as {{ dbt.type_bigint() }}) as lines_removed,
        cast(sum(edits_accepted) as {{ dbt.type_bigint() }}) as edits_accepted,
        cast(sum(edits_rejected) as {{ dbt.type_bigint() }}) as edits_rejected,
        cast(sum(commits) as {{ dbt.type_bigint() }}) as commits,
        cast(sum(pull_requests) as {{ dbt.type_bigint() }}) as pull_requests,
        max(case when is_unpriced_model then 1 else 0 end) = 1 as has_unpriced_usage,
        -- The agent's own session id (telemetry sessions; one per session by construction).
        max(agent_session_id) as agent_session_id

    from records

    group by session_id, person_id, platform, session_grain, session_date

),

-- Cursor reports code output per user-day only: split each day's totals over that day's
-- Cursor sessions in proportion to their requests (floors, the remainder to the busiest).
cursor_days as (

    select
        identities.person_id,
        cursor_daily_usages.usage_date,
        sum(cursor_daily_usages.accepted_lines_added) as lines_added,
        sum(cursor_daily_usages.accepted_lines_deleted) as lines_removed,
        sum(cursor_daily_usages.total_accepts) as edits_accepted,
        sum(cursor_daily_usages.total_rejects) as edits_rejected

    from cursor_daily_usages

    inner join identities
        on
            identities.identity_type = 'email'
            and cursor_daily_usages.email = identities.identity_value

    group by identities.person_id, cursor_daily_usages.usage_date

),

cursor_sessions_shared as (

    select
        sessions.session_id,
        sessions.person_id,
        sessions.session_date,
        cursor_days.lines_added as day_lines_added,
        cursor_days.lines_removed as day_lines_removed,
        cursor_days.edits_accepted as day_edits_accepted,
        cursor_days.edits_rejected as day_edits_rejected,
        sessions.request_count,
        sum(sessions.request_count) over (
            partition by sessions.person_id, sessions.session_date
        ) as day_request_count,
        row_number() over (
            partition by sessions.person_id, sessions.session_date
            order by sessions.request_count desc, sessions.started_at asc
        ) as day_rank

    from sessions

    inner join cursor_days
        on
            sessions.person_id = cursor_days.person_id
            and sessions.session_date = cursor_days.usage_date

    where sessions.platform = 'cursor'

),
{%- set cursor_signals = ['lines_added', 'lines_removed', 'edits_accepted', 'edits_rejected'] %}

cursor_sessions_floored as (

    select
        {%- for signal in cursor_signals %}
            floor(day_{{ signal }} * request_count / day_request_count) as floor_{{ signal }},
        {%- endfor %}
        *

    from cursor_sessions_shared

),

cursor_sessions_summed as (

    select
        {%- for signal in cursor_signals %}
            sum(floor_{{ signal }}) over (
                partition by person_id, session_date
            ) as day_floor_{{ signal }},
        {%- endfor %}
        *

    from cursor_sessions_floored

),

cursor_session_signals as (

    select
        {%- for signal in cursor_signals %}
            cast(
                floor_{{ signal }}
                + case when day_rank = 1 then day_{{ signal }} - day_floor_{{ signal }} else 0 end
                as {{ dbt.type_bigint() }}
            ) as {{ signal }},
        {%- endfor %}
        session_id

    from cursor_sessions_summed

),

-- Cursor's AI Code Tracking names the repository and branch of every commit made with its AI
-- (Enterprise plans). A Cursor session worked on the branch its person committed AI code to
-- while it ran, or within session_gap_minutes of its last request (the gap that would have
-- ended it). Commits to several branches: the one with the most AI lines, then the latest.
cursor_session_branches as (

    select
        sessions.session_id,
        ai_code_commits.repo,
        ai_code_commits.branch,
        row_number() over (
            partition by sessions.session_id
            order by
                sum(ai_code_commits.ai_lines_added + ai_code_commits.ai_lines_deleted) desc,
                max(ai_code_commits.committed_at) desc,
                ai_code_commits.repo asc,
                ai_code_commits.branch asc
        ) as branch_rank

    from ai_code_commits

    inner join identities
        on
            identities.identity_type = 'email'
            and ai_code_commits.user_email = identities.identity_value

    inner join sessions
        on
            identities.person_id = sessions.person_id
            and sessions.platform = 'cursor'
            and ai_code_commits.committed_at >= sessions.started_at
            and ai_code_commits.committed_at
            <= {{ dbt.dateadd('minute', var('session_gap_minutes'), 'sessions.ended_at') }}

    group by sessions.session_id, ai_code_commits.repo, ai_code_commits.branch

),

final as (

    select
        sessions.session_id,
        sessions.person_id,
        sessions.platform,
        sessions.session_grain,
        sessions.session_date,
        sessions.started_at,
        sessions.ended_at,
        model_ranked.model,
        sessions.input_tokens,
        sessions.cache_write_5m_tokens,
        sessions.cache_write_1h_tokens,
        sessions.cache_read_tokens,
        sessions.output_tokens,
        sessions.list_cost_usd,
        sessions.vendor_cost_usd,
        sessions.cost_usd,
        {{ safe_ratio(
            'sessions.cache_read_tokens',
            '(sessions.cache_read_tokens + sessions.cache_write_5m_tokens'
            ~ ' + sessions.cache_write_1h_tokens + sessions.input_tokens)',
        ) }} as cache_hit_rate,
        sessions.vendor_num_sessions,
        sessions.request_count,
        sessions.usage_record_count,
        -- Code output: the agent's own telemetry for its sessions, Cursor's day split over its
        -- sessions, else what the vendor reports with the usage.
        coalesce(
            telemetry_signals.lines_added, cursor_session_signals.lines_added, sessions.lines_added
        ) as lines_added,
        coalesce(
            telemetry_signals.lines_removed,
            cursor_session_signals.lines_removed,
            sessions.lines_removed
        ) as lines_removed,
        coalesce(
            telemetry_signals.edits_accepted,
            cursor_session_signals.edits_accepted,
            sessions.edits_accepted
        ) as edits_accepted,
        coalesce(
            telemetry_signals.edits_rejected,
            cursor_session_signals.edits_rejected,
            sessions.edits_rejected
        ) as edits_rejected,
        coalesce(telemetry_signals.commits, sessions.commits) as commits,
        coalesce(telemetry_signals.pull_requests, sessions.pull_requests) as pull_requests,
        -- Cursor's AI Code Tracking names a session's repository and branch; agent telemetry
        -- its repository when the organisation sets it in OTEL_RESOURCE_ATTRIBUTES.
        cast(
            coalesce(cursor_session_branches.repo, telemetry_signals.repo)
            as {{ dbt.type_string() }}
        ) as repo,
        cast(cursor_session_branches.branch as {{ dbt.type_string() }}) as branch,
        sessions.has_unpriced_usage,
        sessions.agent_session_id

    from sessions

    inner join model_ranked
        on
            sessions.session_id = model_ranked.session_id
            and model_ranked.model_rank = 1

    left join cursor_session_signals
        on sessions.session_id = cursor_session_signals.session_id

    left join cursor_session_branches
        on
            sessions.session_id = cursor_session_branches.session_id
            and cursor_session_branches.branch_rank = 1

    left join telemetry_signals
        on
            sessions.platform = telemetry_signals.platform
            and sessions.agent_session_id = telemetry_signals.agent_session_id

)

select * from final
