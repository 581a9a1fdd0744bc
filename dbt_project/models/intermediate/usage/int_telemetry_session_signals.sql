{#-
    What each agent session did besides spending tokens, from its own telemetry: lines of code
    (Claude Code's `lines_of_code.count`), edit decisions (`tool_decision` on the edit tools),
    commits and pull requests it made, prompts, and the repository the organisation named in
    OTEL_RESOURCE_ATTRIBUTES. A session that sent telemetry and made no edit has zeros here, not
    nulls: its agent would have said so, which is what tells exploration from coding per session.
    Counters are delta sums (Claude Code's default temporality); a cumulative series counts its
    largest value per series start.
-#}

with

requests as (

    select * from {{ ref('stg_otel__api_requests') }}

),

events as (

    select * from {{ ref('stg_otel__agent_events') }}

),

points as (

    select * from {{ ref('stg_otel__metric_points') }}

),

sessions as (

    select
        platform,
        agent_session_id,
        count(*) as request_count

    from requests

    where agent_session_id is not null

    group by 1, 2

),

-- The repository named most often by the session's requests (ties: by name).
session_repositories as (

    select
        platform,
        agent_session_id,
        resource_repository as repo,
        row_number() over (
            partition by platform, agent_session_id
            order by count(*) desc, resource_repository
        ) as repo_rank

    from requests

    where agent_session_id is not null and resource_repository is not null

    group by 1, 2, 3

),

event_counts as (

    select
        platform,
        agent_session_id,
        sum(case when event_type = 'user_prompt' then 1 else 0 end) as prompt_count,
        sum(
            case
                when
                    event_type = 'tool_decision'
                    and tool_name in {{ edit_tools() }}
                    and decision = 'accept'
                    then 1
                else 0
            end
        ) as edits_accepted,
        sum(
            case
                when
                    event_type = 'tool_decision'
                    and tool_name in {{ edit_tools() }}
                    and decision = 'reject'
                    then 1
                else 0
            end
        ) as edits_rejected

    from events

    where agent_session_id is not null

    group by 1, 2

),

-- A cumulative series reports its running total: its largest value per series start counts.
point_values as (

    select
        platform,
        agent_session_id,
        metric_name,
        point_type,
        case
            when aggregation_temporality = 'cumulative'
                then
                    case
                        when
                            point_value = max(point_value) over (
                                partition by
                                    platform, agent_session_id, metric_name, point_type, started_at
                            )
                            then point_value
                        else 0
                    end
            else point_value
        end as counted_value

    from points

    where agent_session_id is not null

),

metric_counts as (

    select
        platform,
        agent_session_id,
        sum(
            case
                when metric_name like '%.lines_of_code.count' and point_type = 'added'
                    then counted_value
                else 0
            end
        ) as lines_added,
        sum(
            case
                when metric_name like '%.lines_of_code.count' and point_type = 'removed'
                    then counted_value
                else 0
            end
        ) as lines_removed,
        sum(case when metric_name like '%.commit.count' then counted_value else 0 end)
            as commits,
        sum(case when metric_name like '%.pull_request.count' then counted_value else 0 end)
            as pull_requests

    from point_values

    group by 1, 2

),

final as (

    select
        sessions.platform,
        sessions.agent_session_id,
        sessions.request_count,
        cast(coalesce(event_counts.prompt_count, 0) as {{ dbt.type_bigint() }}) as prompt_count,
        cast(coalesce(metric_counts.lines_added, 0) as {{ dbt.type_bigint() }}) as lines_added,
        cast(coalesce(metric_counts.lines_removed, 0) as {{ dbt.type_bigint() }})
            as lines_removed,
        cast(coalesce(event_counts.edits_accepted, 0) as {{ dbt.type_bigint() }})
            as edits_accepted,
        cast(coalesce(event_counts.edits_rejected, 0) as {{ dbt.type_bigint() }})
            as edits_rejected,
        cast(coalesce(metric_counts.commits, 0) as {{ dbt.type_bigint() }}) as commits,
        cast(coalesce(metric_counts.pull_requests, 0) as {{ dbt.type_bigint() }})
            as pull_requests,
        session_repositories.repo

    from sessions

    left join event_counts
        on
            sessions.platform = event_counts.platform
            and sessions.agent_session_id = event_counts.agent_session_id

    left join metric_counts
        on
            sessions.platform = metric_counts.platform
            and sessions.agent_session_id = metric_counts.agent_session_id

    left join session_repositories
        on
            sessions.platform = session_repositories.platform
            and sessions.agent_session_id = session_repositories.agent_session_id
            and session_repositories.repo_rank = 1

)

select * from final
