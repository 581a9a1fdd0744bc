with

source as (

    select * from {{ archived_source('copilot', 'user_day_metrics', 'day', {
        'day': 'date',
        'user_id': 'bigint',
        'user_login': 'varchar',
        'ai_credits_used': 'decimal(38, 12)',
        'user_initiated_interaction_count': 'bigint',
        'code_generation_activity_count': 'bigint',
        'code_acceptance_activity_count': 'bigint',
        'loc_added_sum': 'bigint',
        'loc_deleted_sum': 'bigint',
        'used_agent': 'boolean',
        'used_chat': 'boolean',
        'used_cli': 'boolean',
        'totals_by_cli': 'json',
    }) }}

),

renamed as (

    select
        {{ dbt.concat(["cast(day as " ~ dbt.type_string() ~ ")", "'|'",
            "cast(user_id as " ~ dbt.type_string() ~ ")"]) }} as user_day_metric_id,
        cast(day as date) as usage_date,
        cast(user_id as {{ dbt.type_string() }}) as github_user_id,
        lower(user_login) as github_login,
        cast(coalesce(ai_credits_used, 0) as decimal(38, 12)) as ai_credits_used,
        coalesce(user_initiated_interaction_count, 0) as interaction_count,
        coalesce(code_generation_activity_count, 0) as code_generation_count,
        coalesce(code_acceptance_activity_count, 0) as code_acceptance_count,
        coalesce(loc_added_sum, 0) as lines_added,
        coalesce(loc_deleted_sum, 0) as lines_removed,
        coalesce(used_agent, false) as used_agent,
        coalesce(used_chat, false) as used_chat,
        coalesce(used_cli, false) as used_cli,
        -- Only the Copilot CLI reports tokens: prompt (all input) and output sums per user-day.
        cast(coalesce(cast(
            {{ json_extract_text('totals_by_cli', ['token_usage', 'prompt_tokens_sum']) }}
            as {{ dbt.type_bigint() }}
        ), 0) as {{ dbt.type_bigint() }}) as cli_prompt_tokens,
        cast(coalesce(cast(
            {{ json_extract_text('totals_by_cli', ['token_usage', 'output_tokens_sum']) }}
            as {{ dbt.type_bigint() }}
        ), 0) as {{ dbt.type_bigint() }}) as cli_output_tokens,
        cast(coalesce(cast(
            {{ json_extract_text('totals_by_cli', ['request_count']) }}
            as {{ dbt.type_bigint() }}
        ), 0) as {{ dbt.type_bigint() }}) as cli_request_count,
        cast(
            {{ json_extract_text('totals_by_cli', ['session_count']) }}
            as {{ dbt.type_bigint() }}
        ) as cli_session_count

    from source

)

select * from renamed
