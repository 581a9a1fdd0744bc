with

source as (

    select * from {{ optional_source('otel', 'api_requests', {
        'record_key': 'varchar',
        'event_date': 'date',
        'event_at': 'timestamp with time zone',
        'agent': 'varchar',
        'session_id': 'varchar',
        'user_email': 'varchar',
        'user_account_uuid': 'varchar',
        'organization_id': 'varchar',
        'prompt_id': 'varchar',
        'request_id': 'varchar',
        'model': 'varchar',
        'cost_usd': 'decimal(38, 12)',
        'input_tokens': 'bigint',
        'output_tokens': 'bigint',
        'cache_read_tokens': 'bigint',
        'cache_creation_tokens': 'bigint',
        'cached_input_tokens': 'bigint',
        'reasoning_tokens': 'bigint',
        'duration_ms': 'bigint',
        'query_source': 'varchar',
        'effort': 'varchar',
        'speed': 'varchar',
        'resource_team': 'varchar',
        'resource_department': 'varchar',
        'resource_repository': 'varchar',
    }) }}

),

renamed as (

    select
        record_key as telemetry_request_id,
        {{ to_utc_timestamp('event_at') }} as requested_at,
        cast(event_date as date) as usage_date,
        agent,
        -- Codex is billed through OpenAI API keys: its usage is the OpenAI platform's.
        case agent when 'codex' then 'openai_api' else agent end as platform,
        session_id as agent_session_id,
        lower(trim(user_email)) as user_email,
        user_account_uuid,
        organization_id,
        prompt_id,
        request_id,
        model,
        cost_usd,
        -- Tokens in the warehouse's convention (docs/metrics.md): Claude Code's input_tokens is
        -- uncached and its cache creation has no TTL split (a 5-minute write, as in the Admin
        -- report); Codex's input count includes the cached tokens (OpenAI's convention), and
        -- Codex does not tell cache writes apart, so they stay in the uncached input.
        cast(case
            when agent = 'codex' then coalesce(input_tokens, 0) - coalesce(cached_input_tokens, 0)
            else coalesce(input_tokens, 0)
        end as {{ dbt.type_bigint() }}) as input_tokens,
        cast(case
            when agent = 'codex' then 0 else coalesce(cache_creation_tokens, 0)
        end as {{ dbt.type_bigint() }}) as cache_write_5m_tokens,
        cast(0 as {{ dbt.type_bigint() }}) as cache_write_1h_tokens,
        cast(case
            when agent = 'codex' then coalesce(cached_input_tokens, 0)
            else coalesce(cache_read_tokens, 0)
        end as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cast(coalesce(output_tokens, 0) as {{ dbt.type_bigint() }}) as output_tokens,
        cast(reasoning_tokens as {{ dbt.type_bigint() }}) as reasoning_tokens,
        duration_ms,
        query_source,
        effort,
        speed,
        resource_team,
        resource_department,
        resource_repository

    from source

)

select * from renamed
