-- One row per source, table, load, row key and reason: rows a vendor sent that cannot be true,
-- kept out of the raw tables (so out of every fact and mart), with the day they count on in
-- mart_data_quality.

with

quarantined_rows as (

    select * from {{ ref('stg_tokenworth__quarantined_rows') }}

),

day_versions as (

    select * from {{ ref('stg_tokenworth__day_versions') }}

),

platforms as (

    select distinct
        source_name,
        table_name,
        platform

    from day_versions

),

-- The last day each load asked for: where a row from the future is counted.
load_days as (

    select
        source_name,
        load_id,
        max(archived_date) as last_loaded_date

    from day_versions

    group by
        source_name,
        load_id

),

final as (

    select
        quarantined_rows.quarantined_row_id,
        quarantined_rows.source_name,
        quarantined_rows.table_name,
        platforms.platform,
        quarantined_rows.load_id,
        quarantined_rows.loaded_at,
        quarantined_rows.reason,
        quarantined_rows.detail,
        quarantined_rows.row_key,
        quarantined_rows.row_date,
        case
            when
                quarantined_rows.row_date is null
                or quarantined_rows.row_date > load_days.last_loaded_date
                then coalesce(
                    load_days.last_loaded_date, cast(quarantined_rows.loaded_at as date)
                )
            else quarantined_rows.row_date
        end as counted_on_date,
        quarantined_rows.row_json

    from quarantined_rows

    left join platforms
        on
            quarantined_rows.source_name = platforms.source_name
            and quarantined_rows.table_name = platforms.table_name

    left join load_days
        on
            quarantined_rows.source_name = load_days.source_name
            and quarantined_rows.load_id = load_days.load_id

)

select * from final
