-- One row per spend fragment of an AI session: one per linked pull request (the session's cost
-- times the link weight), or a single `unattributed` fragment for a session with no link. Every
-- dollar of every session is in exactly one fragment and one `spend_class` (docs/metrics.md
-- "spend classification"); the singular test `assert_session_spend_conserves_cost` checks
-- Σ spend_usd = Σ fct_ai_sessions.cost_usd.

with

sessions as (

    select * from {{ ref('fct_ai_sessions') }}

),

links as (

    select * from {{ ref('fct_session_pr_links') }}

),

pull_requests as (

    select * from {{ ref('int_pull_requests_enriched') }}

),

durability as (

    select * from {{ ref('fct_pr_durability') }}

    where horizon_days = 30

),

as_of as (

    select * from {{ ref('dim_as_of_dates') }}

),

session_signals as (

    select
        sessions.session_id,
        sessions.person_id,
        sessions.platform,
        sessions.session_date,
        sessions.session_grain,
        sessions.started_at,
        sessions.repo as session_repo,
        sessions.cost_usd,
        coalesce(sessions.lines_added, 0) > 0 or coalesce(sessions.edits_accepted, 0) > 0
            as has_code_output,
        case
            when coalesce(sessions.edits_accepted, 0) + coalesce(sessions.edits_rejected, 0) > 0
                then
                    cast(sessions.edits_rejected as decimal(18, 6))
                    / cast(sessions.edits_accepted + sessions.edits_rejected as decimal(18, 6))
        end as edit_reject_share

    from sessions

),

linked_fragments as (

    select
        links.session_id,
        links.pull_request_id,
        links.attribution_method,
        links.attribution_confidence,
        links.weight,
        links.first_commit_during_session_at,
        row_number() over (
            partition by links.session_id order by links.pull_request_id
        ) as fragment_number,
        count(*) over (partition by links.session_id) as fragment_count

    from links

),

linked_costs as (

    -- The last fragment takes the remainder, so the fragments add up to the session cost
    -- exactly (weights like 1/3 are not exact decimals).
    select
        linked_fragments.*,
        session_signals.cost_usd,
        case
            when session_signals.session_grain = 'user_day'
                then
                    coalesce(
                        linked_fragments.first_commit_during_session_at,
                        session_signals.started_at
                    )
            else session_signals.started_at
        end as work_started_at,
        {{ decimal_share('session_signals.cost_usd', 'linked_fragments.weight') }} as share_usd

    from linked_fragments

    inner join session_signals
        on linked_fragments.session_id = session_signals.session_id

),

linked_spend as (

    select
        session_id,
        pull_request_id,
        attribution_method,
        attribution_confidence,
        weight,
        work_started_at,
        case
            when fragment_number < fragment_count then share_usd
            -- Subtracted as decimal(30, 12): Spark drops a decimal place from decimal(38, 12)
            -- differences to stay within 38 digits.
            else cast(cost_usd as decimal(30, 12)) - cast(coalesce(
                sum(share_usd) over (
                    partition by session_id
                    order by fragment_number
                    rows between unbounded preceding and 1 preceding
                ),
                0
            ) as decimal(30, 12))
        end as spend_usd

    from linked_costs

),

classified_linked as (

    select
        linked_spend.session_id,
        linked_spend.pull_request_id,
        linked_spend.attribution_method,
        linked_spend.attribution_confidence,
        linked_spend.weight,
        linked_spend.spend_usd,
        -- Precedence: retry first (it beats productive/rework for the same fragment), then the
        -- PR's fate. "Started after the review (or reopen)": a user-day session starts at
        -- midnight whatever its hours, so its work on the PR is placed by the PR's first
        -- commit authored that day when there is one (a day whose commits all follow the
        -- CHANGES_REQUESTED review is review-response work); burst sessions have exact starts.
        case
            when
                pull_requests.first_changes_requested_at < linked_spend.work_started_at
                or pull_requests.first_reopened_at < linked_spend.work_started_at
                or session_signals.edit_reject_share >= {{ var('retry_reject_share') }}
                then 'retry'
            when pull_requests.pr_state = 'OPEN' then 'pending'
            when pull_requests.merged_at is null then 'abandoned'
            when pull_requests.is_reverted then 'rework'
            when durability.status = 'pending' or durability.status is null then 'pending'
            when durability.survival_rate < {{ var('durable_survival_threshold') }} then 'rework'
            -- Durable, or nothing effective to decay (e.g. lock-file-only changes).
            else 'productive'
        end as spend_class

    from linked_spend

    inner join session_signals
        on linked_spend.session_id = session_signals.session_id

    inner join pull_requests
        on linked_spend.pull_request_id = pull_requests.pull_request_id

    left join durability
        on linked_spend.pull_request_id = durability.pull_request_id

),

unattributed as (

    select
        session_signals.session_id,
        cast(null as {{ dbt.type_string() }}) as pull_request_id,
        cast(null as {{ dbt.type_string() }}) as attribution_method,
        cast(null as {{ dbt.type_string() }}) as attribution_confidence,
        cast(0 as decimal(38, 12)) as weight,
        session_signals.cost_usd as spend_usd,
        case
            when not session_signals.has_code_output then 'exploratory'
            when {{ dbt.dateadd(
                'day', var('attribution_horizon_days'), 'session_signals.session_date'
            ) }} > as_of.as_of_date then 'pending'
            else 'abandoned'
        end as spend_class

    from session_signals

    cross join as_of

    where not exists (
        select 1
        from links
        where links.session_id = session_signals.session_id
    )

),

fragments as (

    select * from classified_linked
    union all
    select * from unattributed

),

final as (

    select
        {{ dbt.concat([
            "fragments.session_id", "'|'", "coalesce(fragments.pull_request_id, 'unattributed')"
        ]) }} as session_spend_id,
        fragments.session_id,
        fragments.pull_request_id,
        fragments.pull_request_id is not null as is_attributed,
        fragments.attribution_method,
        fragments.attribution_confidence,
        fragments.weight,
        fragments.spend_class,
        fragments.spend_usd,
        session_signals.person_id,
        session_signals.platform,
        session_signals.session_date,
        session_signals.started_at,
        coalesce(pull_requests.repo, session_signals.session_repo) as repo,
        pull_requests.work_type

    from fragments

    inner join session_signals
        on fragments.session_id = session_signals.session_id

    left join pull_requests
        on fragments.pull_request_id = pull_requests.pull_request_id

)

select * from final
