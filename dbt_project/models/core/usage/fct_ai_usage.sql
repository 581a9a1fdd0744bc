{{ config(
    materialized='incremental',
    incremental_strategy=day_incremental_strategy(),
    unique_key='usage_date',
    partition_by=day_partition_by('usage_date'),
    on_schema_change='append_new_columns',
) }}

{#-
    Incremental by day: each run rebuilds the days [min_date - usage_lookback_days, max_date)
    (delete+insert on usage_date). The default lookback of 3 days matches the longest ingest
    lookback (Copilot's report lag), so the days a partition's ingest re-read are rebuilt too.
-#}

with

usage_records as (

    -- Agent telemetry and the vendor reports reconciled: each token once.
    select * from {{ ref('int_usage_records_reconciled') }}

    where {{ in_usage_window('usage_date', var('usage_lookback_days', 3)) }}
    -- Never count the same tokens twice: Claude Code billed through a Claude Code workspace
    -- key appears in the messages report too; the Claude Code report is the record.
    and not is_claude_code_duplicate

),

final as (

    -- The columns are listed, not `select *`: the fact leaves out is_claude_code_duplicate
    -- (always false here) and portable SQL has no "every column but" (DuckDB's `* exclude` is
    -- not PostgreSQL). The list also keeps the fact's columns and their order a deliberate
    -- choice: a column added upstream would otherwise widen this incremental table silently.
    select
        usage_id,
        person_id,
        platform,
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
        vendor_cost_usd,
        cost_usd,
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
        identity_type,
        identity_value,
        api_key_id,
        conversation_id,
        agent_session_id,
        usage_source

    from usage_records

)

select * from final
