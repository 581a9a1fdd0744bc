-- One row per (vendor, model, effective_from): the model_prices seed, typed in
-- stg_seeds__model_prices, which pricing (int_usage_records_priced) reads too.

with

model_prices as (

    select * from {{ ref('stg_seeds__model_prices') }}

)

select * from model_prices
