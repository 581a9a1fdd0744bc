{#-
    Usage records with their person and their list price. list_cost_usd = tokens x the price
    effective on the usage day / 1e6, per token type (5-minute and 1-hour cache writes priced
    apart); a model without a price row gets a null list cost (never zero). Copilot has no
    token price: its list cost is AI credits x the credit's unit price (seed unit_prices).
    cost_usd is the vendor's stated cost when there is one, else the list cost; a model without
    a list price takes the vendor's own cost from its cost report where that is the only place
    the vendor states one (OpenAI: int_openai_usage_report_costs), else stays null (counted as
    unpriced in data quality, never dropped).

    The record's owner (person_id), in this order: the person its identity resolves to
    (int_identities: a roster person, an unresolved person, or a former member
    `unassigned:<platform>:user:<email or login>`); else, for an identity that leads to no person
    or a record without one, `unassigned:<platform>:<key|project|workspace>:<id>` or
    `unassigned:<platform>:org` (int_usage_records_unioned states which); else an identity no
    source lists, `unresolved:<platform>:<identity>`.
-#}

with

usage_records as (

    select * from {{ ref('int_usage_records_unioned') }}

),

identities as (

    select * from {{ ref('int_identities') }}

),

model_prices as (

    select * from {{ ref('stg_seeds__model_prices') }}

),

unit_prices as (

    select * from {{ ref('unit_prices') }}

),

joined as (

    select
        usage_records.*,
        case
            when identities.person_id is not null then identities.person_id
            when usage_records.unassigned_owner_kind is not null
                then {{ dbt.concat([
                    "'unassigned:'", "usage_records.platform", "':'",
                    "usage_records.unassigned_owner_kind",
                    "coalesce(" ~ dbt.concat(["':'", "usage_records.unassigned_owner_id"]) ~ ", '')",
                ]) }}
            else {{ dbt.concat(["'unresolved:'", "usage_records.platform", "':'",
                "usage_records.identity_value"]) }}
        end as person_id,
        case
            when identities.person_id is not null
                -- A former member (the only identity that is not a person's) is a user.
                then case when identities.unassigned_kind is null then 'person' else 'user' end
            when usage_records.unassigned_owner_kind is not null
                then usage_records.unassigned_owner_kind
            else 'person'
        end as owner_kind,
        case
            when identities.person_id is not null then identities.unassigned_kind
            else usage_records.unassigned_kind
        end as owner_unassigned_kind,
        model_prices.model_price_id,
        model_prices.input_usd_per_mtok,
        model_prices.cache_write_5m_usd_per_mtok,
        model_prices.cache_write_1h_usd_per_mtok,
        model_prices.cache_read_usd_per_mtok,
        model_prices.output_usd_per_mtok,
        unit_prices.usd_per_unit as credit_usd_per_unit

    from usage_records

    left join identities
        on
            usage_records.identity_type = identities.identity_type
            and usage_records.identity_value = identities.identity_value

    left join model_prices
        on
            usage_records.price_vendor = model_prices.vendor
            and usage_records.model = model_prices.model
            and usage_records.usage_date >= model_prices.effective_from
            and (
                model_prices.effective_to is null
                or usage_records.usage_date < model_prices.effective_to
            )

    left join unit_prices
        on
            usage_records.platform = unit_prices.platform
            and unit_prices.unit_type = 'credits'
            and usage_records.usage_date >= unit_prices.effective_from
            and (
                unit_prices.effective_to is null
                or usage_records.usage_date < unit_prices.effective_to
            )

),

priced as (

    select
        *,
        case
            when platform = 'copilot'
                then cast(
                    {{ priced_units('ai_credits', 'credit_usd_per_unit') }} as {{ type_usd() }}
                )
            else cast(
                {{ token_cost_usd('input_tokens', 'input_usd_per_mtok') }}
                + {{ token_cost_usd('cache_write_5m_tokens', 'cache_write_5m_usd_per_mtok') }}
                + {{ token_cost_usd('cache_write_1h_tokens', 'cache_write_1h_usd_per_mtok') }}
                + {{ token_cost_usd('cache_read_tokens', 'cache_read_usd_per_mtok') }}
                + {{ token_cost_usd('output_tokens', 'output_usd_per_mtok') }}
                as {{ type_usd() }}
            )
        end as list_cost_usd,
        case
            when platform = 'copilot' then credit_usd_per_unit is null
            else model_price_id is null
        end as is_unpriced_model

    from joined

),

vendor_costed as (

    select
        *,
        -- A vendor that states no cost per record (OpenAI) still bills every token: for a
        -- model without a list price its cost report is the only price there is.
        coalesce(
            vendor_cost_usd, case when is_unpriced_model then report_cost_usd end
        ) as stated_cost_usd

    from priced

),

final as (

    select
        usage_id,
        person_id,
        platform,
        identity_type,
        identity_value,
        model,
        usage_date,
        started_at,
        ended_at,
        input_tokens,
        cache_write_5m_tokens,
        cache_write_1h_tokens,
        cache_read_tokens,
        output_tokens,
        request_count,
        ai_credits,
        list_cost_usd,
        cast(stated_cost_usd as {{ type_usd() }}) as vendor_cost_usd,
        cast(coalesce(stated_cost_usd, list_cost_usd) as {{ type_usd() }}) as cost_usd,
        is_unpriced_model,
        model_price_id,
        lines_added,
        lines_removed,
        lines_accepted,
        edits_accepted,
        edits_rejected,
        commits,
        pull_requests,
        vendor_num_sessions,
        api_key_id,
        conversation_id,
        agent_session_id,
        usage_source,
        is_claude_code_duplicate,
        owner_kind,
        owner_unassigned_kind as unassigned_kind

    from vendor_costed

)

select * from final
