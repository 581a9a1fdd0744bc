-- One row: the day the warehouse describes ("today" for pending horizons and windows). The var
-- `as_of_date` when set; else the day after the latest loaded activity (pull-request updates,
-- AI sessions) or the latest durability measurement day, whichever is later — so re-running over
-- the same data gives the same answer, whatever the wall clock says. The latest session is read
-- from fct_ai_sessions: the incremental fact is the one place every loaded day's sessions are.

{%- if var('as_of_date') -%}
    {%- set as_of_expression = "cast('" ~ var('as_of_date') ~ "' as date)" -%}
{%- else -%}
    {%- set as_of_expression = "coalesce(max(as_of_date), current_date)" -%}
{%- endif %}

with

pull_requests as (

    select max(updated_at) as latest_at from {{ ref('stg_github__pull_requests') }}

),

sessions as (

    select max(ended_at) as latest_at from {{ ref('fct_ai_sessions') }}

),

survival as (

    -- measured_as_of is already the exclusive end of the measured days.
    select max(measured_as_of) as latest_at from {{ ref('stg_git__pr_survival') }}

),

candidates as (

    select cast(latest_at as date) as as_of_date from survival
    union all
    select cast({{ dbt.dateadd('day', 1, 'cast(latest_at as date)') }} as date) as as_of_date
    from pull_requests
    union all
    select cast({{ dbt.dateadd('day', 1, 'cast(latest_at as date)') }} as date) as as_of_date
    from sessions

),

final as (

    select {{ as_of_expression }} as as_of_date

    from candidates

)

select * from final
