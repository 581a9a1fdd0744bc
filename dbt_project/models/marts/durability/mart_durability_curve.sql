-- One row per repository, merge month, AI-assisted flag and durability horizon: how much of the
-- merged code is still there 7, 30 and 90 days later. The report draws one curve per AI-assisted
-- flag from it; the line-weighted survival rate is the curve, the PR counts say how much of it is
-- measured yet (a horizon that has not passed is pending, never counted as lost).

with

durability as (

    select * from {{ ref('fct_pr_durability') }}

),

pull_requests as (

    select * from {{ ref('fct_pull_requests') }}

),

per_pull_request as (

    select
        durability.repo,
        cast({{ dbt.date_trunc('month', 'durability.merged_at') }} as date) as merged_month,
        pull_requests.is_ai_assisted,
        durability.horizon_days,
        durability.is_surviving_above_threshold,
        case when durability.status = 'measured' then 1 else 0 end as is_measured,
        case when durability.status = 'pending' then 1 else 0 end as is_pending,
        -- Lines only count where the horizon is measured and the PR added effective lines.
        case
            when durability.status = 'measured' then coalesce(durability.effective_lines_added, 0)
            else 0
        end as measured_lines_added,
        case
            when durability.status = 'measured' then coalesce(durability.lines_surviving, 0)
            else 0
        end as measured_lines_surviving

    from durability

    inner join pull_requests
        on durability.pull_request_id = pull_requests.pull_request_id

),

final as (

    select
        repo,
        merged_month,
        is_ai_assisted,
        horizon_days,
        cast(count(*) as bigint) as merged_pr_count,
        cast(sum(is_measured) as bigint) as measured_pr_count,
        cast(sum(is_pending) as bigint) as pending_pr_count,
        cast(sum(measured_lines_added) as bigint) as effective_lines_added,
        cast(sum(measured_lines_surviving) as bigint) as lines_surviving,
        cast(
            sum(measured_lines_surviving) * 1.0 / nullif(sum(measured_lines_added), 0)
            as decimal(18, 6)
        ) as survival_rate,
        cast(
            sum(case when is_surviving_above_threshold then 1 else 0 end) as bigint
        ) as durable_pr_count,
        cast(
            sum(case when is_surviving_above_threshold then 1 else 0 end) * 1.0
            / nullif(count(is_surviving_above_threshold), 0)
            as decimal(18, 6)
        ) as durable_share

    from per_pull_request

    group by
        repo,
        merged_month,
        is_ai_assisted,
        horizon_days

)

select * from final
