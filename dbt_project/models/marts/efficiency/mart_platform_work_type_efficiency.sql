-- One row per platform, month and work type: mart_platform_efficiency split by the kind of work
-- (docs/metrics.md "platform × month (× work type)"). The platform-month headline stays in
-- mart_platform_efficiency, one row per platform and month, so that its totals are never summed
-- twice; this mart answers "what does a feat cost on Claude Code next to a fix?".
--
-- Spend reaches a work type only through attribution: the spend attributed to PRs of that work
-- type. Unattributed usage and seat cost have no work type, so the platform-month's total spend
-- is allocated over its work types in proportion to their attributed spend (allocated_spend_usd,
-- which adds up to the platform-month's total spend whenever any of it is attributed); cost per
-- accepted outcome uses the allocated spend, like the headline uses total spend, and the
-- attributed-only figure is shown next to it. Outcomes are split across platforms by cost share
-- and dated by merge (or close) month, from fct_platform_work_type_months like
-- mart_platform_efficiency's; the platform-month's total spend is fct_platform_spend_months'.

with

work_type_months as (

    select * from {{ ref('fct_platform_work_type_months') }}

),

spend_months as (

    select * from {{ ref('fct_platform_spend_months') }}

),

joined as (

    select
        work_type_months.*,
        -- Divided and multiplied through decimal_ratio / decimal_share: Spark keeps twelve
        -- decimals as DuckDB and PostgreSQL do.
        coalesce({{ decimal_share(
            'coalesce(spend_months.total_spend_usd, 0)',
            decimal_ratio(
                'work_type_months.attributed_spend_usd',
                'nullif(sum(work_type_months.attributed_spend_usd) over ('
                ~ 'partition by work_type_months.platform, work_type_months.month_start_date'
                ~ '), 0)'
            )
        ) }}, 0) as allocated_spend_usd

    from work_type_months

    left join spend_months
        on
            work_type_months.platform = spend_months.platform
            and work_type_months.month_start_date = spend_months.month_start_date

),

final as (

    select
        platform,
        month_start_date,
        work_type,
        cast(attributed_spend_usd as decimal(38, 12)) as attributed_spend_usd,
        cast(allocated_spend_usd as decimal(38, 12)) as allocated_spend_usd,
        cast(accepted_outcomes as decimal(18, 6)) as accepted_outcomes,
        cast(durable_outcomes as decimal(18, 6)) as durable_outcomes,
        cast(
            case
                when accepted_outcomes > 0
                    then {{ decimal_ratio('allocated_spend_usd', 'accepted_outcomes') }}
            end
            as decimal(38, 12)
        ) as cost_per_accepted_outcome_usd,
        cast(
            case
                when accepted_outcomes > 0
                    then {{ decimal_ratio('attributed_spend_usd', 'accepted_outcomes') }}
            end
            as decimal(38, 12)
        ) as attributed_cost_per_accepted_outcome_usd,
        cast(
            case
                when durable_outcomes > 0
                    then {{ decimal_ratio('allocated_spend_usd', 'durable_outcomes') }}
            end
            as decimal(38, 12)
        ) as cost_per_durable_outcome_usd,
        cast(
            case
                when decided_outcomes > 0
                    then {{ decimal_ratio('accepted_outcomes', 'decided_outcomes') }}
            end
            as decimal(18, 6)
        ) as acceptance_rate,
        cast(
            case
                when weighted_effective_lines > 0
                    then {{ decimal_ratio('weighted_lines_surviving', 'weighted_effective_lines') }}
            end as decimal(18, 6)
        ) as survival_30d_rate,
        cast(
            case
                when decided_outcomes > 0
                    then {{ decimal_ratio('weighted_review_minutes', 'decided_outcomes * 60') }}
            end
            as decimal(18, 6)
        ) as review_hours_per_pr,
        cast(
            case
                when accepted_outcomes > 0
                    then {{ decimal_ratio(
                        decimal_sum(['allocated_spend_usd', 'accepted_review_and_repair_usd']),
                        'accepted_outcomes'
                    ) }}
            end as decimal(38, 12)
        ) as rework_adjusted_cost_per_accepted_outcome_usd

    from joined

)

select * from final
