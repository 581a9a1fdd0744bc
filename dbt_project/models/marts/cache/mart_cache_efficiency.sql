{#-
    Prompt caching per platform x model x team x week (weeks start on Monday, UTC).
    hit rate = cache reads / (cache reads + cache writes + uncached input);
    write amplification = cache writes / cache reads;
    dollars saved = what the cached tokens would have cost as uncached input at list price minus
    what they cost as cache reads and writes (negative when writes outweigh the reads' savings);
    null when the model has no list price. The hit rate is null, not 0, for a group without
    cache reads or writes (Copilot reports no cache tokens: unknown, not a 0 % hit rate).
    Team buckets as in every team mart (macro `team_bucket`: roster team, `no team`, `unknown`,
    `unassigned`). Groups of people with fewer than `min_cohort_size` active people are
    suppressed (metrics null, is_suppressed true); `unassigned` (usage no person owns) is never
    suppressed and has no active people.
-#}
{%- set token_columns = [
    'input_tokens', 'cache_write_tokens', 'cache_read_tokens', 'output_tokens',
] -%}

with

usage_records as (

    select * from {{ ref('fct_ai_usage') }}

),

people as (

    select * from {{ ref('dim_people') }}

),

model_prices as (

    select * from {{ ref('dim_model_prices') }}

),

records as (

    select
        usage_records.platform,
        usage_records.model,
        {{ team_bucket('people') }} as team,
        cast({{ dbt.date_trunc('week', 'usage_records.usage_date') }} as date) as week_start_date,
        case
            when coalesce(people.is_person, true) then usage_records.person_id
        end as person_id,
        usage_records.input_tokens,
        usage_records.cache_write_5m_tokens,
        usage_records.cache_write_1h_tokens,
        usage_records.cache_read_tokens,
        usage_records.output_tokens,
        usage_records.cost_usd,
        {{ token_cost_usd(
            'usage_records.cache_read_tokens',
            '(model_prices.input_usd_per_mtok - model_prices.cache_read_usd_per_mtok)'
        ) }}
        + {{ token_cost_usd(
            'usage_records.cache_write_5m_tokens',
            '(model_prices.input_usd_per_mtok - model_prices.cache_write_5m_usd_per_mtok)'
        ) }}
        + {{ token_cost_usd(
            'usage_records.cache_write_1h_tokens',
            '(model_prices.input_usd_per_mtok - model_prices.cache_write_1h_usd_per_mtok)'
        ) }} as saved_usd

    from usage_records

    left join people
        on usage_records.person_id = people.person_id

    left join model_prices
        on usage_records.model_price_id = model_prices.model_price_id

),

grouped as (

    select
        platform,
        model,
        team,
        week_start_date,
        count(distinct person_id) as active_people,
        sum(input_tokens) as input_tokens,
        sum(cache_write_5m_tokens + cache_write_1h_tokens) as cache_write_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(output_tokens) as output_tokens,
        sum(cost_usd) as cost_usd,
        sum(saved_usd) as saved_usd,
        max(case when saved_usd is null then 1 else 0 end) = 1 as has_unpriced_usage

    from records

    group by 1, 2, 3, 4

),

flagged as (

    select
        *,
        {{ is_suppressed_team('team', 'active_people') }} as is_suppressed

    from grouped

),

final as (

    select
        platform,
        model,
        team,
        week_start_date,
        is_suppressed,
        {%- for column in ['active_people'] + token_columns %}
            cast(
                case when not is_suppressed then {{ column }} end as {{ dbt.type_bigint() }}
            ) as {{ column }},
        {%- endfor %}
        cast(case when not is_suppressed then cost_usd end as {{ type_usd() }}) as cost_usd,
        -- No cache reads or writes: the platform reports no cache data (null), not a 0 % rate.
        case
            when not is_suppressed and cache_read_tokens + cache_write_tokens > 0
                then {{ safe_ratio(
                    'cache_read_tokens', '(cache_read_tokens + cache_write_tokens + input_tokens)'
                ) }}
        end as cache_hit_rate,
        case
            when not is_suppressed
                then {{ safe_ratio('cache_write_tokens', 'cache_read_tokens') }}
        end as write_amplification,
        -- Saved dollars need list prices: null when any record of the group is unpriced.
        cast(
            case when not is_suppressed and not has_unpriced_usage then saved_usd end
            as {{ type_usd() }}
        ) as saved_usd

    from flagged

)

select * from final
