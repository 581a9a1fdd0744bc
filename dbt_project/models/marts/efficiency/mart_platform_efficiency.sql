{%- set double_type = engine_type('double precision') -%}
-- One row per platform and month: total spend (usage + seats, both shown), attributed spend,
-- accepted and durable outcomes (each PR counted once across platforms, split by the platforms'
-- shares of its attributed AI cost), cost per accepted and per durable outcome, acceptance rate,
-- 30-day survival, cache hit rate, review hours per PR and rework-adjusted cost per accepted
-- outcome. Spend is dated by session (seat cost by day; fct_platform_spend_months); outcomes by
-- merge (or close) month (fct_platform_work_type_months).

with

spend_months as (

    select * from {{ ref('fct_platform_spend_months') }}

),

work_type_months as (

    select * from {{ ref('fct_platform_work_type_months') }}

),

work_types_by_month as (

    -- The platform-month is the sum of its work types: every measure there is additive.
    select
        platform,
        month_start_date,
        sum(attributed_spend_usd) as attributed_spend_usd,
        sum(decided_outcomes) as decided_outcomes,
        sum(accepted_outcomes) as accepted_outcomes,
        sum(durable_outcomes) as durable_outcomes,
        sum(weighted_lines_surviving) as weighted_lines_surviving,
        sum(weighted_effective_lines) as weighted_effective_lines,
        sum(weighted_review_minutes) as weighted_review_minutes,
        sum(accepted_review_and_repair_usd) as accepted_review_and_repair_usd

    from work_type_months

    group by
        platform,
        month_start_date

),

spine as (

    select
        platform,
        month_start_date
    from spend_months
    union distinct
    select
        platform,
        month_start_date
    from work_types_by_month

),

final as (

    select
        spine.platform,
        spine.month_start_date,
        cast(coalesce(spend_months.usage_spend_usd, 0) as decimal(38, 12)) as usage_spend_usd,
        cast(coalesce(spend_months.seat_cost_usd, 0) as decimal(38, 12)) as seat_cost_usd,
        cast(coalesce(spend_months.total_spend_usd, 0) as decimal(38, 12)) as total_spend_usd,
        cast(coalesce(work_types_by_month.attributed_spend_usd, 0) as decimal(38, 12))
            as attributed_spend_usd,
        cast(coalesce(work_types_by_month.accepted_outcomes, 0) as decimal(18, 6))
            as accepted_outcomes,
        cast(coalesce(work_types_by_month.durable_outcomes, 0) as decimal(18, 6))
            as durable_outcomes,
        cast(
            case
                when work_types_by_month.accepted_outcomes > 0
                    then {{ decimal_ratio(
                        'coalesce(spend_months.total_spend_usd, 0)',
                        'work_types_by_month.accepted_outcomes'
                    ) }}
            end as decimal(38, 12)
        ) as cost_per_accepted_outcome_usd,
        cast(
            case
                when work_types_by_month.durable_outcomes > 0
                    then {{ decimal_ratio(
                        'coalesce(spend_months.total_spend_usd, 0)',
                        'work_types_by_month.durable_outcomes'
                    ) }}
            end as decimal(38, 12)
        ) as cost_per_durable_outcome_usd,
        cast(
            case
                when work_types_by_month.decided_outcomes > 0
                    then {{ decimal_ratio(
                        'work_types_by_month.accepted_outcomes',
                        'work_types_by_month.decided_outcomes'
                    ) }}
            end as decimal(18, 6)
        ) as acceptance_rate,
        cast(
            case
                when work_types_by_month.weighted_effective_lines > 0
                    then {{ decimal_ratio(
                        'work_types_by_month.weighted_lines_surviving',
                        'work_types_by_month.weighted_effective_lines'
                    ) }}
            end as decimal(18, 6)
        ) as survival_30d_rate,
        -- No cache reads or writes: the platform reports no cache data (Copilot), so the hit
        -- rate is unknown (null), not 0 %.
        cast(
            case
                when spend_months.cache_read_tokens + spend_months.cache_write_tokens > 0
                    then
                        cast(spend_months.cache_read_tokens as {{ double_type }})
                        / spend_months.prompt_tokens
            end as {{ double_type }}
        ) as cache_hit_rate,
        cast(spend_months.cache_read_tokens as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cast(spend_months.cache_write_tokens as {{ dbt.type_bigint() }}) as cache_write_tokens,
        cast(spend_months.prompt_tokens as {{ dbt.type_bigint() }}) as prompt_tokens,
        cast(
            case
                when work_types_by_month.decided_outcomes > 0
                    then {{ decimal_ratio(
                        'work_types_by_month.weighted_review_minutes',
                        'work_types_by_month.decided_outcomes * 60'
                    ) }}
            end as decimal(18, 6)
        ) as review_hours_per_pr,
        -- Total spend plus the review and repair cost of the accepted PRs (by outcome share),
        -- per accepted outcome.
        cast(
            case
                when work_types_by_month.accepted_outcomes > 0
                    then {{ decimal_ratio(
                        decimal_sum([
                            'coalesce(spend_months.total_spend_usd, 0)',
                            'work_types_by_month.accepted_review_and_repair_usd',
                        ]),
                        'work_types_by_month.accepted_outcomes'
                    ) }}
            end as decimal(38, 12)
        ) as rework_adjusted_cost_per_accepted_outcome_usd,
        cast(
            case
                when spend_months.total_tokens > 0
                    then {{ decimal_ratio(
                        'work_types_by_month.accepted_outcomes * 1000000',
                        'spend_months.total_tokens'
                    ) }}
            end as decimal(18, 6)
        ) as accepted_outcomes_per_million_tokens

    from spine

    left join spend_months
        on
            spine.platform = spend_months.platform
            and spine.month_start_date = spend_months.month_start_date

    left join work_types_by_month
        on
            spine.platform = work_types_by_month.platform
            and spine.month_start_date = work_types_by_month.month_start_date

)

select * from final
