with

source as (

    -- A pull request may have none, so a first night can lack the table.
    select * from {{ current_repository_source('raw_github', 'pull_request_files', {
        'pull_request_id': 'varchar',
        'repo': 'varchar',
        'pr_number': 'bigint',
        'path': 'varchar',
        'additions': 'bigint',
        'deletions': 'bigint',
        'change_type': 'varchar',
    }) }}

),

renamed as (

    select
        pull_request_id,
        repo,
        cast(pr_number as {{ dbt.type_int() }}) as pr_number,
        path as file_path,
        cast(additions as {{ dbt.type_int() }}) as additions,
        cast(deletions as {{ dbt.type_int() }}) as deletions,
        upper(change_type) as change_type

    from source

)

select * from renamed
