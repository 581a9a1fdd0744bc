with

source as (

    select * from {{ archived_source('copilot', 'seats', 'snapshot_date', {
        'snapshot_date': 'date',
        'assignee_key': 'varchar',
        'assignee_login': 'varchar',
        'assignee__id': 'bigint',
        'assignee__type': 'varchar',
        'plan_type': 'varchar',
        'created_at': 'timestamp with time zone',
        'pending_cancellation_date': 'varchar',
        'last_activity_at': 'timestamp with time zone',
        'last_activity_editor': 'varchar',
    }) }}

),

renamed as (

    select
        {{ dbt.concat([
            "cast(snapshot_date as " ~ dbt.type_string() ~ ")", "'|'", "assignee_key",
        ]) }} as seat_snapshot_id,
        cast(snapshot_date as date) as snapshot_date,
        assignee_key,
        coalesce(assignee__type, 'User') as assignee_type,
        cast(assignee__id as {{ dbt.type_string() }}) as github_user_id,
        lower(assignee_login) as github_login,
        lower(coalesce(plan_type, 'business')) as plan_type,
        {{ to_utc_timestamp('created_at') }} as seat_created_at,
        cast(pending_cancellation_date as date) as pending_cancellation_date,
        {{ to_utc_timestamp('last_activity_at') }} as last_activity_at,
        last_activity_editor

    from source

)

select * from renamed
