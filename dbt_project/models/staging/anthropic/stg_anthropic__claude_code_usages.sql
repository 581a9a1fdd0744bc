with

source as (

    select * from {{ archived_source('anthropic', 'claude_code_usage', 'usage_date', {
        'usage_date': 'date',
        'actor_type': 'varchar',
        'actor_key': 'varchar',
        'actor_email_address': 'varchar',
        'actor_api_key_name': 'varchar',
        'remote': 'boolean',
        'model': 'varchar',
        'input_tokens': 'bigint',
        'output_tokens': 'bigint',
        'cache_read_tokens': 'bigint',
        'cache_creation_tokens': 'bigint',
        'estimated_cost_usd': 'decimal(38, 12)',
        'customer_type': 'varchar',
        'subscription_type': 'varchar',
        'terminal_type': 'varchar',
    }) }}

),

renamed as (

    select
        {{ dbt.hash(dbt.concat([
            "cast(usage_date as " ~ dbt.type_string() ~ ")", "'|'", "actor_type", "'|'",
            "actor_key", "'|'", "cast(remote as " ~ dbt.type_string() ~ ")", "'|'", "model",
        ])) }} as claude_code_usage_id,
        cast(usage_date as date) as usage_date,
        actor_type,
        lower(actor_key) as actor_key,
        lower(actor_email_address) as actor_email,
        actor_api_key_name,
        coalesce(remote, false) as is_remote,
        model,
        -- Anthropic's input is already uncached; the report does not split cache writes by TTL,
        -- so they count as 5-minute writes (cost comes from the vendor's estimate, so the split
        -- never changes cost_usd; it only affects list_cost_usd and cache metrics slightly).
        cast(coalesce(input_tokens, 0) as {{ dbt.type_bigint() }}) as input_tokens,
        cast(coalesce(cache_creation_tokens, 0) as {{ dbt.type_bigint() }})
            as cache_write_5m_tokens,
        cast(0 as {{ dbt.type_bigint() }}) as cache_write_1h_tokens,
        cast(coalesce(cache_read_tokens, 0) as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cast(coalesce(output_tokens, 0) as {{ dbt.type_bigint() }}) as output_tokens,
        cast(estimated_cost_usd as {{ type_usd() }}) as estimated_cost_usd,
        customer_type,
        subscription_type,
        terminal_type

    from source

)

select * from renamed
