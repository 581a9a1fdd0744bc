with

source as (

    -- Absent until GitHub is configured and has loaded a pull request.
    select * from {{ current_repository_source('raw_github', 'pull_request_timeline_events', {
        'id': 'varchar',
        'pull_request_id': 'varchar',
        'repo': 'varchar',
        'pr_number': 'bigint',
        'position': 'bigint',
        'typename': 'varchar',
        'actor_login': 'varchar',
        'commit_oid': 'varchar',
        'requested_reviewer_type': 'varchar',
        'requested_reviewer_login': 'varchar',
        'will_close_target': 'boolean',
        'source_type': 'varchar',
        'source_repo': 'varchar',
        'source_number': 'bigint',
        'source_title': 'varchar',
        'source_head_ref_name': 'varchar',
        'created_at': 'timestamp with time zone',
    }) }}

),

renamed as (

    select
        id as timeline_event_id,
        pull_request_id,
        repo,
        cast(pr_number as {{ dbt.type_int() }}) as pr_number,
        cast(position as {{ dbt.type_int() }}) as event_position,
        typename as event_type,
        lower(actor_login) as actor_login,
        commit_oid,
        requested_reviewer_type,
        lower(requested_reviewer_login) as requested_reviewer_login,
        will_close_target,
        source_type,
        source_repo,
        cast(source_number as {{ dbt.type_int() }}) as source_pr_number,
        source_title,
        source_head_ref_name,
        {{ to_utc_timestamp('created_at') }} as created_at

    from source

)

select * from renamed
