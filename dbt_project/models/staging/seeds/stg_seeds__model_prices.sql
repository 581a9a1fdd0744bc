-- One row per (vendor, model, effective_from) of the model_prices seed, typed, with its key.

with

model_prices as (

    select * from {{ ref('model_prices') }}

),

final as (

    select
        {{ dbt.concat([
            "vendor", "'|'", "model", "'|'",
            "cast(effective_from as " ~ dbt.type_string() ~ ")",
        ]) }} as model_price_id,
        vendor,
        model,
        cast(effective_from as date) as effective_from,
        cast(effective_to as date) as effective_to,
        cast(input_usd_per_mtok as {{ type_usd() }}) as input_usd_per_mtok,
        cast(cache_write_5m_usd_per_mtok as {{ type_usd() }}) as cache_write_5m_usd_per_mtok,
        cast(cache_write_1h_usd_per_mtok as {{ type_usd() }}) as cache_write_1h_usd_per_mtok,
        cast(cache_read_usd_per_mtok as {{ type_usd() }}) as cache_read_usd_per_mtok,
        cast(output_usd_per_mtok as {{ type_usd() }}) as output_usd_per_mtok,
        source as price_source

    from model_prices

)

select * from final
