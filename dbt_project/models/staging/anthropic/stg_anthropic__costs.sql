with

source as (

    select * from {{ archived_source('anthropic', 'cost_report', 'bucket_date', {
        'row_key': 'varchar',
        'bucket_date': 'date',
        'workspace_id': 'varchar',
        'description': 'varchar',
        'model': 'varchar',
        'token_type': 'varchar',
        'cost_type': 'varchar',
        'amount_usd': 'decimal(38, 12)',
    }) }}

),

renamed as (

    select
        row_key as cost_id,
        cast(bucket_date as date) as cost_date,
        workspace_id,
        description,
        model,
        token_type,
        cost_type,
        cast(amount_usd as {{ type_usd() }}) as amount_usd

    from source

)

select * from renamed
