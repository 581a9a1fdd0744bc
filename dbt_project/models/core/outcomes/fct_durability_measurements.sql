-- One row per (merged pull request, horizon) the git durability asset has measured: when it was
-- measured (the run day and the history it saw). The source's activity, for data quality and
-- freshness; the survival figures themselves are fct_pr_durability's.

with

survival as (

    select * from {{ ref('stg_git__pr_survival') }}

),

final as (

    select
        {{ dbt.concat([
            "pull_request_key", "'@'", "cast(horizon_days as " ~ dbt.type_string() ~ ")"
        ]) }} as pr_durability_id,
        pull_request_key,
        repo,
        pr_number,
        horizon_days,
        computed_for_date,
        measured_as_of

    from survival

)

select * from final
