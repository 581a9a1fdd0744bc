-- Attribution weights of a session sum to at most 1 (docs/metrics.md); the rest of its cost is
-- unattributed. A returned row names a session whose cost would be over-attributed.

select
    session_id,
    sum(weight) as total_weight

from {{ ref('fct_session_pr_links') }}

group by session_id

having sum(weight) > 1.000000001 or min(weight) <= 0
