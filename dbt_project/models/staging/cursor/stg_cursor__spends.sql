with

source as (

    select * from {{ archived_source('cursor', 'spend', 'snapshot_date', {
        'snapshot_date': 'date',
        'user_id': 'varchar',
        'email': 'varchar',
        'subscription_cycle_start_ms': 'bigint',
        'spend_cents': 'decimal(38, 12)',
        'overall_spend_cents': 'decimal(38, 12)',
        'fast_premium_requests': 'bigint',
    }) }}

),

renamed as (

    select
        {{ dbt.concat(["cast(snapshot_date as " ~ dbt.type_string() ~ ")", "'|'", "user_id"]) }}
            as spend_id,
        cast(snapshot_date as date) as snapshot_date,
        user_id as cursor_user_id,
        lower(trim(email)) as email,
        cast({{ dbt.dateadd(
            'second',
            'cast(subscription_cycle_start_ms / 1000 as ' ~ dbt.type_bigint() ~ ')',
            "cast('1970-01-01' as " ~ dbt.type_timestamp() ~ ")",
        ) }} as date) as cycle_start_date,
        {{ cents_to_usd('spend_cents') }} as spend_usd,
        {{ cents_to_usd('overall_spend_cents') }} as overall_spend_usd,
        fast_premium_requests

    from source

)

select * from renamed
