-- One row per source, table, UTC day, load and status: the raw archive's ledger, with whether
-- each version is the one staging reads and whether its day is held now.

with

day_versions as (

    select * from {{ ref('stg_tokenworth__day_versions') }}

),

-- The version staging reads per day: the newest readable one (archived_source's rule).
readable as (

    select
        source_name,
        table_name,
        archived_date,
        max(load_id) as read_load_id

    from day_versions

    where status in ('applied', 'confirmed', 'accepted')

    group by
        source_name,
        table_name,
        archived_date

),

-- The newest ledger row per day: a held one means the day is held now.
ranked as (

    select
        day_versions.*,
        row_number() over (
            partition by
                day_versions.source_name,
                day_versions.table_name,
                day_versions.archived_date
            order by day_versions.recorded_at desc, day_versions.status asc
        ) as recency

    from day_versions

),

final as (

    select
        ranked.day_version_id,
        ranked.source_name,
        ranked.table_name,
        ranked.platform,
        ranked.archived_date,
        ranked.load_id,
        ranked.run_id,
        ranked.loaded_at,
        ranked.recorded_at,
        ranked.status,
        ranked.row_count,
        ranked.cost_amount,
        ranked.token_count,
        ranked.vendor_total,
        ranked.duplicate_row_count,
        ranked.quarantined_row_count,
        ranked.previous_load_id,
        ranked.previous_row_count,
        ranked.previous_cost_amount,
        ranked.message,
        coalesce(
            ranked.load_id = readable.read_load_id
            and ranked.status in ('applied', 'confirmed', 'accepted'),
            false
        ) as is_read,
        (ranked.recency = 1 and ranked.status = 'held') as is_held

    from ranked

    left join readable
        on
            ranked.source_name = readable.source_name
            and ranked.table_name = readable.table_name
            and ranked.archived_date = readable.archived_date

)

select * from final
