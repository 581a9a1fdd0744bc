-- An accepted outcome is a merged pull request; a returned row is an accepted PR without a merge.

select
    pull_request_id,
    pr_state

from {{ ref('fct_pull_requests') }}

where
    is_accepted
    and (merged_at is null or pr_state != 'MERGED')
