-- One row per team, repository, platform and week (of the session): AI spend and its share in
-- each class (productive, exploratory, retry, abandoned, rework, pending). Teams with fewer than
-- `min_cohort_size` people are merged into one `suppressed` team so no small group (or person)
-- can be singled out; nothing is dropped, so the mart still adds up to total session cost.

{% set classes = ['productive', 'exploratory', 'retry', 'abandoned', 'rework', 'pending'] %}

with

spend as (

    select * from {{ ref('fct_session_spend') }}

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

spend_with_team as (

    select
        spend.spend_class,
        spend.spend_usd,
        spend.person_id,
        spend.platform,
        coalesce(spend.repo, 'unattributed') as repo,
        cast({{ dbt.date_trunc('week', 'spend.session_date') }} as date) as week_start_date,
        case
            when {{ is_small_cohort('coalesce(team_sizes.people_count, 0)') }}
                then 'suppressed'
            else team_sizes.team
        end as team

    from spend

    left join people
        on spend.person_id = people.person_id

    left join team_sizes
        on coalesce(people.team, 'unknown') = team_sizes.team

),

final as (

    select
        team,
        repo,
        platform,
        week_start_date,
        cast(count(distinct person_id) as bigint) as people_count,
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
