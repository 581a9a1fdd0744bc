with

day_versions as (

    -- Absent until a vendor usage source has loaded once.
    select * from {{ optional_source('raw_tokenworth', 'day_versions', {
        'source': 'varchar',
        'table_name': 'varchar',
        'platform': 'varchar',
        'archived_day': 'date',
        'load_id': 'varchar',
        'run_id': 'varchar',
        'loaded_at': 'timestamp with time zone',
        'recorded_at': 'timestamp with time zone',
        'status': 'varchar',
        'row_count': 'bigint',
        'cost_amount': 'decimal(38, 12)',
        'token_count': 'bigint',
        'vendor_total': 'bigint',
        'duplicate_row_count': 'bigint',
        'quarantined_row_count': 'bigint',
        'previous_load_id': 'varchar',
        'previous_row_count': 'bigint',
        'previous_cost_amount': 'decimal(38, 12)',
        'message': 'varchar',
    }) }}

),

renamed as (

    select
        {{ dbt.concat([
            "day_versions.source", "'|'", "day_versions.table_name", "'|'",
            "cast(day_versions.archived_day as " ~ dbt.type_string() ~ ")", "'|'",
            "day_versions.load_id", "'|'", "day_versions.status",
        ]) }} as day_version_id,
        day_versions.source as source_name,
        day_versions.table_name,
        day_versions.platform,
        cast(day_versions.archived_day as date) as archived_date,
        day_versions.load_id,
        day_versions.run_id,
        {{ to_utc_timestamp('day_versions.loaded_at') }} as loaded_at,
        {{ to_utc_timestamp('day_versions.recorded_at') }} as recorded_at,
        day_versions.status,
        day_versions.row_count,
        day_versions.cost_amount,
        day_versions.token_count,
        day_versions.vendor_total,
        day_versions.duplicate_row_count,
        day_versions.quarantined_row_count,
        day_versions.previous_load_id,
        day_versions.previous_row_count,
        day_versions.previous_cost_amount,
        day_versions.message

    from day_versions

)

select * from renamed
