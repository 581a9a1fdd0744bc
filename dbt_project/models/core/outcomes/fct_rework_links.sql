-- One row per (original pull request, later pull request) where the later PR deleted or changed
-- effective lines the original added within `rework_window_days` of its merge (git blame
-- --reverse, `orchestration/lib/git_durability/`). When the killing commit belongs to no known
-- PR (a direct push) the row is per killing commit. Only the largest measured horizon of each
-- original PR is kept (a 30-day measurement supersedes the 7-day one).

with

rework as (

    select * from {{ ref('stg_git__rework_links') }}

),

pull_requests as (

    select * from {{ ref('int_pull_requests_enriched') }}

),

latest_horizon as (

    select
        original_pull_request_key,
        max(horizon_days) as horizon_days

    from rework

    group by original_pull_request_key

),

kept as (

    select rework.*

    from rework

    inner join latest_horizon
        on
            rework.original_pull_request_key = latest_horizon.original_pull_request_key
            and rework.horizon_days = latest_horizon.horizon_days

    where rework.days_after_merge <= {{ var('rework_window_days') }}

),

grouped as (

    select
        original_pull_request_key,
        coalesce(later_pull_request_key, later_commit_oid) as later_key,
        max(later_pull_request_key) as later_pull_request_key,
        min(later_commit_oid) as later_commit_oid,
        max(repo) as repo,
        sum(lines_reworked) as lines_reworked,
        min(first_reworked_at) as first_reworked_at,
        min(days_after_merge) as days_after_merge,
        max(case when is_revert then 1 else 0 end) = 1 as is_revert,
        max(horizon_days) as horizon_days

    from kept

    group by
        original_pull_request_key,
        coalesce(later_pull_request_key, later_commit_oid)

),

final as (

    select
        {{ dbt.concat(["grouped.original_pull_request_key", "'>'", "grouped.later_key"]) }}
            as rework_link_id,
        originals.pull_request_id as original_pull_request_id,
        grouped.original_pull_request_key,
        laters.pull_request_id as later_pull_request_id,
        grouped.later_pull_request_key,
        grouped.later_commit_oid,
        grouped.repo,
        grouped.lines_reworked,
        originals.effective_lines_added as original_effective_lines_added,
        cast(
            case
                when originals.effective_lines_added > 0
                    then
                        cast(grouped.lines_reworked as decimal(18, 6))
                        / cast(originals.effective_lines_added as decimal(18, 6))
            end as decimal(18, 6)
        ) as share_of_original_lines,
        grouped.first_reworked_at,
        grouped.days_after_merge,
        grouped.is_revert,
        grouped.horizon_days

    from grouped

    left join pull_requests as originals
        on grouped.original_pull_request_key = originals.pull_request_key

    left join pull_requests as laters
        on grouped.later_pull_request_key = laters.pull_request_key

)

select * from final
