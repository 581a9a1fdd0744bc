with

source as (

    select * from {{ archived_source('anthropic', 'claude_code_actor_days', 'usage_date', {
        'usage_date': 'date',
        'actor_type': 'varchar',
        'actor_key': 'varchar',
        'actor_email_address': 'varchar',
        'actor_api_key_name': 'varchar',
        'remote': 'boolean',
        'num_sessions': 'bigint',
        'lines_added': 'bigint',
        'lines_removed': 'bigint',
        'commits_by_claude_code': 'bigint',
        'pull_requests_by_claude_code': 'bigint',
        'tool_actions': 'json',
    }) }}

),

renamed as (

    select
        {{ dbt.hash(dbt.concat([
            "cast(usage_date as " ~ dbt.type_string() ~ ")", "'|'", "actor_type", "'|'",
            "actor_key", "'|'", "cast(remote as " ~ dbt.type_string() ~ ")",
        ])) }} as claude_code_actor_day_id,
        cast(usage_date as date) as usage_date,
        actor_type,
        lower(actor_key) as actor_key,
        lower(actor_email_address) as actor_email,
        actor_api_key_name,
        coalesce(remote, false) as is_remote,
        cast(num_sessions as {{ dbt.type_bigint() }}) as num_sessions,
        cast(lines_added as {{ dbt.type_bigint() }}) as lines_added,
        cast(lines_removed as {{ dbt.type_bigint() }}) as lines_removed,
        cast(commits_by_claude_code as {{ dbt.type_bigint() }}) as commits,
        cast(pull_requests_by_claude_code as {{ dbt.type_bigint() }}) as pull_requests,
        -- Edit decisions: the sum over the edit tools of tool_actions.
        {{ claude_code_edit_decisions('tool_actions', 'accepted') }} as edits_accepted,
        {{ claude_code_edit_decisions('tool_actions', 'rejected') }} as edits_rejected

    from source

)

select * from renamed
