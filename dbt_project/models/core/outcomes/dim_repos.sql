-- One row per GitHub repository seen in pull-request data (its node id), under its current name:
-- a repository renamed or transferred between nights is one row (staging puts its pull requests
-- under the name of its latest load), so its history never splits across two names.

with

pull_requests as (

    select * from {{ ref('stg_github__pull_requests') }}

),

keyed as (

    select
        -- A pull request loaded before tokenworth recorded GitHub's repository id takes the id
        -- its repository's other rows carry; a repository with none is known by name only.
        coalesce(
            repository_id,
            max(repository_id) over (partition by repo),
            repo
        ) as repository_id,
        repo,
        base_ref_name,
        created_at,
        updated_at

    from pull_requests

),

final as (

    select
        repository_id,
        -- One name unless two repositories have held it (the map leaves that name as loaded).
        max(repo) as repo,
        count(distinct repo) as name_count,
        max(base_ref_name) as default_branch,
        count(*) as pull_request_count,
        min(created_at) as first_pull_request_at,
        max(updated_at) as last_activity_at

    from keyed

    group by repository_id

)

select * from final
