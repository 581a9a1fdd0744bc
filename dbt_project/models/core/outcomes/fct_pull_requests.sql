-- One row per pull request (docs/metrics.md `fct_pull_requests`): who and what, review and merge
-- times, size, reverts, acceptance, agent markers, and the AI platforms involved (from markers
-- and from attributed sessions).

with

pull_requests as (

    select * from {{ ref('int_pull_requests_enriched') }}

),

links as (

    select * from {{ ref('fct_session_pr_links') }}

),

sessions as (

    select * from {{ ref('fct_ai_sessions') }}

),

attributed_platforms as (

    select distinct
        links.pull_request_id,
        sessions.platform

    from links

    inner join sessions
        on links.session_id = sessions.session_id

),

marker_platforms as (

    select * from {{ ref('int_pull_request_agent_markers') }}

),

all_platforms as (

    select
        pull_request_id,
        platform

    from attributed_platforms

    union distinct

    select
        pull_request_id,
        platform

    from marker_platforms

),

platform_lists as (

    select
        pull_request_id,
        {{ dbt.listagg("platform", "', '", "order by platform") }} as ai_platforms,
        count(*) as ai_platform_count

    from all_platforms

    group by pull_request_id

),

link_stats as (

    select
        pull_request_id,
        count(*) as linked_session_count,
        max(case when attribution_confidence in ('high', 'medium') then 1 else 0 end) = 1
            as has_confident_link

    from links

    group by pull_request_id

),

final as (

    select
        pull_requests.pull_request_id,
        pull_requests.pull_request_key,
        pull_requests.repo,
        pull_requests.repository_id,
        pull_requests.pr_number,
        pull_requests.title,
        pull_requests.pull_request_url,
        pull_requests.person_id,
        pull_requests.author_login,
        pull_requests.is_bot_author,
        pull_requests.is_ghost_author,
        pull_requests.is_cross_repository,
        pull_requests.head_repository,
        pull_requests.is_truncated_by_github,
        pull_requests.is_agent_authored,
        pull_requests.agent_starter_person_id,
        pull_requests.head_ref_name,
        pull_requests.base_ref_name,
        pull_requests.work_type,
        pull_requests.work_type_source,
        pull_requests.pr_state,
        pull_requests.is_draft,
        pull_requests.created_at,
        pull_requests.ready_at,
        pull_requests.first_reviewed_at,
        pull_requests.first_changes_requested_at,
        pull_requests.first_reopened_at,
        pull_requests.merged_at,
        pull_requests.closed_at,
        pull_requests.first_commit_at,
        pull_requests.dev_window_start_at,
        pull_requests.dev_window_end_at,
        pull_requests.additions,
        pull_requests.deletions,
        pull_requests.file_count,
        pull_requests.effective_lines_added,
        pull_requests.commit_count,
        pull_requests.review_count,
        pull_requests.review_rounds,
        pull_requests.approval_count,
        pull_requests.changes_requested_count,
        pull_requests.review_thread_count,
        pull_requests.review_comment_count,
        pull_requests.comment_count,
        pull_requests.hours_to_first_review,
        pull_requests.hours_to_merge,
        pull_requests.is_reverted,
        pull_requests.revert_pull_request_id,
        pull_requests.revert_pull_request_key,
        pull_requests.reverted_at,
        pull_requests.reverts_pull_request_id,
        pull_requests.is_accepted,
        pull_requests.has_agent_marker,
        pull_requests.agent_markers_found,
        pull_requests.marker_platforms,
        platform_lists.ai_platforms,
        coalesce(platform_lists.ai_platform_count, 0) as ai_platform_count,
        coalesce(link_stats.linked_session_count, 0) as linked_session_count,
        -- Markers are a lower bound (users can switch them off), so an attributed session also
        -- makes a PR AI-assisted; low-confidence time-window links included.
        pull_requests.has_agent_marker or link_stats.pull_request_id is not null
            as is_ai_assisted

    from pull_requests

    left join platform_lists
        on pull_requests.pull_request_id = platform_lists.pull_request_id

    left join link_stats
        on pull_requests.pull_request_id = link_stats.pull_request_id

)

select * from final
