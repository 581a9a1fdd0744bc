-- One row per repository seen in pull-request data, with its activity span.

with

pull_requests as (

    select * from {{ ref('stg_github__pull_requests') }}

),

final as (

    select
        repo,
        max(base_ref_name) as default_branch,
        count(*) as pull_request_count,
        min(created_at) as first_pull_request_at,
        max(updated_at) as last_activity_at

    from pull_requests

    group by repo

)

select * from final
