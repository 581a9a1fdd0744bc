with

source as (

    select * from {{ archived_source('copilot', 'ai_credit_usage', 'usage_date', {
        'row_key': 'varchar',
        'usage_date': 'date',
        'product': 'varchar',
        'sku': 'varchar',
        'model': 'varchar',
        'unit_type': 'varchar',
        'gross_quantity': 'decimal(38, 9)',
        'net_quantity': 'decimal(38, 9)',
        'price_per_unit': 'decimal(38, 12)',
        'gross_amount': 'decimal(38, 12)',
        'net_amount': 'decimal(38, 12)',
    }) }}

),

renamed as (

    select
        row_key as ai_credit_usage_id,
        cast(usage_date as date) as usage_date,
        product,
        sku,
        model,
        lower(unit_type) as unit_type,
        gross_quantity,
        net_quantity,
        cast(price_per_unit as {{ type_usd() }}) as price_per_unit_usd,
        cast(gross_amount as {{ type_usd() }}) as gross_amount_usd,
        cast(net_amount as {{ type_usd() }}) as net_amount_usd

    from source

)

select * from renamed
