with

source as (

    -- A pull request may have none, so a first night can lack the table.
    select * from {{ current_repository_source('raw_github', 'pull_request_reviews', {
        'id': 'varchar',
        'pull_request_id': 'varchar',
        'repo': 'varchar',
        'pr_number': 'bigint',
        'state': 'varchar',
        'author_login': 'varchar',
        'author_type': 'varchar',
        'commit_oid': 'varchar',
        'submitted_at': 'timestamp with time zone',
    }) }}

),

renamed as (

    select
        id as review_id,
        pull_request_id,
        repo,
        cast(pr_number as {{ dbt.type_int() }}) as pr_number,
        upper(state) as review_state,
        lower(author_login) as reviewer_login,
        author_type as reviewer_type,
        commit_oid,
        {{ to_utc_timestamp('submitted_at') }} as submitted_at

    from source

)

select * from renamed
