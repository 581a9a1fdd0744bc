with

source as (

    select * from {{ optional_source('otel', 'metric_points', {
        'point_key': 'varchar',
        'event_date': 'date',
        'event_at': 'timestamp with time zone',
        'started_at': 'timestamp with time zone',
        'agent': 'varchar',
        'metric_name': 'varchar',
        'session_id': 'varchar',
        'user_email': 'varchar',
        'type': 'varchar',
        'model': 'varchar',
        'value': 'double precision',
        'aggregation_temporality': 'varchar',
    }) }}

),

renamed as (

    select
        point_key as metric_point_id,
        {{ to_utc_timestamp('event_at') }} as measured_at,
        {{ to_utc_timestamp('started_at') }} as started_at,
        cast(event_date as date) as measured_date,
        agent,
        case agent when 'codex' then 'openai_api' else agent end as platform,
        metric_name,
        session_id as agent_session_id,
        lower(trim(user_email)) as user_email,
        type as point_type,
        model,
        value as point_value,
        aggregation_temporality

    from source

)

select * from renamed
