with

source as (

    select * from {{ source('raw_github', 'pull_request_timeline_events') }}

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
