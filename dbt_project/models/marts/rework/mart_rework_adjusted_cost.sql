-- One row per accepted pull request: its AI cost, review cost, repair cost (the AI and review
-- cost of later PRs that reworked its lines, times the share of their changed lines that touched
-- this PR's lines) and rework-adjusted cost (all from fct_pull_request_costs); team, repo,
-- platform and month columns for rollups. Teams with fewer than `min_cohort_size` people are
-- `suppressed`, as in mart_spend_classification: a PR row names its team only when the team is
-- large enough that the row cannot single out its author.

with

pull_requests as (

    select * from {{ ref('fct_pull_requests') }}

),

costs as (

    select * from {{ ref('fct_pull_request_costs') }}

),

people as (

    select * from {{ ref('dim_people') }}

),

team_sizes as (

    select
        coalesce(team, 'unknown') as team,
        count(*) as people_count

    from people

    group by coalesce(team, 'unknown')

),

final as (

    select
        pull_requests.pull_request_id,
        pull_requests.pull_request_key,
        pull_requests.repo,
        case
            when {{ is_small_cohort('coalesce(team_sizes.people_count, 0)') }}
                then 'suppressed'
            else team_sizes.team
        end as team,
        coalesce(costs.primary_platform, 'none') as primary_platform,
        pull_requests.work_type,
        cast({{ dbt.date_trunc('month', 'pull_requests.merged_at') }} as date) as merged_month,
        pull_requests.merged_at,
        costs.ai_cost_usd,
        costs.review_cost_usd,
        costs.repair_cost_usd,
        costs.rework_adjusted_cost_usd

    from pull_requests

    inner join costs
        on pull_requests.pull_request_id = costs.pull_request_id

    left join people
        on pull_requests.person_id = people.person_id

    left join team_sizes
        on coalesce(people.team, 'unknown') = team_sizes.team

    where pull_requests.is_accepted

)

select * from final
