{#-
    Agent telemetry against the vendor's report, per person, platform and day: what the vendor
    reported, what the agents' own telemetry saw, and the gap either way. Claude Code states each
    request's cost in both, so its coverage is in dollars; Codex states none (and does not tell
    cache writes apart), so its coverage is in tokens, all types together. The rule that keeps
    each token once is int_usage_records_reconciled's; this is where its gap is shown.
-#}

with

records as (

    select * from {{ ref('int_usage_records_priced') }}

    where
        platform in ('claude_code', 'openai_api')
        and usage_source = 'vendor_report'
        and not is_claude_code_duplicate

),

requests as (

    select * from {{ ref('stg_otel__api_requests') }}

),

identities as (

    select * from {{ ref('int_identities') }}

),

vendor_days as (

    select
        person_id,
        platform,
        usage_date,
        sum(cost_usd) as vendor_cost_usd,
        sum(
            input_tokens + cache_write_5m_tokens + cache_write_1h_tokens + cache_read_tokens
            + output_tokens
        ) as vendor_tokens

    from records

    group by 1, 2, 3

),

telemetry_days as (

    select
        coalesce(
            identities.person_id,
            {{ dbt.concat([
                "'unresolved:'", "requests.platform", "':'",
                "coalesce(requests.user_email, requests.user_account_uuid, 'unknown')",
            ]) }}
        ) as person_id,
        requests.platform,
        requests.usage_date,
        sum(requests.cost_usd) as telemetry_cost_usd,
        sum(
            requests.input_tokens + requests.cache_write_5m_tokens + requests.cache_write_1h_tokens
            + requests.cache_read_tokens + requests.output_tokens
        ) as telemetry_tokens,
        count(*) as telemetry_requests,
        count(distinct requests.agent_session_id) as telemetry_sessions

    from requests

    left join identities
        on
            identities.identity_type = 'email'
            and requests.user_email = identities.identity_value

    group by 1, 2, 3

),

joined as (

    select
        coalesce(vendor_days.person_id, telemetry_days.person_id) as person_id,
        coalesce(vendor_days.platform, telemetry_days.platform) as platform,
        coalesce(vendor_days.usage_date, telemetry_days.usage_date) as usage_date,
        coalesce(vendor_days.vendor_cost_usd, 0) as vendor_cost_usd,
        coalesce(vendor_days.vendor_tokens, 0) as vendor_tokens,
        telemetry_days.telemetry_cost_usd,
        coalesce(telemetry_days.telemetry_tokens, 0) as telemetry_tokens,
        coalesce(telemetry_days.telemetry_requests, 0) as telemetry_requests,
        coalesce(telemetry_days.telemetry_sessions, 0) as telemetry_sessions

    from vendor_days

    full outer join telemetry_days
        on
            vendor_days.person_id = telemetry_days.person_id
            and vendor_days.platform = telemetry_days.platform
            and vendor_days.usage_date = telemetry_days.usage_date

),

final as (

    select
        {{ dbt.concat(["person_id", "'|'", "platform", "'|'",
            "cast(usage_date as " ~ dbt.type_string() ~ ")"]) }} as telemetry_reconciliation_id,
        person_id,
        platform,
        usage_date,
        cast(vendor_cost_usd as {{ type_usd() }}) as vendor_cost_usd,
        cast(telemetry_cost_usd as {{ type_usd() }}) as telemetry_cost_usd,
        -- Dollars (Claude Code): what both saw, what only the report saw, what only telemetry.
        cast(case
            when telemetry_cost_usd is not null
                then least(vendor_cost_usd, telemetry_cost_usd)
        end as {{ type_usd() }}) as covered_cost_usd,
        cast(case
            when telemetry_cost_usd is not null
                then greatest(vendor_cost_usd - telemetry_cost_usd, 0)
            else vendor_cost_usd
        end as {{ type_usd() }}) as gap_cost_usd,
        cast(case
            when telemetry_cost_usd is not null
                then greatest(telemetry_cost_usd - vendor_cost_usd, 0)
            else 0
        end as {{ type_usd() }}) as excess_cost_usd,
        cast(vendor_tokens as {{ dbt.type_bigint() }}) as vendor_tokens,
        cast(telemetry_tokens as {{ dbt.type_bigint() }}) as telemetry_tokens,
        cast(least(vendor_tokens, telemetry_tokens) as {{ dbt.type_bigint() }})
            as covered_tokens,
        cast(telemetry_requests as {{ dbt.type_bigint() }}) as telemetry_requests,
        cast(telemetry_sessions as {{ dbt.type_bigint() }}) as telemetry_sessions

    from joined

)

select * from final
