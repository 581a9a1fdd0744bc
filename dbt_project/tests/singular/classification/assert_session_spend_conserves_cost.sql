-- Conservation: every dollar of every session lands in exactly one spend fragment. A failure
-- (a returned row) means fct_session_spend lost, duplicated or invented money relative to
-- fct_ai_sessions — overall or for some session.

with

sessions as (

    select
        session_id,
        cost_usd

    from {{ ref('fct_ai_sessions') }}

),

spend as (

    select
        session_id,
        sum(spend_usd) as spend_usd,
        count(*) as fragment_count

    from {{ ref('fct_session_spend') }}

    group by session_id

)

select
    sessions.session_id,
    sessions.cost_usd,
    spend.spend_usd

from sessions

full outer join spend
    on sessions.session_id = spend.session_id

where
    spend.session_id is null
    or sessions.session_id is null
    or coalesce(sessions.cost_usd, 0) != coalesce(spend.spend_usd, 0)
