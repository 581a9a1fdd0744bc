with

source as (

    -- Absent until GitHub is configured and has loaded a pull request.
    select * from {{ current_repository_source('raw_github', 'pull_request_commits', {
        'pull_request_id': 'varchar',
        'repo': 'varchar',
        'pr_number': 'bigint',
        'position': 'bigint',
        'oid': 'varchar',
        'message': 'varchar',
        'additions': 'bigint',
        'deletions': 'bigint',
        'author_name': 'varchar',
        'author_email': 'varchar',
        'author_login': 'varchar',
        'committer_name': 'varchar',
        'committer_email': 'varchar',
        'committer_login': 'varchar',
        'authored_date': 'timestamp with time zone',
        'committed_date': 'timestamp with time zone',
    }) }}

),

renamed as (

    select
        pull_request_id,
        repo,
        cast(pr_number as {{ dbt.type_int() }}) as pr_number,
        cast(position as {{ dbt.type_int() }}) as commit_position,
        oid as commit_oid,
        coalesce(message, '') as message,
        cast(additions as {{ dbt.type_int() }}) as additions,
        cast(deletions as {{ dbt.type_int() }}) as deletions,
        author_name,
        lower(author_email) as author_email,
        lower(author_login) as author_login,
        committer_name,
        lower(committer_email) as committer_email,
        lower(committer_login) as committer_login,
        {{ to_utc_timestamp('authored_date') }} as authored_at,
        {{ to_utc_timestamp('committed_date') }} as committed_at

    from source

)

select * from renamed
