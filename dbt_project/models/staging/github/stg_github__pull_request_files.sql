with

source as (

    select * from {{ source('raw_github', 'pull_request_files') }}

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
