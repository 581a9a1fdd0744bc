{#-
    Priced usage vs vendor-billed cost per vendor and day (fct_vendor_costs, which says what
    each vendor's side holds), and the drift between them: drift_usd = billed_usd - priced_usd;
    drift_share = drift_usd / billed_usd. Cursor's drift is its token fee, discounts and models
    without a public price.
-#}

with

vendor_costs as (

    select * from {{ ref('fct_vendor_costs') }}

),

final as (

    select
        vendor,
        cost_date,
        priced_usd,
        billed_usd,
        cast(billed_usd - priced_usd as {{ type_usd() }}) as drift_usd,
        {{ safe_ratio('billed_usd - priced_usd', 'billed_usd') }} as drift_share,
        usage_records,
        unpriced_records

    from vendor_costs

)

select * from final
