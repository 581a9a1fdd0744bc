-- A table, not a view like the rest of this layer: five facts and three tests read it, and as
-- a view each of them recomputed every join below (on the large profile, 65 s in its three tests
-- alone and most of the five facts' time).
{{ config(materialized='table') }}

-- One row per pull request: the staging row joined with its people, work type, review,
-- timeline, commit, revert, marker and size facts. `fct_pull_requests` publishes it with the
-- platforms its attributed sessions add; attribution reads the development window from here.

with

pull_requests as (

    select * from {{ ref('stg_github__pull_requests') }}

),

commits as (

    select * from {{ ref('stg_github__pull_request_commits') }}

),

reviews as (

    select * from {{ ref('stg_github__pull_request_reviews') }}

),

review_threads as (

    select * from {{ ref('stg_github__pull_request_review_threads') }}

),

files as (

    select * from {{ ref('stg_github__pull_request_files') }}

),

timeline_events as (

    select * from {{ ref('stg_github__pull_request_timeline_events') }}

),

survival as (

    select * from {{ ref('stg_git__pr_survival') }}

),

humans as (

    select * from {{ ref('int_pull_requests_humans_resolved') }}

),

work_types as (

    select * from {{ ref('int_pull_requests_work_typed') }}

),

reverts as (

    select * from {{ ref('int_pull_request_reverts') }}

),

markers as (

    select * from {{ ref('int_pull_request_agent_markers') }}

),

commit_stats as (

    select
        pull_request_id,
        count(*) as commit_count,
        min(authored_at) as first_commit_at,
        max(authored_at) as last_commit_at

    from commits

    group by pull_request_id

),

review_stats as (

    -- Reviews by the author themself (replies to threads show as COMMENTED reviews) are not
    -- review activity; PENDING reviews are unsubmitted drafts.
    select
        reviews.pull_request_id,
        min(reviews.submitted_at) as first_reviewed_at,
        min(
            case when reviews.review_state = 'CHANGES_REQUESTED' then reviews.submitted_at end
        ) as first_changes_requested_at,
        count(*) as review_count,
        sum(case when reviews.review_state = 'APPROVED' then 1 else 0 end) as approval_count,
        sum(
            case when reviews.review_state = 'CHANGES_REQUESTED' then 1 else 0 end
        ) as changes_requested_count,
        -- A round is a reviewed revision: reviews of the same head commit are one round.
        count(distinct coalesce(reviews.commit_oid, reviews.review_id)) as review_rounds

    from reviews

    inner join pull_requests
        on reviews.pull_request_id = pull_requests.pull_request_id

    where
        reviews.review_state != 'PENDING'
        and reviews.submitted_at is not null
        and coalesce(reviews.reviewer_login, '') != coalesce(pull_requests.author_login, '')

    group by reviews.pull_request_id

),

thread_stats as (

    select
        pull_request_id,
        count(*) as review_thread_count,
        sum(comment_count) as review_comment_count

    from review_threads

    group by pull_request_id

),

timeline_stats as (

    select
        pull_request_id,
        min(case when event_type = 'ReadyForReviewEvent' then created_at end) as ready_event_at,
        min(case when event_type = 'ReopenedEvent' then created_at end) as first_reopened_at

    from timeline_events

    group by pull_request_id

),

file_stats as (

    select
        pull_request_id,
        count(*) as file_count

    from files

    group by pull_request_id

),

effective_lines as (

    -- Effective lines added do not depend on the horizon; any measured row carries them.
    select
        pull_request_key,
        max(effective_lines_added) as effective_lines_added

    from survival

    group by pull_request_key

),

reverted_by as (

    -- The earliest merged PR that reverts this one.
    select
        reverts.reverted_pull_request_id,
        reverting.pull_request_id as revert_pull_request_id,
        reverting.pull_request_key as revert_pull_request_key,
        reverting.merged_at as reverted_at,
        row_number() over (
            partition by reverts.reverted_pull_request_id
            order by reverting.merged_at, reverting.pr_number
        ) as revert_rank

    from reverts

    inner join pull_requests as reverting
        on reverts.revert_pull_request_id = reverting.pull_request_id

    where reverting.merged_at is not null

),

reverts_of as (

    -- The PR this one reverts (a revert PR may itself be reverted: "Reapply").
    select
        revert_pull_request_id,
        min(reverted_pull_request_id) as reverts_pull_request_id

    from reverts

    group by revert_pull_request_id

),

marker_lists as (

    select
        pull_request_id,
        {{ dbt.listagg(
            dbt.concat(["marker_type", "':'", "pattern"]), "', '", "order by marker_type, pattern"
        ) }} as agent_markers_found

    from markers

    group by pull_request_id

),

marker_platforms as (

    select distinct
        pull_request_id,
        platform

    from markers

),

marker_platform_lists as (

    select
        pull_request_id,
        {{ dbt.listagg("platform", "', '", "order by platform") }} as marker_platforms

    from marker_platforms

    group by pull_request_id

),

joined as (

    select
        pull_requests.pull_request_id,
        pull_requests.pull_request_key,
        pull_requests.repo,
        pull_requests.repository_id,
        pull_requests.pr_number,
        pull_requests.title,
        pull_requests.pull_request_url,
        pull_requests.pr_state,
        pull_requests.is_draft,
        pull_requests.author_login,
        pull_requests.is_bot_author,
        pull_requests.is_ghost_author,
        pull_requests.is_cross_repository,
        pull_requests.head_repository,
        pull_requests.is_truncated_by_github,
        humans.is_agent_authored,
        humans.person_id,
        humans.agent_starter_person_id,
        pull_requests.head_ref_name,
        pull_requests.base_ref_name,
        pull_requests.merge_commit_oid,
        work_types.work_type,
        work_types.work_type_source,
        pull_requests.created_at,
        coalesce(
            timeline_stats.ready_event_at, pull_requests.published_at, pull_requests.created_at
        ) as ready_at,
        review_stats.first_reviewed_at,
        review_stats.first_changes_requested_at,
        timeline_stats.first_reopened_at,
        pull_requests.merged_at,
        pull_requests.closed_at,
        commit_stats.first_commit_at,
        commit_stats.last_commit_at,
        pull_requests.additions,
        pull_requests.deletions,
        -- Past GitHub's caps the loaded files and commits are the first 3,000 / 250: the counts
        -- are GitHub's totals then (is_truncated_by_github says so), never the served rows.
        case
            when pull_requests.is_truncated_by_github
                then greatest(
                    coalesce(file_stats.file_count, 0),
                    coalesce(pull_requests.files_total_count, pull_requests.changed_files, 0)
                )
            else coalesce(file_stats.file_count, pull_requests.changed_files, 0)
        end as file_count,
        effective_lines.effective_lines_added,
        case
            when pull_requests.is_truncated_by_github
                then greatest(
                    coalesce(commit_stats.commit_count, 0),
                    coalesce(pull_requests.commit_count, 0)
                )
            else coalesce(commit_stats.commit_count, 0)
        end as commit_count,
        coalesce(review_stats.review_count, 0) as review_count,
        coalesce(review_stats.review_rounds, 0) as review_rounds,
        coalesce(review_stats.approval_count, 0) as approval_count,
        coalesce(review_stats.changes_requested_count, 0) as changes_requested_count,
        coalesce(thread_stats.review_thread_count, 0) as review_thread_count,
        coalesce(thread_stats.review_comment_count, 0) as review_comment_count,
        pull_requests.comment_count,
        reverted_by.revert_pull_request_id,
        reverted_by.revert_pull_request_key,
        reverted_by.reverted_at,
        reverts_of.reverts_pull_request_id,
        marker_lists.agent_markers_found,
        marker_platform_lists.marker_platforms,
        marker_lists.pull_request_id is not null as has_agent_marker

    from pull_requests

    left join humans
        on pull_requests.pull_request_id = humans.pull_request_id

    left join work_types
        on pull_requests.pull_request_id = work_types.pull_request_id

    left join commit_stats
        on pull_requests.pull_request_id = commit_stats.pull_request_id

    left join review_stats
        on pull_requests.pull_request_id = review_stats.pull_request_id

    left join thread_stats
        on pull_requests.pull_request_id = thread_stats.pull_request_id

    left join timeline_stats
        on pull_requests.pull_request_id = timeline_stats.pull_request_id

    left join file_stats
        on pull_requests.pull_request_id = file_stats.pull_request_id

    left join effective_lines
        on pull_requests.pull_request_key = effective_lines.pull_request_key

    left join reverted_by
        on
            pull_requests.pull_request_id = reverted_by.reverted_pull_request_id
            and reverted_by.revert_rank = 1

    left join reverts_of
        on pull_requests.pull_request_id = reverts_of.revert_pull_request_id

    left join marker_lists
        on pull_requests.pull_request_id = marker_lists.pull_request_id

    left join marker_platform_lists
        on pull_requests.pull_request_id = marker_platform_lists.pull_request_id

),

final as (

    select
        joined.*,
        joined.revert_pull_request_id is not null as is_reverted,
        joined.merged_at is not null
        and (
            joined.reverted_at is null
            or joined.reverted_at
            > {{ dbt.dateadd('day', var('revert_window_days'), 'joined.merged_at') }}
        ) as is_accepted,
        {{ hours_between('joined.ready_at', 'joined.first_reviewed_at') }}
            as hours_to_first_review,
        {{ hours_between('joined.created_at', 'joined.merged_at') }} as hours_to_merge,
        -- Development window (docs/metrics.md): from `dev_window_lead_hours` before the first
        -- commit (the creation time when the PR has no commits) to the merge or close; open PRs are
        -- still in development, so their window is open-ended (null end).
        {{ dbt.dateadd(
            'hour', -1 * var('dev_window_lead_hours'),
            'coalesce(joined.first_commit_at, joined.created_at)'
        ) }} as dev_window_start_at,
        coalesce(joined.merged_at, joined.closed_at) as dev_window_end_at

    from joined

)

select * from final
