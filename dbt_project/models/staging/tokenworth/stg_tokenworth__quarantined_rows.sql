with

quarantined_rows as (

    -- Absent until a vendor has sent an impossible row.
    select * from {{ optional_source('raw_tokenworth', 'quarantined_rows', {
        'source': 'varchar',
        'table_name': 'varchar',
        'load_id': 'varchar',
        'loaded_at': 'timestamp with time zone',
        'reason': 'varchar',
        'detail': 'varchar',
        'row_key': 'varchar',
        'row_day': 'date',
        'row_json': 'varchar',
    }) }}

),

renamed as (

    select
        {{ dbt.concat([
            "quarantined_rows.source", "'|'", "quarantined_rows.table_name", "'|'",
            "quarantined_rows.load_id", "'|'", "quarantined_rows.row_key", "'|'",
            "quarantined_rows.reason",
        ]) }} as quarantined_row_id,
        quarantined_rows.source as source_name,
        quarantined_rows.table_name,
        quarantined_rows.load_id,
        {{ to_utc_timestamp('quarantined_rows.loaded_at') }} as loaded_at,
        quarantined_rows.reason,
        quarantined_rows.detail,
        quarantined_rows.row_key,
        cast(quarantined_rows.row_day as date) as row_date,
        quarantined_rows.row_json

    from quarantined_rows

)

select * from renamed
