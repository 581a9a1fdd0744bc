-- One row per (AI session, pull request) the session is attributed to (docs/metrics.md
-- `fct_session_pr_links`). Candidates come from four rules — `session_trailer` (exact: a commit
-- of the PR carries the session's own id, written by tokenworth's prepare-commit-msg hook),
-- `branch` (high), `marker_window` (medium), `time_window` (low; for a telemetry session that
-- names its repository and wrote code, also the PRs of its person in that repository whose window
-- starts the next day). "Higher-confidence methods win" on both sides of a link: a time_window
-- candidate is dropped when its PR has marker_window candidates, then only each session's
-- highest-confidence candidates are kept, and the session's weight is split over them in
-- proportion to (commits of the PR authored during the session + 1). Weights of a session
-- sum to exactly 1 when it has a link; sessions without a candidate have no row (their cost is
-- unattributed).
--
-- The two inferred rules (marker_window, time_window) only link sessions that tried to write
-- code: a session whose vendor reports code signals (lines added, edits accepted or rejected)
-- and reports none is questions, planning or reading code — docs/metrics.md's `exploratory` — and a
-- time overlap with a PR is no evidence that it built that PR. Sessions whose vendor reports no
-- code signals at all (the Anthropic and OpenAI APIs) keep the rules as written.
--
-- A session overlaps a PR's development window when it starts before the window ends and ends
-- after it starts. A user-day session (no telemetry: the vendor reports a day, not its hours)
-- is placed by its day: it overlaps when its day is on or after the day holding the window's
-- start (`dev_window_lead_hours` before the first commit), not when midnight happens to fall
-- inside the lead (docs/metrics.md: the day-grain lead; macro `overlaps_dev_window`).

with

sessions as (

    select * from {{ ref('fct_ai_sessions') }}

),

pull_requests as (

    select * from {{ ref('int_pull_requests_enriched') }}

),

markers as (

    select * from {{ ref('int_pull_request_agent_markers') }}

),

commits as (

    select * from {{ ref('stg_github__pull_request_commits') }}

),

session_trailers as (

    select * from {{ ref('int_pull_request_session_trailers') }}

),

linkable_sessions as (

    select * from sessions

    where
        (lines_added is null and edits_accepted is null and edits_rejected is null)
        or coalesce(lines_added, 0) > 0
        or coalesce(edits_accepted, 0) > 0
        -- Rejected edits are attempts at code (docs/metrics.md's retry), not questions.
        or coalesce(edits_rejected, 0) > 0

),

marker_platforms as (

    select distinct
        pull_request_id,
        platform

    from markers

),

windows as (

    -- Open PRs are still being developed: their window has no end yet.
    select
        pull_request_id,
        repo,
        head_ref_name,
        person_id,
        agent_starter_person_id,
        dev_window_start_at,
        coalesce(
            dev_window_end_at, cast('9999-12-31 00:00:00' as {{ dbt.type_timestamp() }})
        ) as dev_window_end_at

    from pull_requests

),

by_session_trailer as (

    -- The session named by a commit's AI-Session trailer built that PR: no window needed.
    select
        sessions.session_id,
        session_trailers.pull_request_id,
        'session_trailer' as attribution_method,
        4 as confidence_rank

    from sessions

    inner join session_trailers
        on
            sessions.agent_session_id = session_trailers.agent_session_id
            and sessions.platform = case session_trailers.agent
                when 'codex' then 'openai_api'
                else session_trailers.agent
            end

    where sessions.agent_session_id is not null

),

by_branch as (

    select
        sessions.session_id,
        windows.pull_request_id,
        'branch' as attribution_method,
        3 as confidence_rank

    from sessions

    -- Within the PR's development window too: a branch name can be reused by a later PR.
    inner join windows
        on
            sessions.repo = windows.repo
            and sessions.branch = windows.head_ref_name
            and {{ overlaps_dev_window('sessions', 'windows') }}

    where
        sessions.repo is not null
        and sessions.branch is not null

),

marker_windows as (

    -- A marked PR's window once per person it links through: its author and, for a PR an agent
    -- opened, the human who started the agent. Two equi-joinable rows instead of an `or` in the
    -- sessions join, which could only be evaluated against every session of the platform.
    select
        windows.pull_request_id,
        marker_platforms.platform,
        windows.person_id as linked_person_id,
        windows.dev_window_start_at,
        windows.dev_window_end_at

    from windows

    inner join marker_platforms
        on windows.pull_request_id = marker_platforms.pull_request_id

    where windows.person_id is not null

    union distinct

    select
        windows.pull_request_id,
        marker_platforms.platform,
        windows.agent_starter_person_id as linked_person_id,
        windows.dev_window_start_at,
        windows.dev_window_end_at

    from windows

    inner join marker_platforms
        on windows.pull_request_id = marker_platforms.pull_request_id

    where windows.agent_starter_person_id is not null

),

by_marker_window as (

    select
        linkable_sessions.session_id,
        marker_windows.pull_request_id,
        'marker_window' as attribution_method,
        2 as confidence_rank

    from linkable_sessions

    inner join marker_windows
        on
            linkable_sessions.platform = marker_windows.platform
            and linkable_sessions.person_id = marker_windows.linked_person_id
            and {{ overlaps_dev_window('linkable_sessions', 'marker_windows') }}

),

by_time_window as (

    select
        linkable_sessions.session_id,
        windows.pull_request_id,
        'time_window' as attribution_method,
        1 as confidence_rank

    from linkable_sessions

    inner join windows
        on
            linkable_sessions.person_id = windows.person_id
            and {{ overlaps_dev_window('linkable_sessions', 'windows') }}

    union all

    -- An agent session that names its repository (telemetry's OTEL_RESOURCE_ATTRIBUTES) and
    -- wrote code on the day before a PR of its person in that repository began: work the
    -- person committed the next day (the hook only marks commits made inside a session).
    select
        linkable_sessions.session_id,
        windows.pull_request_id,
        'time_window' as attribution_method,
        1 as confidence_rank

    from linkable_sessions

    inner join windows
        on
            linkable_sessions.person_id = windows.person_id
            and linkable_sessions.repo = windows.repo
            and linkable_sessions.ended_at < windows.dev_window_start_at
            and cast(linkable_sessions.ended_at as date)
            >= {{ dbt.dateadd('day', -1, 'cast(windows.dev_window_start_at as date)') }}

    where
        linkable_sessions.session_grain = 'request'
        and (
            coalesce(linkable_sessions.lines_added, 0) > 0
            or coalesce(linkable_sessions.edits_accepted, 0) > 0
        )

),

candidates as (

    select * from by_session_trailer
    union all
    select * from by_branch
    union all
    select * from by_marker_window
    union all
    select * from by_time_window

),

best_per_pair as (

    select
        session_id,
        pull_request_id,
        max(confidence_rank) as confidence_rank

    from candidates

    group by
        session_id,
        pull_request_id

),

best_inferred_per_pull_request as (

    select
        pull_request_id,
        max(confidence_rank) as confidence_rank

    from best_per_pair

    where confidence_rank < 3

    group by pull_request_id

),

pr_ranked as (

    -- Higher-confidence methods win on the PR's side too: marker_window and time_window are
    -- both inferred from a session overlapping the PR's window, and a PR whose agent marker
    -- names a platform whose sessions were there does not also take a share of other sessions
    -- that merely overlap it in time. (A branch link is direct evidence about its session
    -- only: it does not push other sessions off the PR.)
    select best_per_pair.*

    from best_per_pair

    left join best_inferred_per_pull_request
        on best_per_pair.pull_request_id = best_inferred_per_pull_request.pull_request_id

    where
        best_per_pair.confidence_rank
        >= coalesce(best_inferred_per_pull_request.confidence_rank, 0)

),

best_per_session as (

    select
        session_id,
        max(confidence_rank) as confidence_rank

    from pr_ranked

    group by session_id

),

kept as (

    -- And per session: a session linked by branch is not also spread over PRs it merely
    -- overlaps in time.
    select pr_ranked.*

    from pr_ranked

    inner join best_per_session
        on
            pr_ranked.session_id = best_per_session.session_id
            and pr_ranked.confidence_rank = best_per_session.confidence_rank

),

commits_during as (

    select
        kept.session_id,
        kept.pull_request_id,
        count(commits.commit_oid) as commits_during_session,
        -- When work on the PR is first seen in the session: a user-day session's start is
        -- midnight, so this is what places its work before or after a review (spend classes).
        min(commits.authored_at) as first_commit_during_session_at

    from kept

    inner join sessions
        on kept.session_id = sessions.session_id

    left join commits
        on
            kept.pull_request_id = commits.pull_request_id
            and sessions.started_at <= commits.authored_at
            and sessions.ended_at >= commits.authored_at

    group by
        kept.session_id,
        kept.pull_request_id

),

shares as (

    select
        session_id,
        pull_request_id,
        commits_during_session,
        first_commit_during_session_at,
        -- docs/metrics.md: in proportion to (commits during the session + 1), equally if none. The
        -- +1 is the var `attribution_commit_smoothing` (default 1, the contract); with 0 a PR
        -- without commits in the session gets nothing when another PR has some (measured on
        -- the tiny sandbox: more accurate, see the attribution tests' report).
        case
            when
                sum(commits_during_session + {{ var('attribution_commit_smoothing', 1) }})
                    over (partition by session_id)
                > 0
                then commits_during_session + {{ var('attribution_commit_smoothing', 1) }}
            else 1
        end as share_units,
        case
            when
                sum(commits_during_session + {{ var('attribution_commit_smoothing', 1) }})
                    over (partition by session_id)
                > 0
                then
                    sum(commits_during_session + {{ var('attribution_commit_smoothing', 1) }})
                        over (partition by session_id)
            else count(*) over (partition by session_id)
        end as session_share_units,
        count(*) over (partition by session_id) as candidate_pull_requests

    from commits_during

),

final as (

    select
        {{ dbt.concat(["kept.session_id", "'|'", "kept.pull_request_id"]) }} as session_pr_link_id,
        kept.session_id,
        kept.pull_request_id,
        pull_requests.pull_request_key,
        case kept.confidence_rank
            when 4 then 'session_trailer'
            when 3 then 'branch'
            when 2 then 'marker_window'
            else 'time_window'
        end as attribution_method,
        case kept.confidence_rank
            when 4 then 'exact'
            when 3 then 'high'
            when 2 then 'medium'
            else 'low'
        end as attribution_confidence,
        shares.commits_during_session,
        shares.first_commit_during_session_at,
        shares.candidate_pull_requests,
        {{ decimal_ratio('shares.share_units', 'shares.session_share_units') }} as weight

    from kept

    inner join shares
        on
            kept.session_id = shares.session_id
            and kept.pull_request_id = shares.pull_request_id

    inner join pull_requests
        on kept.pull_request_id = pull_requests.pull_request_id

    -- Without smoothing a PR with no commit in the session gets no weight: no link.
    where shares.share_units > 0

)

select * from final
