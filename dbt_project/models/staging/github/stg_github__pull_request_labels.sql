with

source as (

    -- A pull request may have none, so a first night can lack the table.
    select * from {{ current_repository_source('raw_github', 'pull_request_labels', {
        'pull_request_id': 'varchar',
        'repo': 'varchar',
        'pr_number': 'bigint',
        'name': 'varchar',
    }) }}

),

renamed as (

    select
        pull_request_id,
        repo,
        cast(pr_number as {{ dbt.type_int() }}) as pr_number,
        name as label_name,
        -- Rules match labels case-insensitively ("Bug" and "bug" are the same label to people).
        lower(name) as label_name_normalized

    from source

)

select * from renamed
