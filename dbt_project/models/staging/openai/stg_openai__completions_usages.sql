with

source as (

    select * from {{ archived_source('openai', 'completions_usage', 'bucket_date', {
        'row_key': 'varchar',
        'start_time': 'bigint',
        'end_time': 'bigint',
        'bucket_start': 'timestamp with time zone',
        'bucket_date': 'date',
        'user_id': 'varchar',
        'api_key_id': 'varchar',
        'project_id': 'varchar',
        'model': 'varchar',
        'batch': 'boolean',
        'service_tier': 'varchar',
        'input_tokens': 'bigint',
        'input_cached_tokens': 'bigint',
        'input_cache_write_tokens': 'bigint',
        'input_uncached_tokens': 'bigint',
        'output_tokens': 'bigint',
        'num_model_requests': 'bigint',
    }) }}

),

renamed as (

    select
        row_key as completions_usage_id,
        {{ to_utc_timestamp('bucket_start') }} as bucket_started_at,
        {{ dbt.dateadd(
            'second',
            'coalesce(end_time - start_time, 3600)',
            to_utc_timestamp('bucket_start'),
        ) }} as bucket_ended_at,
        cast(bucket_date as date) as usage_date,
        user_id as openai_user_id,
        api_key_id,
        project_id,
        model,
        coalesce(batch, false) as is_batch,
        service_tier,
        -- OpenAI's input_tokens INCLUDES cached reads and cache writes; ours is uncached only.
        -- Prefer the explicit uncached count; older payloads lack it, so subtract instead.
        cast(coalesce(
            input_uncached_tokens,
            input_tokens - coalesce(input_cached_tokens, 0) - coalesce(input_cache_write_tokens, 0)
        ) as {{ dbt.type_bigint() }}) as input_tokens,
        -- OpenAI has one cache-write price: it is the 5-minute write of our schema.
        cast(coalesce(input_cache_write_tokens, 0) as {{ dbt.type_bigint() }})
            as cache_write_5m_tokens,
        cast(0 as {{ dbt.type_bigint() }}) as cache_write_1h_tokens,
        cast(coalesce(input_cached_tokens, 0) as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cast(coalesce(output_tokens, 0) as {{ dbt.type_bigint() }}) as output_tokens,
        cast(coalesce(num_model_requests, 0) as {{ dbt.type_bigint() }}) as request_count

    from source

)

select * from renamed
