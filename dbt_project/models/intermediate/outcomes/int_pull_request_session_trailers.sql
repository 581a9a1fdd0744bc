{#-
    The agent sessions named by the commits of each pull request: tokenworth's prepare-commit-msg
    hook (`tokenworth hooks install`) adds `AI-Session: <agent>/<session id>` to every commit an
    agent session makes (Claude Code: CLAUDE_CODE_SESSION_ID). A pull request can hold commits of
    several sessions, and a session can commit to several pull requests.
-#}

with

commits as (

    select * from {{ ref('stg_github__pull_request_commits') }}

),

trailers as (

    select
        pull_request_id,
        commit_oid,
        authored_at,
        {{ regexp_capture(
            'message', "'(?i)ai-session:[ \\t]*([a-z0-9_.-]+/[A-Za-z0-9._:-]+)'"
        ) }} as trailer_value

    from commits

),

parsed as (

    select
        pull_request_id,
        lower({{ dbt.split_part('trailer_value', "'/'", 1) }}) as agent,
        {{ dbt.split_part('trailer_value', "'/'", 2) }} as agent_session_id,
        count(*) as commits_with_trailer,
        min(authored_at) as first_commit_at

    from trailers

    where trailer_value is not null

    group by 1, 2, 3

)

select * from parsed
