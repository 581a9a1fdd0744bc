-- Never count the same tokens twice: Anthropic tokens in fct_ai_usage must equal the Claude
-- Code report plus the Messages usage of non-Claude-Code keys, nothing more. A row here means
-- Claude Code traffic billed through a Claude Code workspace key leaked into fct_ai_usage (or
-- usage was dropped).
with

facts as (

    select
        sum(
            input_tokens + cache_write_5m_tokens + cache_write_1h_tokens
            + cache_read_tokens + output_tokens
        ) as tokens

    from {{ ref('fct_ai_usage') }}

    where platform in ('claude_code', 'anthropic_api')

),

claude_code_report as (

    select
        sum(
            input_tokens + cache_write_5m_tokens + cache_write_1h_tokens
            + cache_read_tokens + output_tokens
        ) as tokens

    from {{ ref('stg_anthropic__claude_code_usages') }}

),

api_usage as (

    select
        sum(
            input_tokens + cache_write_5m_tokens + cache_write_1h_tokens
            + cache_read_tokens + output_tokens
        ) as tokens

    from {{ ref('int_usage_records_unioned') }}

    where platform = 'anthropic_api' and not is_claude_code_duplicate

)

select
    facts.tokens as fact_tokens,
    claude_code_report.tokens as claude_code_report_tokens,
    api_usage.tokens as api_tokens

from facts

cross join claude_code_report

cross join api_usage

where
    coalesce(facts.tokens, 0)
    != coalesce(claude_code_report.tokens, 0) + coalesce(api_usage.tokens, 0)
