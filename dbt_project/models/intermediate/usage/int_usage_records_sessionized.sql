{#-
    Every usage record that fct_ai_usage counts (priced, without the Claude Code key duplicates)
    with the session it belongs to. It reads the records from int_usage_records_priced, like
    fct_ai_usage does, not from the fact: the layer below the facts holds the logic.
    * Bursts (Cursor requests; Anthropic API and OpenAI hourly buckets): records of one person on
      one platform, in time order; a record starts a new session when it starts more than
      `session_gap_minutes` after the latest end of the records before it (a gap of exactly the
      threshold stays in the session). Hourly buckets are coarse: consecutive non-empty hours
      touch (gap 0) and form one session; an empty hour in between (gap 60 min) splits.
    * User-days (Claude Code, Copilot): the vendor only gives a user-day, which is the session.
    * Agent telemetry (`session_grain = 'request'`): the agent names its session; its requests
      are that session, whatever the gaps between them. What a vendor report keeps beside the
      telemetry (int_usage_records_reconciled's residuals) stays a user-day session.
    Reads the fact's window plus one day before and one after, so the first sessions of the
    window see their predecessors and the last ones their records past midnight (a session can
    cross midnight); fct_ai_sessions keeps the window's sessions.
-#}

with

usage_records as (

    select * from {{ ref('int_usage_records_reconciled') }}

    where {{ in_usage_window('usage_date', var('usage_lookback_days', 3) + 1, 1) }}
    -- The records fct_ai_usage keeps: the Claude Code report is the record of those tokens.
    and not is_claude_code_duplicate

),

platforms as (

    select * from {{ ref('platforms') }}

),

records as (

    select
        usage_records.*,
        case
            when usage_records.usage_source = 'telemetry' then 'request'
            else platforms.session_grain
        end as session_grain

    from usage_records

    inner join platforms
        on usage_records.platform = platforms.platform

),

burst_records as (

    select
        *,
        max(ended_at) over (
            partition by person_id, platform
            order by started_at, ended_at, usage_id
            rows between unbounded preceding and 1 preceding
        ) as previous_ended_at

    from records

    where session_grain = 'burst'

),

burst_records_flagged as (

    select
        *,
        case
            when previous_ended_at is null then 1
            when
                started_at
                > {{ dbt.dateadd('minute', var('session_gap_minutes'), 'previous_ended_at') }}
                then 1
            else 0
        end as is_session_start

    from burst_records

),

burst_records_numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by person_id, platform
            order by started_at, ended_at, usage_id
            rows between unbounded preceding and current row
        ) as session_number

    from burst_records_flagged

),

burst_sessions as (

    select
        *,
        min(started_at) over (
            partition by person_id, platform, session_number
        ) as session_started_at

    from burst_records_numbered

),

sessionized as (

    select
        usage_id,
        person_id,
        platform,
        session_grain,
        {{ dbt.hash(dbt.concat([
            "person_id", "'|'", "platform", "'|'",
            "cast(session_started_at as " ~ dbt.type_string() ~ ")",
        ])) }} as session_id,
        session_started_at,
        cast(session_started_at as date) as session_date

    from burst_sessions

    union all

    select
        usage_id,
        person_id,
        platform,
        session_grain,
        {{ dbt.hash(dbt.concat([
            "person_id", "'|'", "platform", "'|'",
            "cast(usage_date as " ~ dbt.type_string() ~ ")",
        ])) }} as session_id,
        cast(usage_date as {{ dbt.type_timestamp() }}) as session_started_at,
        usage_date as session_date

    from records

    where session_grain = 'user_day'

    union all

    select
        usage_id,
        person_id,
        platform,
        session_grain,
        {{ dbt.hash(dbt.concat([
            "person_id", "'|'", "platform", "'|session|'", "agent_session_id",
        ])) }} as session_id,
        min(started_at) over (
            partition by person_id, platform, agent_session_id
        ) as session_started_at,
        cast(
            min(started_at) over (partition by person_id, platform, agent_session_id) as date
        ) as session_date

    from records

    where session_grain = 'request'

)

select * from sessionized
