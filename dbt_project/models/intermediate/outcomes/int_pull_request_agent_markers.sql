-- A table, not a view: matching marker patterns against every commit message is read by four
-- models and five tests, each of which recomputed it as a view.
{{ config(materialized='table') }}

-- One row per (pull request, platform, marker type, pattern) found on the pull request: in its
-- commits' messages, its body, its author, its commits' authors, its head branch or its labels.

with

pull_requests as (

    select * from {{ ref('stg_github__pull_requests') }}

),

commits as (

    select * from {{ ref('stg_github__pull_request_commits') }}

),

labels as (

    select * from {{ ref('stg_github__pull_request_labels') }}

),

markers as (

    select * from {{ ref('agent_markers') }}

),

in_commit_messages as (

    select
        commits.pull_request_id,
        markers.platform,
        markers.marker_type,
        markers.pattern

    from commits

    inner join markers
        on
            markers.marker_type in ('trailer', 'footer')
            and lower(commits.message) like {{ dbt.concat(["'%'", "markers.pattern", "'%'"]) }}

),

in_pull_request_bodies as (

    select
        pull_requests.pull_request_id,
        markers.platform,
        markers.marker_type,
        markers.pattern

    from pull_requests

    inner join markers
        on
            markers.marker_type = 'footer'
            and lower(pull_requests.body) like {{ dbt.concat(["'%'", "markers.pattern", "'%'"]) }}

),

by_pull_request_author as (

    select
        pull_requests.pull_request_id,
        markers.platform,
        markers.marker_type,
        markers.pattern

    from pull_requests

    inner join markers
        on
            markers.marker_type = 'bot_author'
            and pull_requests.author_login = markers.pattern

),

by_commit_author as (

    select
        commits.pull_request_id,
        markers.platform,
        markers.marker_type,
        markers.pattern

    from commits

    inner join markers
        on (
            markers.marker_type = 'bot_author'
            and (
                commits.author_login = markers.pattern or commits.committer_login = markers.pattern
            )
        )
        or (
            markers.marker_type = 'commit_author'
            and (
                commits.author_email = markers.pattern or commits.committer_email = markers.pattern
            )
        )

),

by_head_branch as (

    select
        pull_requests.pull_request_id,
        markers.platform,
        markers.marker_type,
        markers.pattern

    from pull_requests

    inner join markers
        on
            markers.marker_type = 'branch_prefix'
            and lower(pull_requests.head_ref_name) like {{ dbt.concat(["markers.pattern", "'%'"]) }}

),

by_label as (

    select
        labels.pull_request_id,
        markers.platform,
        markers.marker_type,
        markers.pattern

    from labels

    inner join markers
        on
            markers.marker_type = 'label'
            and labels.label_name_normalized = markers.pattern

),

unioned as (

    select * from in_commit_messages
    union distinct
    select * from in_pull_request_bodies
    union distinct
    select * from by_pull_request_author
    union distinct
    select * from by_commit_author
    union distinct
    select * from by_head_branch
    union distinct
    select * from by_label

)

select * from unioned
