with

source as (

    select * from {{ archived_source('cursor', 'daily_usage', 'day', {
        'day': 'varchar',
        'user_id': 'bigint',
        'email': 'varchar',
        'is_active': 'boolean',
        'total_lines_added': 'bigint',
        'total_lines_deleted': 'bigint',
        'accepted_lines_added': 'bigint',
        'accepted_lines_deleted': 'bigint',
        'total_applies': 'bigint',
        'total_accepts': 'bigint',
        'total_rejects': 'bigint',
        'total_tabs_shown': 'bigint',
        'total_tabs_accepted': 'bigint',
        'composer_requests': 'bigint',
        'chat_requests': 'bigint',
        'agent_requests': 'bigint',
        'cmdk_usages': 'bigint',
        'most_used_model': 'varchar',
    }) }}

),

renamed as (

    select
        {{ dbt.concat(["cast(day as " ~ dbt.type_string() ~ ")", "'|'",
            "cast(user_id as " ~ dbt.type_string() ~ ")"]) }} as daily_usage_id,
        cast(day as date) as usage_date,
        cast(user_id as {{ dbt.type_string() }}) as cursor_numeric_user_id,
        lower(trim(email)) as email,
        coalesce(is_active, false) as is_active,
        coalesce(total_lines_added, 0) as total_lines_added,
        coalesce(total_lines_deleted, 0) as total_lines_deleted,
        coalesce(accepted_lines_added, 0) as accepted_lines_added,
        coalesce(accepted_lines_deleted, 0) as accepted_lines_deleted,
        coalesce(total_applies, 0) as total_applies,
        coalesce(total_accepts, 0) as total_accepts,
        coalesce(total_rejects, 0) as total_rejects,
        coalesce(total_tabs_shown, 0) as total_tabs_shown,
        coalesce(total_tabs_accepted, 0) as total_tabs_accepted,
        coalesce(composer_requests, 0) + coalesce(chat_requests, 0)
        + coalesce(agent_requests, 0) + coalesce(cmdk_usages, 0) as request_count,
        most_used_model

    from source

)

select * from renamed
