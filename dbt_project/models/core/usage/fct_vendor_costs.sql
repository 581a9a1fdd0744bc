{#-
    One row per vendor and day: the list price of the vendor's usage records (priced_usd) and
    what the vendor billed for the day (billed_usd); mart_cost_reconciliation shows the drift.
    * anthropic: list price of every Messages API usage row (incl. Claude Code billed through
      Claude Code workspace keys, which the cost report bills too) vs cost_report amounts.
      Claude Code on subscriptions is not in the cost report and not in this comparison.
    * openai: list price of completions usage vs the costs endpoint.
    * cursor: list price of the requests vs what Cursor charged per request (chargedCents).
    * copilot: AI credits used (user-day reports) x the credit unit price vs AI-credit billing.
    It reads int_usage_records_priced, not fct_ai_usage: the Claude Code key duplicates that
    fct_ai_usage leaves out are billed by Anthropic, so they are priced here.
-#}

with

usage_records as (

    select * from {{ ref('int_usage_records_priced') }}

),

anthropic_costs as (

    select * from {{ ref('stg_anthropic__costs') }}

),

openai_costs as (

    select * from {{ ref('stg_openai__costs') }}

),

copilot_ai_credit_usages as (

    select * from {{ ref('stg_copilot__ai_credit_usages') }}

),

priced as (

    select
        case platform
            when 'anthropic_api' then 'anthropic'
            when 'openai_api' then 'openai'
            else platform
        end as vendor,
        usage_date as cost_date,
        sum(list_cost_usd) as priced_usd,
        sum(case when is_unpriced_model then 1 else 0 end) as unpriced_records,
        count(*) as usage_records,
        sum(case when platform = 'cursor' then vendor_cost_usd end) as cursor_charged_usd

    from usage_records

    -- Vendor records only: agent telemetry is not what a vendor bills.
    where
        platform in ('anthropic_api', 'openai_api', 'cursor', 'copilot')
        and usage_source = 'vendor_report'

    group by 1, 2

),

billed as (

    select
        'anthropic' as vendor,
        cost_date,
        sum(amount_usd) as billed_usd
    from anthropic_costs
    group by 1, 2

    union all

    select
        'openai' as vendor,
        cost_date,
        sum(amount_usd) as billed_usd
    from openai_costs
    group by 1, 2

    union all

    select
        'copilot' as vendor,
        usage_date as cost_date,
        sum(net_amount_usd) as billed_usd
    from copilot_ai_credit_usages
    group by 1, 2

    union all

    select
        'cursor' as vendor,
        cost_date,
        cursor_charged_usd as billed_usd
    from priced
    where vendor = 'cursor'

),

vendor_days as (

    select
        vendor,
        cost_date
    from priced
    union distinct
    select
        vendor,
        cost_date
    from billed

),

final as (

    select
        vendor_days.vendor,
        vendor_days.cost_date,
        cast(coalesce(priced.priced_usd, 0) as {{ type_usd() }}) as priced_usd,
        cast(coalesce(billed.billed_usd, 0) as {{ type_usd() }}) as billed_usd,
        cast(coalesce(priced.usage_records, 0) as {{ dbt.type_bigint() }}) as usage_records,
        cast(coalesce(priced.unpriced_records, 0) as {{ dbt.type_bigint() }}) as unpriced_records

    from vendor_days

    left join priced
        on
            vendor_days.vendor = priced.vendor
            and vendor_days.cost_date = priced.cost_date

    left join billed
        on
            vendor_days.vendor = billed.vendor
            and vendor_days.cost_date = billed.cost_date

)

select * from final
