with

source as (

    select * from {{ archived_source('cursor', 'usage_events', 'event_date', {
        'event_key': 'varchar',
        'event_at': 'timestamp with time zone',
        'event_date': 'date',
        'user_email': 'varchar',
        'service_account_id': 'varchar',
        'cloud_agent_id': 'varchar',
        'conversation_id': 'varchar',
        'model': 'varchar',
        'kind': 'varchar',
        'max_mode': 'boolean',
        'is_token_based_call': 'boolean',
        'is_chargeable': 'boolean',
        'is_headless': 'boolean',
        'charged_cents': 'decimal(38, 10)',
        'cursor_token_fee': 'decimal(38, 10)',
        'token_usage__input_tokens': 'bigint',
        'token_usage__output_tokens': 'bigint',
        'token_usage__cache_write_tokens': 'bigint',
        'token_usage__cache_read_tokens': 'bigint',
        'token_usage__total_cents': 'decimal(38, 10)',
    }) }}

),

renamed as (

    select
        event_key as usage_event_id,
        {{ to_utc_timestamp('event_at') }} as event_at,
        cast(event_date as date) as usage_date,
        lower(trim(user_email)) as user_email,
        service_account_id,
        cloud_agent_id,
        conversation_id,
        model,
        kind,
        coalesce(max_mode, false) as is_max_mode,
        coalesce(is_token_based_call, false) as is_token_based_call,
        coalesce(is_chargeable, false) as is_chargeable,
        coalesce(is_headless, false) as is_headless,
        -- Cursor's inputTokens is uncached; its cache writes have no TTL split and are priced
        -- like Anthropic 5-minute writes, so they are 5-minute writes here.
        cast(coalesce(token_usage__input_tokens, 0) as {{ dbt.type_bigint() }}) as input_tokens,
        cast(coalesce(token_usage__cache_write_tokens, 0) as {{ dbt.type_bigint() }})
            as cache_write_5m_tokens,
        cast(0 as {{ dbt.type_bigint() }}) as cache_write_1h_tokens,
        cast(coalesce(token_usage__cache_read_tokens, 0) as {{ dbt.type_bigint() }})
            as cache_read_tokens,
        cast(coalesce(token_usage__output_tokens, 0) as {{ dbt.type_bigint() }}) as output_tokens,
        -- chargedCents is what the request cost (incl. Cursor's token fee and discounts).
        {{ cents_to_usd('charged_cents') }} as charged_usd,
        {{ cents_to_usd('token_usage__total_cents') }} as model_cost_usd,
        {{ cents_to_usd('cursor_token_fee') }} as cursor_token_fee_usd

    from source

)

select * from renamed
