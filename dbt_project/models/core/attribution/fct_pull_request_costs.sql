-- One row per pull request: its AI cost (the session spend attributed to it), its review cost,
-- its repair cost (the AI and review cost of later PRs that reworked its lines, times the share
-- of their changed lines that touched this PR's lines), the rework-adjusted cost (docs/metrics.md
-- "Repair cost", "Rework-adjusted cost") and the platform with the most AI cost on it. Computed
-- once here for every PR: mart_rework_adjusted_cost shows the accepted ones, and the efficiency
-- marts add accepted PRs' review and repair cost (fct_platform_work_type_months).

with

pull_requests as (

    select * from {{ ref('int_pull_requests_enriched') }}

),

spend as (

    select * from {{ ref('fct_session_spend') }}

),

rework_links as (

    select * from {{ ref('fct_rework_links') }}

),

ai_cost as (

    select
        pull_request_id,
        sum(spend_usd) as ai_cost_usd

    from spend

    where pull_request_id is not null

    group by pull_request_id

),

platform_cost as (

    select
        pull_request_id,
        platform,
        sum(spend_usd) as platform_cost_usd

    from spend

    where pull_request_id is not null

    group by
        pull_request_id,
        platform

),

primary_platform as (

    select
        pull_request_id,
        platform,
        row_number() over (
            partition by pull_request_id order by platform_cost_usd desc, platform asc
        ) as platform_rank

    from platform_cost

),

costed as (

    -- Review cost: an explicit, documented assumption (docs/metrics.md "Review cost").
    -- Divisions, cost shares and sums of amounts go through decimal_ratio, decimal_share and
    -- decimal_sum, so that Spark keeps twelve decimals as DuckDB and PostgreSQL do (its
    -- decimal(38, 12) arithmetic drops digits to stay within 38).
    select
        pull_requests.pull_request_id,
        coalesce(ai_cost.ai_cost_usd, 0) as ai_cost_usd,
        {{ decimal_ratio(
            review_minutes('pull_requests.review_count', 'pull_requests.review_comment_count')
            ~ ' * ' ~ var('reviewer_hourly_usd'),
            '60'
        ) }} as review_cost_usd

    from pull_requests

    left join ai_cost
        on pull_requests.pull_request_id = ai_cost.pull_request_id

),

later_pr_changes as (

    select
        pull_request_id,
        coalesce(additions, 0) + coalesce(deletions, 0) as changed_lines

    from pull_requests

),

repair as (

    -- For each later PR that reworked the original: its (AI + review) cost times the share of
    -- its changed lines that touched the original's lines (capped at 1).
    select
        rework_links.original_pull_request_id as pull_request_id,
        sum(
            {{ decimal_share(
                decimal_sum(['costed.ai_cost_usd', 'costed.review_cost_usd']),
                'case when later_pr_changes.changed_lines > 0 then least('
                ~ decimal_ratio('rework_links.lines_reworked', 'later_pr_changes.changed_lines')
                ~ ', 1) else 0 end'
            ) }}
        ) as repair_cost_usd

    from rework_links

    inner join costed
        on rework_links.later_pull_request_id = costed.pull_request_id

    inner join later_pr_changes
        on rework_links.later_pull_request_id = later_pr_changes.pull_request_id

    group by rework_links.original_pull_request_id

),

final as (

    select
        pull_requests.pull_request_id,
        pull_requests.pull_request_key,
        primary_platform.platform as primary_platform,
        cast(costed.ai_cost_usd as decimal(38, 12)) as ai_cost_usd,
        cast(costed.review_cost_usd as decimal(38, 12)) as review_cost_usd,
        cast(coalesce(repair.repair_cost_usd, 0) as decimal(38, 12)) as repair_cost_usd,
        cast(
            {{ decimal_sum([
                'costed.ai_cost_usd',
                'costed.review_cost_usd',
                'coalesce(repair.repair_cost_usd, 0)',
            ]) }} as decimal(38, 12)
        ) as rework_adjusted_cost_usd

    from pull_requests

    inner join costed
        on pull_requests.pull_request_id = costed.pull_request_id

    left join repair
        on pull_requests.pull_request_id = repair.pull_request_id

    left join primary_platform
        on
            pull_requests.pull_request_id = primary_platform.pull_request_id
            and primary_platform.platform_rank = 1

)

select * from final
