{#-
    Consumption flags per team and week (Monday, UTC): how many of the team's active people
    had each flag (definitions in the restricted person-week model). Teams with fewer than
    `min_cohort_size` active people that week are suppressed (counts null, is_suppressed).
-#}

with

person_weeks as (

    select * from {{ ref('mart_consumption_anomalies_person_weeks') }}

),

grouped as (

    select
        -- Team buckets come from the person-week model; `unknown` only if one had none.
        coalesce(team, 'unknown') as team,
        week_start_date,
        count(*) as active_people,
        sum(cost_usd) as cost_usd,
        sum(case when is_high_spend_no_code_output then 1 else 0 end)
            as high_spend_no_code_output_people,
        sum(case when is_repetitive_requests then 1 else 0 end) as repetitive_requests_people,
        sum(case when is_round_the_clock_no_code_output then 1 else 0 end)
            as round_the_clock_no_code_output_people

    from person_weeks

    group by 1, 2

),

final as (

    select
        {{ dbt.concat(["team", "'|'", "cast(week_start_date as " ~ dbt.type_string() ~ ")"]) }}
            as team_week_id,
        team,
        week_start_date,
        {{ is_small_cohort('active_people') }} as is_suppressed,
        {%- for column in [
            'active_people', 'high_spend_no_code_output_people',
            'repetitive_requests_people', 'round_the_clock_no_code_output_people',
        ] %}
            cast(
                {{ suppress_small_cohort('active_people', column) }}
                as {{ dbt.type_bigint() }}
            ) as {{ column }},
        {%- endfor %}
        cast({{ suppress_small_cohort('active_people', 'cost_usd') }} as {{ type_usd() }})
            as cost_usd

    from grouped

)

select * from final
