{%- set double_type = engine_type('double precision') -%}
-- One row per repository, month (of PR creation) and AI-assisted flag: PR size, time to first
-- review, review rounds, time to merge and review cost — does AI-assisted work drag on review?

with

pull_requests as (

    select * from {{ ref('fct_pull_requests') }}

),

per_pull_request as (

    select
        repo,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as created_month,
        is_ai_assisted,
        additions + deletions as changed_lines,
        hours_to_first_review,
        hours_to_merge,
        review_rounds,
        -- Minutes, not dollars: DuckDB divides a decimal into a double, and a sum of doubles
        -- depends on the order rows arrive in. The sum of minutes is exact; dollars come once.
        {{ review_minutes('review_count', 'review_comment_count') }} as review_minutes,
        case when merged_at is not null then 1 else 0 end as is_merged

    from pull_requests

),

final as (

    select
        repo,
        created_month,
        is_ai_assisted,
        cast(count(*) as bigint) as pull_request_count,
        cast(sum(is_merged) as bigint) as merged_count,
        cast(avg(changed_lines) as {{ double_type }}) as avg_changed_lines,
        cast(avg(hours_to_first_review) as {{ double_type }}) as avg_hours_to_first_review,
        cast(avg(review_rounds) as {{ double_type }}) as avg_review_rounds,
        cast(avg(hours_to_merge) as {{ double_type }}) as avg_hours_to_merge,
        cast(
            cast(sum(review_minutes) * {{ var('reviewer_hourly_usd') }} as decimal(38, 12)) / 60
            as decimal(38, 12)
        ) as review_cost_usd,
        cast(
            cast(sum(review_minutes) * {{ var('reviewer_hourly_usd') }} as decimal(38, 12))
            / (60 * count(*)) as decimal(38, 12)
        ) as review_cost_per_pr_usd

    from per_pull_request

    group by
        repo,
        created_month,
        is_ai_assisted

)

select * from final
