-- Conservation: every dollar of fct_ai_usage is in exactly one session. A row here means the
-- sessions of a platform do not add up to its usage (a record lost or counted in two
-- sessions, or a session window that does not cover its records): the failing platform and
-- both sums are shown.
with

usage_costs as (

    select
        platform,
        sum(cost_usd) as usage_cost_usd,
        count(*) as usage_records

    from {{ ref('fct_ai_usage') }}

    group by 1

),

session_costs as (

    select
        platform,
        sum(cost_usd) as session_cost_usd,
        sum(usage_record_count) as usage_records

    from {{ ref('fct_ai_sessions') }}

    group by 1

)

select
    coalesce(usage_costs.platform, session_costs.platform) as platform,
    usage_costs.usage_cost_usd,
    session_costs.session_cost_usd,
    usage_costs.usage_records,
    session_costs.usage_records as session_usage_records

from usage_costs

full outer join session_costs
    on usage_costs.platform = session_costs.platform

where
    coalesce(usage_costs.usage_cost_usd, 0) != coalesce(session_costs.session_cost_usd, 0)
    or coalesce(usage_costs.usage_records, 0) != coalesce(session_costs.usage_records, 0)
