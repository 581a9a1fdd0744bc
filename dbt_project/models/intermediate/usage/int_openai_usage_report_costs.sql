{#-
    What OpenAI's costs report bills for each completions usage record: the report's line items
    (per day, project and `<model>, <token type>`) spread over the usage records of the same
    day, project and model. OpenAI states no cost per usage record, so this is the vendor's own
    cost for records whose model has no list price (int_usage_records_priced uses it only then):
    usage the report cannot break down has a null model, and its line items name none.

    Each line item is spread in proportion to the records' tokens of its type (`input`,
    `cached input`, `cache write`, `output`; the spec's `input_tokens`… spellings too), or of all
    their tokens when the type is not one of these or the records have none of it, or equally
    when they have no tokens at all; the last record (by id) takes the remainder, so the records
    of a line item add up to its amount exactly. Line items no usage record matches (a model the
    usage report names differently) are left to reconciliation.
-#}

with

usage_records as (

    select * from {{ ref('stg_openai__completions_usages') }}

),

costs as (

    select * from {{ ref('stg_openai__costs') }}

    where line_item is not null

),

line_items as (

    select
        cost_id,
        cost_date,
        project_id,
        amount_usd,
        -- `<model>, <token type>`; a line item without a model is a bare token type.
        case
            when line_item like '%, %' then {{ dbt.split_part('line_item', "', '", 1) }}
        end as model,  -- noqa: RF04
        lower(trim(
            case
                when line_item like '%, %' then {{ dbt.split_part('line_item', "', '", 2) }}
                else line_item
            end
        )) as line_item_type

    from costs

),

line_items_typed as (

    select
        *,
        case
            when
                line_item_type in (
                    'input', 'input_tokens', 'uncached input', 'input_uncached_tokens'
                )
                then 'input'
            when
                line_item_type in (
                    'cached input', 'cached_input', 'input_cached_tokens', 'cache read'
                )
                then 'cache_read'
            when line_item_type in ('cache write', 'cache_write', 'input_cache_write_tokens')
                then 'cache_write'
            when line_item_type in ('output', 'output_tokens')
                then 'output'
        end as token_type

    from line_items

),

pairs as (

    select
        line_items_typed.cost_id,
        line_items_typed.amount_usd,
        usage_records.completions_usage_id,
        case line_items_typed.token_type
            when 'input' then usage_records.input_tokens
            when 'cache_read' then usage_records.cache_read_tokens
            when 'cache_write' then usage_records.cache_write_5m_tokens
            when 'output' then usage_records.output_tokens
        end as typed_tokens,
        usage_records.input_tokens + usage_records.cache_write_5m_tokens
        + usage_records.cache_write_1h_tokens + usage_records.cache_read_tokens
        + usage_records.output_tokens as all_tokens

    from line_items_typed

    inner join usage_records
        on
            line_items_typed.cost_date = usage_records.usage_date
            and line_items_typed.project_id is not distinct from usage_records.project_id
            and line_items_typed.model is not distinct from usage_records.model

),

weighted as (

    select
        cost_id,
        amount_usd,
        completions_usage_id,
        case
            when sum(coalesce(typed_tokens, 0)) over (partition by cost_id) > 0
                then coalesce(typed_tokens, 0)
            when sum(all_tokens) over (partition by cost_id) > 0 then all_tokens
            else 1
        end as weight

    from pairs

),

parts as (

    select
        cost_id,
        amount_usd,
        completions_usage_id,
        row_number() over (partition by cost_id order by completions_usage_id) as record_number,
        count(*) over (partition by cost_id) as record_count,
        -- Narrow operands (amounts below $10^8, weights below 10^17) keep the product exact:
        -- Spark rounds decimal(38, 12) × bigint to six decimals. decimal_ratio: Spark would
        -- also keep six decimals of a decimal(38, 12) quotient.
        cast(
            {{ decimal_ratio(
                'cast(amount_usd as decimal(20, 12)) * cast(weight as decimal(17, 0))',
                'sum(weight) over (partition by cost_id)'
            ) }}
            as {{ type_usd() }}
        ) as part_usd

    from weighted

),

exact_parts as (

    select
        completions_usage_id,
        case
            when record_number < record_count then part_usd
            -- As decimal(30, 12): Spark drops a decimal place from decimal(38, 12) differences.
            else cast(amount_usd as decimal(30, 12)) - cast(coalesce(
                sum(part_usd) over (
                    partition by cost_id
                    order by record_number
                    rows between unbounded preceding and 1 preceding
                ),
                0
            ) as decimal(30, 12))
        end as part_usd

    from parts

),

final as (

    select
        completions_usage_id,
        cast(sum(part_usd) as {{ type_usd() }}) as report_cost_usd

    from exact_parts

    group by completions_usage_id

)

select * from final
