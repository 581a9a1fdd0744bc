with

source as (

    -- Absent until the first run that finds a merged pull request (durability skips before).
    select * from {{ current_repository_source('raw_git', 'pr_survival', {
        'repo': 'varchar',
        'number': 'bigint',
        'horizon_days': 'bigint',
        'snapshot_oid': 'varchar',
        'snapshot_at': 'timestamp with time zone',
        'effective_lines_added': 'bigint',
        'lines_surviving': 'bigint',
        'survival_rate': 'double precision',
        'computed_for_date': 'date',
        'measured_as_of': 'timestamp with time zone',
    }) }}

),

renamed as (

    select
        repo,
        cast(number as {{ dbt.type_int() }}) as pr_number,
        {{ dbt.concat(["repo", "'#'", "cast(number as " ~ dbt.type_string() ~ ")"]) }}
            as pull_request_key,
        cast(horizon_days as {{ dbt.type_int() }}) as horizon_days,
        snapshot_oid,
        cast(effective_lines_added as {{ dbt.type_int() }}) as effective_lines_added,
        cast(lines_surviving as {{ dbt.type_int() }}) as lines_surviving,
        -- Recomputed exactly from the integer counts rather than trusting a float column;
        -- null when the PR added no effective lines (a rate of nothing is undefined).
        cast(
            case
                when effective_lines_added > 0
                    then
                        cast(lines_surviving as decimal(18, 6))
                        / cast(effective_lines_added as decimal(18, 6))
            end as decimal(18, 6)
        ) as survival_rate,
        computed_for_date,
        {{ to_utc_timestamp('snapshot_at') }} as snapshot_at,
        {{ to_utc_timestamp('measured_as_of') }} as measured_as_of

    from source

)

select * from renamed
