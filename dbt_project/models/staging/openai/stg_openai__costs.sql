with

source as (

    select * from {{ archived_source('openai', 'costs', 'bucket_date', {
        'row_key': 'varchar',
        'bucket_date': 'date',
        'line_item': 'varchar',
        'project_id': 'varchar',
        'api_key_id': 'varchar',
        'quantity': 'decimal(38, 12)',
        'amount_usd': 'decimal(38, 12)',
        'amount_currency': 'varchar',
    }) }}

),

renamed as (

    select
        row_key as cost_id,
        cast(bucket_date as date) as cost_date,
        line_item,
        project_id,
        api_key_id,
        quantity,
        cast(amount_usd as {{ type_usd() }}) as amount_usd,
        lower(amount_currency) as currency

    from source

)

select * from renamed
