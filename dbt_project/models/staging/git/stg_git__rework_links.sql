with

source as (

    -- dlt creates the table only once a rework row exists: until then it reads as empty.
    select * from {{ current_repository_source('raw_git', 'rework_links', {
        'repo': 'varchar',
        'original_number': 'bigint',
        'later_number': 'bigint',
        'later_commit_oid': 'varchar',
        'lines_reworked': 'bigint',
        'first_reworked_at': 'timestamp with time zone',
        'days_after_merge': 'double precision',
        'is_revert': 'boolean',
        'horizon_days': 'bigint',
        'measured_as_of': 'timestamp with time zone',
    }) }}

),

renamed as (

    select
        repo,
        cast(original_number as {{ dbt.type_int() }}) as original_pr_number,
        {{ dbt.concat(["repo", "'#'", "cast(original_number as " ~ dbt.type_string() ~ ")"]) }}
            as original_pull_request_key,
        cast(later_number as {{ dbt.type_int() }}) as later_pr_number,
        -- concat of a null number is null: no key for commits outside any PR.
        {{ dbt.concat(["repo", "'#'", "cast(later_number as " ~ dbt.type_string() ~ ")"]) }}
            as later_pull_request_key,
        later_commit_oid,
        cast(lines_reworked as {{ dbt.type_int() }}) as lines_reworked,
        days_after_merge,
        coalesce(is_revert, false) as is_revert,
        cast(horizon_days as {{ dbt.type_int() }}) as horizon_days,
        {{ to_utc_timestamp('first_reworked_at') }} as first_reworked_at,
        {{ to_utc_timestamp('measured_as_of') }} as measured_as_of

    from source

)

select * from renamed
