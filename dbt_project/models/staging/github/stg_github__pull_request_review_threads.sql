with

source as (

    -- A pull request may have none, so a first night can lack the table.
    select * from {{ current_repository_source('raw_github', 'pull_request_review_threads', {
        'id': 'varchar',
        'pull_request_id': 'varchar',
        'repo': 'varchar',
        'pr_number': 'bigint',
        'path': 'varchar',
        'line': 'bigint',
        'is_resolved': 'boolean',
        'is_outdated': 'boolean',
        'comments_count': 'bigint',
    }) }}

),

renamed as (

    select
        id as review_thread_id,
        pull_request_id,
        repo,
        cast(pr_number as {{ dbt.type_int() }}) as pr_number,
        path as file_path,
        cast(line as {{ dbt.type_int() }}) as line_number,
        coalesce(is_resolved, false) as is_resolved,
        coalesce(is_outdated, false) as is_outdated,
        cast(coalesce(comments_count, 0) as {{ dbt.type_int() }}) as comment_count

    from source

)

select * from renamed
