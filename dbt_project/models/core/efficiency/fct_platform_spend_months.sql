-- One row per platform and month with AI usage or seat cost: the platform's total spend (usage,
-- dated by session, plus seat cost, by day: docs/metrics.md "total spend") and its tokens. Both
-- efficiency marts read the month's total spend from here: mart_platform_efficiency shows it,
-- mart_platform_work_type_efficiency allocates it over work types.

with

sessions as (

    select * from {{ ref('fct_ai_sessions') }}

),

seats as (

    select * from {{ ref('fct_seat_costs') }}

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
        sum(coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0))
            as cache_write_tokens,
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

spine as (

    select
        platform,
        month_start_date
    from usage_by_month
    union distinct
    select
        platform,
        month_start_date
    from seats_by_month

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
        -- Months with seat cost only have no tokens (null, not 0: nothing to divide by).
        usage_by_month.total_tokens,
        usage_by_month.cache_read_tokens,
        usage_by_month.cache_write_tokens,
        usage_by_month.prompt_tokens

    from spine

    left join usage_by_month
        on
            spine.platform = usage_by_month.platform
            and spine.month_start_date = usage_by_month.month_start_date

    left join seats_by_month
        on
            spine.platform = seats_by_month.platform
            and spine.month_start_date = seats_by_month.month_start_date

)

select * from final
