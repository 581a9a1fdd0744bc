{#-
    RESTRICTED (schema `restricted`, deny it to BI roles): one row per person x week (Monday,
    UTC) with usage, and the consumption flags behind mart_consumption_anomalies. Flags start
    a conversation; they are not a ranking, and nothing here is published per person.
    * high spend, no code output: usage cost >= anomaly_high_spend_multiple x the median
      person-week cost, and >= anomaly_min_spend_usd, with no lines added and no accepted edits
      on any platform that week.
    * repetitive near-identical requests: of at least anomaly_min_requests per-request records
      (Cursor requests), the share repeating another request of the same model with the same
      input and output token counts rounded to 2 significant digits is
      >= anomaly_repeat_share.
    * round-the-clock: activity in >= anomaly_round_the_clock_hours distinct UTC hours of the
      day in the week (burst platforms; user-day platforms have no hours), with no code output.
    People only: usage no person owns (dim_people.is_person false: service keys, API actors,
    former members) has no person-week, and does not move the median. `team` is the person's
    team bucket (macro `team_bucket`: roster team, `no team`, `unknown`).
-#}
{%- set high_spend_multiple = var('anomaly_high_spend_multiple', 3) -%}
{%- set min_spend_usd = var('anomaly_min_spend_usd', 10) -%}
{%- set min_requests = var('anomaly_min_requests', 20) -%}
{%- set repeat_share = var('anomaly_repeat_share', 0.5) -%}
{%- set round_the_clock_hours = var('anomaly_round_the_clock_hours', 18) -%}
{%- set count_columns = [
    'platform_count', 'session_count', 'lines_added', 'edits_accepted',
    'active_hours_of_day', 'request_count',
] -%}

with

people as (

    select * from {{ ref('dim_people') }}

),

usage_records as (

    select * from {{ ref('fct_ai_usage') }}

    where person_id not in (
        select people.person_id from people
        where not people.is_person
    )

),

sessions as (

    select * from {{ ref('fct_ai_sessions') }}

    where person_id not in (
        select people.person_id from people
        where not people.is_person
    )

),

weekly_usage as (

    select
        person_id,
        cast({{ dbt.date_trunc('week', 'usage_date') }} as date) as week_start_date,
        sum(cost_usd) as cost_usd,
        count(distinct platform) as platform_count

    from usage_records

    group by 1, 2

),

weekly_output as (

    select
        person_id,
        cast({{ dbt.date_trunc('week', 'session_date') }} as date) as week_start_date,
        sum(coalesce(lines_added, 0)) as lines_added,
        sum(coalesce(edits_accepted, 0)) as edits_accepted,
        count(*) as session_count

    from sessions

    group by 1, 2

),

weekly_hours as (

    select
        person_id,
        cast({{ dbt.date_trunc('week', 'usage_date') }} as date) as week_start_date,
        count(distinct extract(hour from started_at)) as active_hours_of_day

    from usage_records

    where platform in ('cursor', 'anthropic_api', 'openai_api')

    group by 1, 2

),

-- Requests described by model and token counts rounded to 2 significant digits.
request_shapes as (

    select
        person_id,
        cast({{ dbt.date_trunc('week', 'usage_date') }} as date) as week_start_date,
        {%- for column in ['input_tokens', 'output_tokens'] %}
            case
                when {{ column }} < 100 then {{ column }}
                else {{ round_significant(column, 2) }}
            end as {{ column }}_shape,
        {%- endfor %}
        model

    from usage_records

    where platform = 'cursor'

),

shape_counts as (

    select
        person_id,
        week_start_date,
        model,
        input_tokens_shape,
        output_tokens_shape,
        count(*) as requests

    from request_shapes

    group by 1, 2, 3, 4, 5

),

weekly_repeats as (

    select
        person_id,
        week_start_date,
        sum(requests) as request_count,
        sum(case when requests > 1 then requests - 1 else 0 end) as repeated_requests

    from shape_counts

    group by 1, 2

),

median_spend as (

    select
        {{ median_of('cost_usd') }} as median_cost_usd

    from weekly_usage

),

joined as (

    select
        weekly_usage.person_id,
        {{ team_bucket('people') }} as team,
        weekly_usage.week_start_date,
        weekly_usage.cost_usd,
        weekly_usage.platform_count,
        coalesce(weekly_output.session_count, 0) as session_count,
        coalesce(weekly_output.lines_added, 0) as lines_added,
        coalesce(weekly_output.edits_accepted, 0) as edits_accepted,
        coalesce(weekly_hours.active_hours_of_day, 0) as active_hours_of_day,
        coalesce(weekly_repeats.request_count, 0) as request_count,
        coalesce(weekly_repeats.repeated_requests, 0) as repeated_requests,
        median_spend.median_cost_usd

    from weekly_usage

    cross join median_spend

    left join people
        on weekly_usage.person_id = people.person_id

    left join weekly_output
        on
            weekly_usage.person_id = weekly_output.person_id
            and weekly_usage.week_start_date = weekly_output.week_start_date

    left join weekly_hours
        on
            weekly_usage.person_id = weekly_hours.person_id
            and weekly_usage.week_start_date = weekly_hours.week_start_date

    left join weekly_repeats
        on
            weekly_usage.person_id = weekly_repeats.person_id
            and weekly_usage.week_start_date = weekly_repeats.week_start_date

),

final as (

    select
        {{ dbt.concat([
            "person_id", "'|'", "cast(week_start_date as " ~ dbt.type_string() ~ ")",
        ]) }} as person_week_id,
        person_id,
        team,
        week_start_date,
        cast(cost_usd as {{ type_usd() }}) as cost_usd,
        {%- for column in count_columns %}
            cast({{ column }} as {{ dbt.type_bigint() }}) as {{ column }},
        {%- endfor %}
        {{ safe_ratio('repeated_requests', 'request_count') }} as repeated_request_share,
        coalesce(
            cost_usd >= {{ min_spend_usd }}
            and cost_usd >= {{ high_spend_multiple }} * median_cost_usd
            and lines_added = 0
            and edits_accepted = 0,
            false
        ) as is_high_spend_no_code_output,
        coalesce(
            request_count >= {{ min_requests }}
            and {{ safe_ratio('repeated_requests', 'request_count') }} >= {{ repeat_share }},
            false
        ) as is_repetitive_requests,
        coalesce(
            active_hours_of_day >= {{ round_the_clock_hours }}
            and lines_added = 0
            and edits_accepted = 0,
            false
        ) as is_round_the_clock_no_code_output

    from joined

)

select * from final
