-- One row per team, repository, platform and week (of the session): AI spend and its share in
-- each class (productive, exploratory, retry, abandoned, rework, pending). Spend shows under its
-- team bucket (macro `team_bucket`): the roster team, `no team`, `unknown` (unresolved
-- identities) or `unassigned` (usage no person owns). Buckets of people with fewer than
-- `min_cohort_size` people (teams, `no team`, `unknown`) are merged into one `suppressed` team
-- so no small group (or person) can be singled out; `unassigned` is not a group of people and
-- stays. Nothing is dropped, so the mart still adds up to total session cost.

{% set classes = ['productive', 'exploratory', 'retry', 'abandoned', 'rework', 'pending'] %}

with

spend as (

    select * from {{ ref('fct_session_spend') }}

),

people as (

    select * from {{ ref('dim_people') }}

),

people_bucketed as (

    select
        people.person_id,
        people.is_person,
        {{ team_bucket('people') }} as team

    from people

),

team_sizes as (

    select
        team,
        sum(case when is_person then 1 else 0 end) as people_count

    from people_bucketed

    group by team

),

spend_with_team as (

    select
        spend.spend_class,
        spend.spend_usd,
        spend.person_id,
        coalesce(people_bucketed.is_person, true) as is_person,
        spend.platform,
        coalesce(spend.repo, 'unattributed') as repo,
        cast({{ dbt.date_trunc('week', 'spend.session_date') }} as date) as week_start_date,
        case
            when {{ is_suppressed_team(
                "coalesce(people_bucketed.team, 'unknown')", 'coalesce(team_sizes.people_count, 0)'
            ) }}
                then 'suppressed'
            else coalesce(people_bucketed.team, 'unknown')
        end as team

    from spend

    left join people_bucketed
        on spend.person_id = people_bucketed.person_id

    left join team_sizes
        on coalesce(people_bucketed.team, 'unknown') = team_sizes.team

),

final as (

    select
        team,
        repo,
        platform,
        week_start_date,
        -- People only: owners of usage no person owns are not people.
        cast(count(distinct case when is_person then person_id end) as bigint) as people_count,
        {%- for class in classes %}
            cast(
                coalesce(sum(case when spend_class = '{{ class }}' then spend_usd end), 0)
                as decimal(38, 12)
            ) as {{ class }}_usd,
            case
                when sum(spend_usd) > 0
                    then cast(
                        coalesce(sum(case when spend_class = '{{ class }}' then spend_usd end), 0)
                        / sum(spend_usd) as decimal(18, 6)
                    )
            end as {{ class }}_share,
        {%- endfor %}
        cast(coalesce(sum(spend_usd), 0) as decimal(38, 12)) as total_spend_usd

    from spend_with_team

    group by
        team,
        repo,
        platform,
        week_start_date

)

select * from final
