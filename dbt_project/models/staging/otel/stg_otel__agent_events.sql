with

source as (

    select * from {{ optional_source('otel', 'agent_events', {
        'record_key': 'varchar',
        'event_date': 'date',
        'event_at': 'timestamp with time zone',
        'agent': 'varchar',
        'event_name': 'varchar',
        'session_id': 'varchar',
        'user_email': 'varchar',
        'prompt_id': 'varchar',
        'model': 'varchar',
        'prompt_length': 'bigint',
        'tool_name': 'varchar',
        'decision': 'varchar',
        'decision_source': 'varchar',
        'success': 'boolean',
        'duration_ms': 'bigint',
        'status_code': 'bigint',
        'attempt': 'bigint',
    }) }}

),

renamed as (

    select
        record_key as agent_event_id,
        {{ to_utc_timestamp('event_at') }} as event_at,
        cast(event_date as date) as event_date,
        agent,
        case agent when 'codex' then 'openai_api' else agent end as platform,
        -- `claude_code.tool_decision` -> `tool_decision`, the same name for both agents.
        {{ dbt.split_part('event_name', "'.'", 2) }} as event_type,
        session_id as agent_session_id,
        lower(trim(user_email)) as user_email,
        prompt_id,
        model,
        prompt_length,
        tool_name,
        -- Claude Code says accept/reject, Codex approved/denied.
        case
            when lower(decision) in ('accept', 'approved', 'approved_for_session') then 'accept'
            when lower(decision) in ('reject', 'denied', 'abort') then 'reject'
            else lower(decision)
        end as decision,
        decision_source,
        success as is_success,
        duration_ms,
        status_code,
        attempt

    from source

)

select * from renamed
