{#-
    Every vendor usage record of every platform in one shape (tokens by type, vendor cost,
    code-output signals, the identity it belongs to), before people and prices are joined.
    Anthropic messages usage of Claude Code keys is kept here, flagged
    `is_claude_code_duplicate`: the Claude Code report is the system of record for those tokens.
    Agent telemetry's requests (`usage_source = 'telemetry'`) are here beside the vendor reports
    that cover the same spend: int_usage_records_reconciled keeps each token once.

    Usage no person may own (docs/metrics.md `dim_people`) carries the owner it falls to when its
    identity leads to no person (int_usage_records_priced decides): `unassigned_owner_kind` and
    `unassigned_owner_id`, as the vendor names them (ids keep their case), and why
    (`unassigned_kind`):
    * Claude Code API actors: their key, by the name the report gives it (`api_actor`);
    * Anthropic Messages usage: its key (`service_account_key` when a service account created
      it, else `orphaned_key`: its creator is not among the users, or the key list no longer
      shows it); without a key (Console), its workspace, or the organisation (`no_key`);
    * OpenAI usage without a user: its key (`service_account_key`: OpenAI names the user of a
      person's key), else its project (`no_key`: Playground), else the organisation
      (`ungrouped`: the report could not break it down).
    Cursor and Copilot records name a person; their former members are resolved in
    int_identities. A model the vendor does not report is `(unreported)`, never null.
-#}
{%- set code_signals = [
    'lines_added', 'lines_removed', 'lines_accepted', 'edits_accepted', 'edits_rejected',
    'commits', 'pull_requests', 'vendor_num_sessions',
] -%}

with

claude_code_usages as (

    select * from {{ ref('stg_anthropic__claude_code_usages') }}

),

claude_code_actor_days as (

    select * from {{ ref('stg_anthropic__claude_code_actor_days') }}

),

messages_usages as (

    select * from {{ ref('stg_anthropic__messages_usages') }}

),

anthropic_api_keys as (

    select * from {{ ref('stg_anthropic__api_keys') }}

),

completions_usages as (

    select * from {{ ref('stg_openai__completions_usages') }}

),

openai_report_costs as (

    select * from {{ ref('int_openai_usage_report_costs') }}

),

cursor_usage_events as (

    select * from {{ ref('stg_cursor__usage_events') }}

),

copilot_user_days as (

    select * from {{ ref('stg_copilot__user_day_metrics') }}

),

telemetry_requests as (

    select * from {{ ref('stg_otel__api_requests') }}

    -- The platforms whose telemetry is the record of the requests it covers
    -- (int_usage_records_reconciled): Claude Code states each request's cost as its report does.
    -- Codex telemetry does not tell cache writes apart, so it cannot reproduce OpenAI's priced
    -- usage: it is reconciled in data quality only.
    where platform in (
        {%- for platform in var('telemetry_record_platforms') %}
            '{{ platform }}'{{ "," if not loop.last }}
        {%- endfor %}
    )

),

-- The "Claude Code" workspace: the workspace of Console-created Claude Code keys.
claude_code_workspaces as (

    select distinct workspace_id

    from anthropic_api_keys

    where is_claude_code_named and workspace_id is not null

),

claude_code_rows_numbered as (

    select
        claude_code_usages.*,
        -- Actor-day signals (sessions, lines, commits, PRs, edit decisions) are reported once
        -- per actor-day but the usage is per model: they go on the first model's row only, so
        -- that sums over rows are right.
        row_number() over (
            partition by
                claude_code_usages.usage_date,
                claude_code_usages.actor_type,
                claude_code_usages.actor_key,
                claude_code_usages.is_remote
            order by claude_code_usages.model
        ) as model_order

    from claude_code_usages

),

claude_code as (

    select
        {{ dbt.concat(["'claude_code:'", "claude_code_rows_numbered.claude_code_usage_id"]) }}
            as usage_id,
        'claude_code' as platform,
        'anthropic' as price_vendor,
        case
            when claude_code_rows_numbered.actor_type = 'api_actor' then 'api_key_id'
            else 'email'
        end as identity_type,
        case
            when claude_code_rows_numbered.actor_type = 'api_actor'
                then lower(coalesce(actor_keys.api_key_id, claude_code_rows_numbered.actor_key))
            else claude_code_rows_numbered.actor_email
        end as identity_value,
        coalesce(claude_code_rows_numbered.model, '{{ unreported_model() }}')
            as model,  -- noqa: RF04
        claude_code_rows_numbered.usage_date,
        cast(claude_code_rows_numbered.usage_date as {{ dbt.type_timestamp() }}) as started_at,
        {{ dbt.dateadd(
            'day',
            1,
            'cast(claude_code_rows_numbered.usage_date as ' ~ dbt.type_timestamp() ~ ')',
        ) }} as ended_at,
        claude_code_rows_numbered.input_tokens,
        claude_code_rows_numbered.cache_write_5m_tokens,
        claude_code_rows_numbered.cache_write_1h_tokens,
        claude_code_rows_numbered.cache_read_tokens,
        claude_code_rows_numbered.output_tokens,
        cast(null as {{ dbt.type_bigint() }}) as request_count,
        claude_code_rows_numbered.estimated_cost_usd as vendor_cost_usd,
        cast(null as decimal(38, 12)) as ai_credits,
        actor_days.lines_added,
        actor_days.lines_removed,
        cast(null as {{ dbt.type_bigint() }}) as lines_accepted,
        actor_days.edits_accepted,
        actor_days.edits_rejected,
        actor_days.commits,
        actor_days.pull_requests,
        actor_days.num_sessions as vendor_num_sessions,
        actor_keys.api_key_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        cast(null as {{ dbt.type_string() }}) as agent_session_id,
        'vendor_report' as usage_source,
        false as is_claude_code_duplicate,
        cast(null as {{ type_usd() }}) as report_cost_usd,
        case
            when claude_code_rows_numbered.actor_type = 'api_actor' then 'key'
        end as unassigned_owner_kind,
        case
            when claude_code_rows_numbered.actor_type = 'api_actor'
                then claude_code_rows_numbered.actor_api_key_name
        end as unassigned_owner_id,
        case
            when claude_code_rows_numbered.actor_type = 'api_actor' then 'api_actor'
        end as unassigned_kind

    from claude_code_rows_numbered

    left join claude_code_actor_days as actor_days
        on
            claude_code_rows_numbered.usage_date = actor_days.usage_date
            and claude_code_rows_numbered.actor_type = actor_days.actor_type
            and claude_code_rows_numbered.actor_key = actor_days.actor_key
            and claude_code_rows_numbered.is_remote = actor_days.is_remote
            and claude_code_rows_numbered.model_order = 1

    left join anthropic_api_keys as actor_keys
        on
            claude_code_rows_numbered.actor_type = 'api_actor'
            and claude_code_rows_numbered.actor_api_key_name = actor_keys.api_key_name

),

anthropic_api as (

    select
        {{ dbt.concat(["'anthropic_api:'", "messages_usages.messages_usage_id"]) }} as usage_id,
        'anthropic_api' as platform,
        'anthropic' as price_vendor,
        'api_key_id' as identity_type,
        lower(messages_usages.api_key_id) as identity_value,
        coalesce(messages_usages.model, '{{ unreported_model() }}') as model,  -- noqa: RF04
        messages_usages.usage_date,
        messages_usages.bucket_started_at as started_at,
        messages_usages.bucket_ended_at as ended_at,
        messages_usages.input_tokens,
        messages_usages.cache_write_5m_tokens,
        messages_usages.cache_write_1h_tokens,
        messages_usages.cache_read_tokens,
        messages_usages.output_tokens,
        cast(null as {{ dbt.type_bigint() }}) as request_count,
        cast(null as {{ type_usd() }}) as vendor_cost_usd,
        cast(null as decimal(38, 12)) as ai_credits,
        {% for signal in code_signals -%}
            cast(null as {{ dbt.type_bigint() }}) as {{ signal }},
        {% endfor -%}
        messages_usages.api_key_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        cast(null as {{ dbt.type_string() }}) as agent_session_id,
        'vendor_report' as usage_source,
        -- Claude Code billed through a key of the Claude Code workspace: the same tokens as the
        -- Claude Code report (system of record), so reconciliation only.
        coalesce(
            messages_usages.workspace_id in (
                select claude_code_workspaces.workspace_id from claude_code_workspaces
            )
            or message_keys.is_claude_code_named,
            false
        ) as is_claude_code_duplicate,
        cast(null as {{ type_usd() }}) as report_cost_usd,
        case
            when messages_usages.api_key_id is not null then 'key'
            when messages_usages.workspace_id is not null then 'workspace'
            else 'org'
        end as unassigned_owner_kind,
        coalesce(messages_usages.api_key_id, messages_usages.workspace_id) as unassigned_owner_id,
        case
            when messages_usages.api_key_id is null then 'no_key'
            when message_keys.created_by_type = 'service_account' then 'service_account_key'
            else 'orphaned_key'
        end as unassigned_kind

    from messages_usages

    left join anthropic_api_keys as message_keys
        on messages_usages.api_key_id = message_keys.api_key_id

),

openai_api as (

    select
        {{ dbt.concat(["'openai_api:'", "completions_usages.completions_usage_id"]) }}
            as usage_id,
        'openai_api' as platform,
        'openai' as price_vendor,
        case
            when completions_usages.openai_user_id is null then 'api_key_id'
            else 'openai_user_id'
        end as identity_type,
        lower(coalesce(completions_usages.openai_user_id, completions_usages.api_key_id))
            as identity_value,
        coalesce(completions_usages.model, '{{ unreported_model() }}') as model,  -- noqa: RF04
        completions_usages.usage_date,
        completions_usages.bucket_started_at as started_at,
        completions_usages.bucket_ended_at as ended_at,
        completions_usages.input_tokens,
        completions_usages.cache_write_5m_tokens,
        completions_usages.cache_write_1h_tokens,
        completions_usages.cache_read_tokens,
        completions_usages.output_tokens,
        completions_usages.request_count,
        cast(null as {{ type_usd() }}) as vendor_cost_usd,
        cast(null as decimal(38, 12)) as ai_credits,
        {% for signal in code_signals -%}
            cast(null as {{ dbt.type_bigint() }}) as {{ signal }},
        {% endfor -%}
        completions_usages.api_key_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        cast(null as {{ dbt.type_string() }}) as agent_session_id,
        'vendor_report' as usage_source,
        false as is_claude_code_duplicate,
        openai_report_costs.report_cost_usd,
        case
            when completions_usages.openai_user_id is not null then null
            when completions_usages.api_key_id is not null then 'key'
            when completions_usages.project_id is not null then 'project'
            else 'org'
        end as unassigned_owner_kind,
        case
            when completions_usages.openai_user_id is null
                then coalesce(completions_usages.api_key_id, completions_usages.project_id)
        end as unassigned_owner_id,
        case
            when completions_usages.openai_user_id is not null then null
            when completions_usages.api_key_id is not null then 'service_account_key'
            when completions_usages.project_id is not null then 'no_key'
            else 'ungrouped'
        end as unassigned_kind

    from completions_usages

    left join openai_report_costs
        on completions_usages.completions_usage_id = openai_report_costs.completions_usage_id

),

cursor_requests as (

    select
        {{ dbt.concat(["'cursor:'", "usage_event_id"]) }} as usage_id,
        'cursor' as platform,
        'cursor' as price_vendor,
        'email' as identity_type,
        user_email as identity_value,
        coalesce(model, '{{ unreported_model() }}') as model,  -- noqa: RF04
        usage_date,
        event_at as started_at,
        event_at as ended_at,
        input_tokens,
        cache_write_5m_tokens,
        cache_write_1h_tokens,
        cache_read_tokens,
        output_tokens,
        cast(1 as {{ dbt.type_bigint() }}) as request_count,
        charged_usd as vendor_cost_usd,
        cast(null as decimal(38, 12)) as ai_credits,
        -- Cursor gives code output per user-day (daily usage), not per request: see sessions.
        {% for signal in code_signals -%}
            cast(null as {{ dbt.type_bigint() }}) as {{ signal }},
        {% endfor -%}
        cast(null as {{ dbt.type_string() }}) as api_key_id,
        conversation_id,
        cast(null as {{ dbt.type_string() }}) as agent_session_id,
        'vendor_report' as usage_source,
        false as is_claude_code_duplicate,
        cast(null as {{ type_usd() }}) as report_cost_usd,
        cast(null as {{ dbt.type_string() }}) as unassigned_owner_kind,
        cast(null as {{ dbt.type_string() }}) as unassigned_owner_id,
        cast(null as {{ dbt.type_string() }}) as unassigned_kind

    from cursor_usage_events

),

copilot_user_days_mapped as (

    select
        {{ dbt.concat(["'copilot:'", "user_day_metric_id"]) }} as usage_id,
        'copilot' as platform,
        cast(null as {{ dbt.type_string() }}) as price_vendor,
        'github_login' as identity_type,
        github_login as identity_value,
        'copilot' as model,  -- noqa: RF04
        usage_date,
        cast(usage_date as {{ dbt.type_timestamp() }}) as started_at,
        {{ dbt.dateadd('day', 1, 'cast(usage_date as ' ~ dbt.type_timestamp() ~ ')') }}
            as ended_at,
        -- Only the Copilot CLI reports tokens (prompt = all input; no cache split).
        cli_prompt_tokens as input_tokens,
        cast(0 as {{ dbt.type_bigint() }}) as cache_write_5m_tokens,
        cast(0 as {{ dbt.type_bigint() }}) as cache_write_1h_tokens,
        cast(0 as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cli_output_tokens as output_tokens,
        cast(interaction_count as {{ dbt.type_bigint() }}) as request_count,
        cast(null as {{ type_usd() }}) as vendor_cost_usd,
        ai_credits_used as ai_credits,
        cast(lines_added as {{ dbt.type_bigint() }}) as lines_added,
        cast(lines_removed as {{ dbt.type_bigint() }}) as lines_removed,
        cast(lines_added as {{ dbt.type_bigint() }}) as lines_accepted,
        cast(code_acceptance_count as {{ dbt.type_bigint() }}) as edits_accepted,
        -- Generated-but-not-accepted suggestions are not rejections: unknown.
        cast(null as {{ dbt.type_bigint() }}) as edits_rejected,
        cast(null as {{ dbt.type_bigint() }}) as commits,
        cast(null as {{ dbt.type_bigint() }}) as pull_requests,
        cli_session_count as vendor_num_sessions,
        cast(null as {{ dbt.type_string() }}) as api_key_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        cast(null as {{ dbt.type_string() }}) as agent_session_id,
        'vendor_report' as usage_source,
        false as is_claude_code_duplicate,
        cast(null as {{ type_usd() }}) as report_cost_usd,
        cast(null as {{ dbt.type_string() }}) as unassigned_owner_kind,
        cast(null as {{ dbt.type_string() }}) as unassigned_owner_id,
        cast(null as {{ dbt.type_string() }}) as unassigned_kind

    from copilot_user_days

),

telemetry as (

    select
        {{ dbt.concat(["'telemetry:'", "telemetry_request_id"]) }} as usage_id,
        platform,
        case platform when 'openai_api' then 'openai' else 'anthropic' end as price_vendor,
        -- A login without an email (an API key) is known by its account: unresolved, kept.
        case when user_email is null then 'account_uuid' else 'email' end as identity_type,
        coalesce(user_email, user_account_uuid, 'unknown') as identity_value,
        coalesce(model, '{{ unreported_model() }}') as model,  -- noqa: RF04
        usage_date,
        requested_at as started_at,
        requested_at as ended_at,
        input_tokens,
        cache_write_5m_tokens,
        cache_write_1h_tokens,
        cache_read_tokens,
        output_tokens,
        cast(1 as {{ dbt.type_bigint() }}) as request_count,
        cast(cost_usd as {{ type_usd() }}) as vendor_cost_usd,
        cast(null as decimal(38, 12)) as ai_credits,
        -- Code output is the session's (int_telemetry_session_signals), not the request's.
        {% for signal in code_signals -%}
            cast(null as {{ dbt.type_bigint() }}) as {{ signal }},
        {% endfor -%}
        cast(null as {{ dbt.type_string() }}) as api_key_id,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        agent_session_id,
        'telemetry' as usage_source,
        false as is_claude_code_duplicate,
        cast(null as {{ type_usd() }}) as report_cost_usd,
        cast(null as {{ dbt.type_string() }}) as unassigned_owner_kind,
        cast(null as {{ dbt.type_string() }}) as unassigned_owner_id,
        cast(null as {{ dbt.type_string() }}) as unassigned_kind

    from telemetry_requests

),

unioned as (

    select * from claude_code
    union all
    select * from anthropic_api
    union all
    select * from openai_api
    union all
    select * from cursor_requests
    union all
    select * from copilot_user_days_mapped
    union all
    select * from telemetry

)

select * from unioned
