-- One row per platform, month and work type that has attributed spend or a decided outcome: the
-- additive measures both efficiency marts divide. mart_platform_work_type_efficiency reads the
-- rows as they are; mart_platform_efficiency sums them over work types. Every measure is a sum
-- of exact decimals (review effort stays in minutes), so the marts can re-add the rows in any
-- order and get the same totals.
--
-- Spend reaches a work type only through attribution. Outcomes are decided PRs (merged or
-- closed), dated by merge (or close) month; a PR is one outcome, split across the platforms
-- that worked on it by their shares of its attributed AI cost. Each PR's review and repair cost
-- is fct_pull_request_costs' (computed once there).

with

spend as (

    select * from {{ ref('fct_session_spend') }}

),

pull_requests as (

    select * from {{ ref('int_pull_requests_enriched') }}

),

durability as (

    select * from {{ ref('fct_pr_durability') }}

    where horizon_days = 30

),

pull_request_costs as (

    select * from {{ ref('fct_pull_request_costs') }}

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

    -- A PR is one outcome, split across the platforms that worked on it by cost share.
    select
        pull_request_id,
        platform,
        case
            when sum(platform_cost_usd) over (partition by pull_request_id) > 0
                then {{ decimal_ratio(
                    'platform_cost_usd', 'sum(platform_cost_usd) over (partition by pull_request_id)'
                ) }}
            else {{ decimal_ratio('1', 'count(*) over (partition by pull_request_id)') }}
        end as outcome_share

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
        {{ review_minutes('pull_requests.review_count', 'pull_requests.review_comment_count') }}
            as review_minutes,
        pull_request_costs.review_cost_usd,
        pull_request_costs.repair_cost_usd

    from pr_platform_shares

    inner join pull_requests
        on pr_platform_shares.pull_request_id = pull_requests.pull_request_id

    left join durability
        on pr_platform_shares.pull_request_id = durability.pull_request_id

    left join pull_request_costs
        on pr_platform_shares.pull_request_id = pull_request_costs.pull_request_id

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
        -- Products through decimal_share, sums of amounts through decimal_sum: Spark keeps
        -- twelve decimals as DuckDB and PostgreSQL do.
        sum(
            case
                when durability_status = 'measured'
                    then {{ decimal_share('lines_surviving', 'outcome_share') }}
            end
        ) as weighted_lines_surviving,
        sum(
            case
                when durability_status = 'measured'
                    then {{ decimal_share('effective_lines_added', 'outcome_share') }}
            end
        ) as weighted_effective_lines,
        sum({{ decimal_share('review_minutes', 'outcome_share') }}) as weighted_review_minutes,
        sum(
            case
                when is_accepted
                    then {{ decimal_share(
                        decimal_sum(['coalesce(review_cost_usd, 0)', 'coalesce(repair_cost_usd, 0)']),
                        'outcome_share'
                    ) }}
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
    union distinct
    select
        platform,
        month_start_date,
        work_type
    from outcomes_by_work_type

),

final as (

    select
        spine.platform,
        spine.month_start_date,
        spine.work_type,
        coalesce(attributed.attributed_spend_usd, 0) as attributed_spend_usd,
        coalesce(outcomes_by_work_type.decided_outcomes, 0) as decided_outcomes,
        coalesce(outcomes_by_work_type.accepted_outcomes, 0) as accepted_outcomes,
        coalesce(outcomes_by_work_type.durable_outcomes, 0) as durable_outcomes,
        outcomes_by_work_type.weighted_lines_surviving,
        outcomes_by_work_type.weighted_effective_lines,
        outcomes_by_work_type.weighted_review_minutes,
        coalesce(outcomes_by_work_type.accepted_review_and_repair_usd, 0)
            as accepted_review_and_repair_usd

    from spine

    left join attributed
        on
            spine.platform = attributed.platform
            and spine.month_start_date = attributed.month_start_date
            and spine.work_type = attributed.work_type

    left join outcomes_by_work_type
        on
            spine.platform = outcomes_by_work_type.platform
            and spine.month_start_date = outcomes_by_work_type.month_start_date
            and spine.work_type = outcomes_by_work_type.work_type

)

select * from final
