-- One row per platform and month: total spend (usage + seats, both shown), attributed spend,
-- accepted and durable outcomes (each PR counted once across platforms, split by the platforms'
-- shares of its attributed AI cost), cost per accepted and per durable outcome, acceptance rate,
-- 30-day survival, cache hit rate, review hours per PR and rework-adjusted cost per accepted
-- outcome. Spend is dated by session (seat cost by day); outcomes by merge (or close) month.

with

sessions as (

    select * from {{ ref('fct_ai_sessions') }}

),

seats as (

    select * from {{ ref('fct_seat_costs') }}

),

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

usage_by_month as (

    select
        platform,
        cast({{ dbt.date_trunc('month', 'session_date') }} as date) as month_start_date,
        sum(cost_usd) as usage_spend_usd,
        sum(
            coalesce(input_tokens, 0) + coalesce(cache_write_5m_tokens, 0)
            + coalesce(cache_write_1h_tokens, 0) + coalesce(cache_read_tokens, 0)
            + coalesce(output_tokens, 0)
        ) as total_tokens,
        sum(coalesce(cache_read_tokens, 0)) as cache_read_tokens,
        sum(
            coalesce(input_tokens, 0) + coalesce(cache_write_5m_tokens, 0)
            + coalesce(cache_write_1h_tokens, 0) + coalesce(cache_read_tokens, 0)
        ) as prompt_tokens

    from sessions

    group by
        platform,
        cast({{ dbt.date_trunc('month', 'session_date') }} as date)

),

seats_by_month as (

    select
        platform,
        cast({{ dbt.date_trunc('month', 'cost_date') }} as date) as month_start_date,
        sum(seat_cost_usd) as seat_cost_usd

    from seats

    group by
        platform,
        cast({{ dbt.date_trunc('month', 'cost_date') }} as date)

),

attributed_by_month as (

    select
        platform,
        cast({{ dbt.date_trunc('month', 'session_date') }} as date) as month_start_date,
        sum(spend_usd) as attributed_spend_usd

    from spend

    where is_attributed

    group by
        platform,
        cast({{ dbt.date_trunc('month', 'session_date') }} as date)

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

outcomes_by_month as (

    select
        platform,
        month_start_date,
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
        month_start_date

),

spine as (

    select
        platform,
        month_start_date
    from usage_by_month
    union
    select
        platform,
        month_start_date
    from seats_by_month
    union
    select
        platform,
        month_start_date
    from outcomes_by_month

),

final as (

    select
        spine.platform,
        spine.month_start_date,
        cast(coalesce(usage_by_month.usage_spend_usd, 0) as decimal(38, 12)) as usage_spend_usd,
        cast(coalesce(seats_by_month.seat_cost_usd, 0) as decimal(38, 12)) as seat_cost_usd,
        cast(
            coalesce(usage_by_month.usage_spend_usd, 0) + coalesce(seats_by_month.seat_cost_usd, 0)
            as decimal(38, 12)
        ) as total_spend_usd,
        cast(coalesce(attributed_by_month.attributed_spend_usd, 0) as decimal(38, 12))
            as attributed_spend_usd,
        cast(coalesce(outcomes_by_month.accepted_outcomes, 0) as decimal(18, 6))
            as accepted_outcomes,
        cast(coalesce(outcomes_by_month.durable_outcomes, 0) as decimal(18, 6))
            as durable_outcomes,
        cast(
            case
                when outcomes_by_month.accepted_outcomes > 0
                    then (
                        coalesce(usage_by_month.usage_spend_usd, 0)
                        + coalesce(seats_by_month.seat_cost_usd, 0)
                    ) / outcomes_by_month.accepted_outcomes
            end as decimal(38, 12)
        ) as cost_per_accepted_outcome_usd,
        cast(
            case
                when outcomes_by_month.durable_outcomes > 0
                    then (
                        coalesce(usage_by_month.usage_spend_usd, 0)
                        + coalesce(seats_by_month.seat_cost_usd, 0)
                    ) / outcomes_by_month.durable_outcomes
            end as decimal(38, 12)
        ) as cost_per_durable_outcome_usd,
        cast(
            case
                when outcomes_by_month.decided_outcomes > 0
                    then outcomes_by_month.accepted_outcomes / outcomes_by_month.decided_outcomes
            end as decimal(18, 6)
        ) as acceptance_rate,
        cast(
            case
                when outcomes_by_month.weighted_effective_lines > 0
                    then
                        outcomes_by_month.weighted_lines_surviving
                        / outcomes_by_month.weighted_effective_lines
            end as decimal(18, 6)
        ) as survival_30d_rate,
        cast(
            case
                when usage_by_month.prompt_tokens > 0
                    then
                        cast(usage_by_month.cache_read_tokens as double precision)
                        / usage_by_month.prompt_tokens
            end as double precision
        ) as cache_hit_rate,
        cast(
            case
                when outcomes_by_month.decided_outcomes > 0
                    then
                        outcomes_by_month.weighted_review_hours
                        / outcomes_by_month.decided_outcomes
            end as decimal(18, 6)
        ) as review_hours_per_pr,
        -- Total spend plus the review and repair cost of the accepted PRs (by outcome share),
        -- per accepted outcome.
        cast(
            case
                when outcomes_by_month.accepted_outcomes > 0
                    then (
                        coalesce(usage_by_month.usage_spend_usd, 0)
                        + coalesce(seats_by_month.seat_cost_usd, 0)
                        + outcomes_by_month.accepted_review_and_repair_usd
                    ) / outcomes_by_month.accepted_outcomes
            end as decimal(38, 12)
        ) as rework_adjusted_cost_per_accepted_outcome_usd,
        cast(
            case
                when usage_by_month.total_tokens > 0
                    then
                        outcomes_by_month.accepted_outcomes * 1000000
                        / usage_by_month.total_tokens
            end as decimal(18, 6)
        ) as accepted_outcomes_per_million_tokens

    from spine

    left join usage_by_month
        on
            spine.platform = usage_by_month.platform
            and spine.month_start_date = usage_by_month.month_start_date

    left join seats_by_month
        on
            spine.platform = seats_by_month.platform
            and spine.month_start_date = seats_by_month.month_start_date

    left join attributed_by_month
        on
            spine.platform = attributed_by_month.platform
            and spine.month_start_date = attributed_by_month.month_start_date

    left join outcomes_by_month
        on
            spine.platform = outcomes_by_month.platform
            and spine.month_start_date = outcomes_by_month.month_start_date

)

select * from final
