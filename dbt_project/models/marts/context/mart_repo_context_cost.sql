{%- set double_type = engine_type('double precision') -%}
-- One row per repository and month (of the session): context tokens (uncached input + cache
-- writes + cache reads) per attributed session, cache reuse, and the retry and abandoned shares
-- of the spend attributed to the repository — where agents lack context. Session tokens are
-- split over repositories by the attribution weights.

with

spend as (

    select * from {{ ref('fct_session_spend') }}

),

sessions as (

    select * from {{ ref('fct_ai_sessions') }}

),

repo_fragments as (

    select
        spend.repo,
        cast({{ dbt.date_trunc('month', 'spend.session_date') }} as date) as session_month,
        spend.session_id,
        spend.spend_class,
        spend.spend_usd,
        spend.weight * coalesce(sessions.input_tokens, 0) as input_tokens,
        spend.weight * (
            coalesce(sessions.cache_write_5m_tokens, 0)
            + coalesce(sessions.cache_write_1h_tokens, 0)
        ) as cache_write_tokens,
        spend.weight * coalesce(sessions.cache_read_tokens, 0) as cache_read_tokens

    from spend

    inner join sessions
        on spend.session_id = sessions.session_id

    where spend.is_attributed

),

final as (

    select
        repo,
        session_month,
        cast(count(distinct session_id) as bigint) as session_count,
        cast(sum(spend_usd) as decimal(38, 12)) as attributed_spend_usd,
        cast(round(sum(input_tokens + cache_write_tokens + cache_read_tokens), 0) as bigint)
            as context_tokens,
        cast(
            cast(sum(input_tokens + cache_write_tokens + cache_read_tokens) as {{ double_type }})
            / count(distinct session_id) as {{ double_type }}
        ) as context_tokens_per_session,
        cast(
            case
                when sum(input_tokens + cache_write_tokens + cache_read_tokens) > 0
                    then
                        cast(sum(cache_read_tokens) as {{ double_type }})
                        / sum(input_tokens + cache_write_tokens + cache_read_tokens)
            end as {{ double_type }}
        ) as cache_reuse_rate,
        case
            when sum(spend_usd) > 0
                then cast(
                    coalesce(sum(case when spend_class = 'retry' then spend_usd end), 0)
                    / sum(spend_usd) as decimal(18, 6)
                )
        end as retry_share,
        case
            when sum(spend_usd) > 0
                then cast(
                    coalesce(sum(case when spend_class = 'abandoned' then spend_usd end), 0)
                    / sum(spend_usd) as decimal(18, 6)
                )
        end as abandoned_share

    from repo_fragments

    group by
        repo,
        session_month

)

select * from final
