with

source as (

    select * from {{ archived_source('anthropic', 'messages_usage', 'bucket_date', {
        'row_key': 'varchar',
        'bucket_start': 'timestamp with time zone',
        'bucket_end': 'timestamp with time zone',
        'bucket_date': 'date',
        'api_key_id': 'varchar',
        'workspace_id': 'varchar',
        'model': 'varchar',
        'service_tier': 'varchar',
        'uncached_input_tokens': 'bigint',
        'cache_creation__ephemeral_5m_input_tokens': 'bigint',
        'cache_creation__ephemeral_1h_input_tokens': 'bigint',
        'cache_read_input_tokens': 'bigint',
        'output_tokens': 'bigint',
    }) }}

),

renamed as (

    select
        row_key as messages_usage_id,
        {{ to_utc_timestamp('bucket_start') }} as bucket_started_at,
        {{ to_utc_timestamp('bucket_end') }} as bucket_ended_at,
        cast(bucket_date as date) as usage_date,
        api_key_id,
        workspace_id,
        model,
        service_tier,
        -- Anthropic's convention is already ours: input excludes cache reads and writes.
        cast(coalesce(uncached_input_tokens, 0) as {{ dbt.type_bigint() }}) as input_tokens,
        cast(coalesce(cache_creation__ephemeral_5m_input_tokens, 0) as {{ dbt.type_bigint() }})
            as cache_write_5m_tokens,
        cast(coalesce(cache_creation__ephemeral_1h_input_tokens, 0) as {{ dbt.type_bigint() }})
            as cache_write_1h_tokens,
        cast(coalesce(cache_read_input_tokens, 0) as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cast(coalesce(output_tokens, 0) as {{ dbt.type_bigint() }}) as output_tokens

    from source

)

select * from renamed
