-- One row per platform, month and work type: mart_platform_efficiency split by the kind of work
-- (METRICS.md "platform × month (× work type)"). The platform-month headline stays in
-- mart_platform_efficiency, one row per platform and month, so that its totals are never summed
-- twice; this mart answers "what does a feat cost on Claude Code next to a fix?".
--
-- Spend reaches a work type only through attribution: the spend attributed to PRs of that work
-- type. Unattributed usage and seat cost have no work type, so the platform-month's total spend
-- is allocated over its work types in proportion to their attributed spend (allocated_spend_usd,
-- which adds up to the platform-month's total spend whenever any of it is attributed); cost per
-- accepted outcome uses the allocated spend, like the headline uses total spend, and the
-- attributed-only figure is shown next to it. Outcomes are split across platforms by cost share
-- exactly as in mart_platform_efficiency and dated by merge (or close) month.

with

spend as (

    select * from {{ ref('fct_session_spend') }}

),

pull_requests as (

    select * from {{ ref('fct_pull_requests') }}

),

durability as (

    select * from {{ ref('fct_pr_durability') }}

    where horizon_days = 30

),

rework_costs as (

    select * from {{ ref('mart_rework_adjusted_cost') }}

),

platform_months as (

    select * from {{ ref('mart_platform_efficiency') }}

),

attributed as (

    select
        spend.platform,
        cast({{ dbt.date_trunc('month', 'spend.session_date') }} as date) as month_start_date,
        pull_requests.work_type,
        sum(spend.spend_usd) as attributed_spend_usd

    from spend

    inner join pull_requests
        on spend.pull_request_id = pull_requests.pull_request_id

    where spend.is_attributed

    group by
        spend.platform,
        cast({{ dbt.date_trunc('month', 'spend.session_date') }} as date),
        pull_requests.work_type

),

attributed_shares as (

    select
        attributed.*,
        attributed.attributed_spend_usd
        / nullif(
            sum(attributed.attributed_spend_usd) over (
                partition by attributed.platform, attributed.month_start_date
            ),
            0
        ) as attributed_share

    from attributed

),

pr_platform_cost as (

    select
        pull_request_id,
        platform,
        sum(spend_usd) as platform_cost_usd

    from spend

    where is_attributed

    group by
        pull_request_id,
        platform

),

pr_platform_shares as (

    -- The same split as mart_platform_efficiency: a PR is one outcome across platforms.
    select
        pull_request_id,
        platform,
        cast(
            case
                when sum(platform_cost_usd) over (partition by pull_request_id) > 0
                    then
                        platform_cost_usd
                        / sum(platform_cost_usd) over (partition by pull_request_id)
                else 1.0 / count(*) over (partition by pull_request_id)
            end as decimal(38, 12)
        ) as outcome_share

    from pr_platform_cost

),

outcomes as (

    select
        pr_platform_shares.platform,
        cast({{ dbt.date_trunc(
            'month', 'coalesce(pull_requests.merged_at, pull_requests.closed_at)'
        ) }} as date) as month_start_date,
        pull_requests.work_type,
        pr_platform_shares.outcome_share,
        pull_requests.is_accepted,
        pull_requests.is_accepted
        and durability.status = 'measured'
        and durability.survival_rate >= {{ var('durable_survival_threshold') }} as is_durable,
        durability.effective_lines_added,
        durability.lines_surviving,
        durability.status as durability_status,
        (
            {{ var('review_minutes_per_review') }} * pull_requests.review_count
            + {{ var('review_minutes_per_comment') }} * pull_requests.review_comment_count
        ) / cast(60 as decimal(38, 12)) as review_hours,
        rework_costs.review_cost_usd,
        rework_costs.repair_cost_usd

    from pr_platform_shares

    inner join pull_requests
        on pr_platform_shares.pull_request_id = pull_requests.pull_request_id

    left join durability
        on pr_platform_shares.pull_request_id = durability.pull_request_id

    left join rework_costs
        on pr_platform_shares.pull_request_id = rework_costs.pull_request_id

    -- Decided outcomes only: merged or closed.
    where coalesce(pull_requests.merged_at, pull_requests.closed_at) is not null

),

outcomes_by_work_type as (

    select
        platform,
        month_start_date,
        work_type,
        sum(outcome_share) as decided_outcomes,
        sum(case when is_accepted then outcome_share else 0 end) as accepted_outcomes,
        sum(case when is_durable then outcome_share else 0 end) as durable_outcomes,
        sum(
            case when durability_status = 'measured' then outcome_share * lines_surviving end
        ) as weighted_lines_surviving,
        sum(
            case
                when durability_status = 'measured' then outcome_share * effective_lines_added
            end
        ) as weighted_effective_lines,
        sum(outcome_share * review_hours) as weighted_review_hours,
        sum(
            case
                when is_accepted
                    then
                        outcome_share
                        * (coalesce(review_cost_usd, 0) + coalesce(repair_cost_usd, 0))
                else 0
            end
        ) as accepted_review_and_repair_usd

    from outcomes

    group by
        platform,
        month_start_date,
        work_type

),

spine as (

    select
        platform,
        month_start_date,
        work_type
    from attributed
    union
    select
        platform,
        month_start_date,
        work_type
    from outcomes_by_work_type

),

joined as (

    select
        spine.platform,
        spine.month_start_date,
        spine.work_type,
        coalesce(attributed_shares.attributed_spend_usd, 0) as attributed_spend_usd,
        coalesce(attributed_shares.attributed_share, 0)
        * coalesce(platform_months.total_spend_usd, 0) as allocated_spend_usd,
        outcomes_by_work_type.decided_outcomes,
        outcomes_by_work_type.accepted_outcomes,
        outcomes_by_work_type.durable_outcomes,
        outcomes_by_work_type.weighted_lines_surviving,
        outcomes_by_work_type.weighted_effective_lines,
        outcomes_by_work_type.weighted_review_hours,
        outcomes_by_work_type.accepted_review_and_repair_usd

    from spine

    left join attributed_shares
        on
            spine.platform = attributed_shares.platform
            and spine.month_start_date = attributed_shares.month_start_date
            and spine.work_type = attributed_shares.work_type

    left join outcomes_by_work_type
        on
            spine.platform = outcomes_by_work_type.platform
            and spine.month_start_date = outcomes_by_work_type.month_start_date
            and spine.work_type = outcomes_by_work_type.work_type

    left join platform_months
        on
            spine.platform = platform_months.platform
            and spine.month_start_date = platform_months.month_start_date

),

final as (

    select
        platform,
        month_start_date,
        work_type,
        cast(attributed_spend_usd as decimal(38, 12)) as attributed_spend_usd,
        cast(allocated_spend_usd as decimal(38, 12)) as allocated_spend_usd,
        cast(coalesce(accepted_outcomes, 0) as decimal(18, 6)) as accepted_outcomes,
        cast(coalesce(durable_outcomes, 0) as decimal(18, 6)) as durable_outcomes,
        cast(
            case when accepted_outcomes > 0 then allocated_spend_usd / accepted_outcomes end
            as decimal(38, 12)
        ) as cost_per_accepted_outcome_usd,
        cast(
            case when accepted_outcomes > 0 then attributed_spend_usd / accepted_outcomes end
            as decimal(38, 12)
        ) as attributed_cost_per_accepted_outcome_usd,
        cast(
            case when durable_outcomes > 0 then allocated_spend_usd / durable_outcomes end
            as decimal(38, 12)
        ) as cost_per_durable_outcome_usd,
        cast(
            case when decided_outcomes > 0 then accepted_outcomes / decided_outcomes end
            as decimal(18, 6)
        ) as acceptance_rate,
        cast(
            case
                when weighted_effective_lines > 0
                    then weighted_lines_surviving / weighted_effective_lines
            end as decimal(18, 6)
        ) as survival_30d_rate,
        cast(
            case when decided_outcomes > 0 then weighted_review_hours / decided_outcomes end
            as decimal(18, 6)
        ) as review_hours_per_pr,
        cast(
            case
                when accepted_outcomes > 0
                    then (allocated_spend_usd + accepted_review_and_repair_usd) / accepted_outcomes
            end as decimal(38, 12)
        ) as rework_adjusted_cost_per_accepted_outcome_usd

    from joined

)

select * from final
