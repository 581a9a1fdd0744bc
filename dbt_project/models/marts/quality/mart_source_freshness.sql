-- One row per source and product (product null for the source itself): its latest outcome,
-- the last day it loaded, and whether it is stale — so an analyst reading a mart knows which
-- source's numbers stop early, and why. A source that failed keeps its last good rows; this
-- says since when.

with

source_runs as (

    select * from {{ ref('fct_source_runs') }}

),

source_latest_run as (

    select
        source_name,
        run_id,
        row_number() over (
            partition by source_name order by finished_at desc, run_id desc
        ) as recency

    from source_runs

    where product is null

),

latest_run as (

    -- The source's row of its latest run, and the products that run found missing (a product
    -- the organisation has since acquired is no longer listed).
    select
        source_runs.source_name,
        source_runs.product,
        source_runs.status as latest_status,
        source_runs.message as latest_message,
        source_runs.finished_at as latest_run_at

    from source_runs

    inner join source_latest_run
        on
            source_runs.source_name = source_latest_run.source_name
            and source_runs.run_id = source_latest_run.run_id
            and source_latest_run.recency = 1

),

loaded as (

    select
        source_name,
        max(last_day) as last_loaded_date,
        max(finished_at) as last_loaded_at

    from source_runs

    -- A partial load (every repository but the named ones) still loaded that day.
    where status in ('loaded', 'partial') and product is null

    group by source_name

),

freshest as (

    -- The yardstick: the last day any source loaded.
    select max(last_loaded_date) as freshest_loaded_date from loaded

),

final as (

    select
        latest_run.source_name,
        latest_run.product,
        latest_run.latest_status,
        latest_run.latest_message,
        latest_run.latest_run_at,
        loaded.last_loaded_date,
        loaded.last_loaded_at,
        cast(
            {{ dbt.datediff('loaded.last_loaded_date', 'freshest.freshest_loaded_date', 'day') }}
            as {{ dbt.type_bigint() }}
        ) as days_behind,
        -- Stale: its latest run failed or left items out, or it is `source_stale_after_days`
        -- behind the freshest source. A source that is not configured, switched off, or a
        -- product the organisation lacks is not stale: its status says why it has no data.
        coalesce(
            latest_run.product is null
            and (
                latest_run.latest_status in ('failed', 'partial')
                or (
                    latest_run.latest_status = 'loaded'
                    and {{ dbt.datediff(
                        'loaded.last_loaded_date', 'freshest.freshest_loaded_date', 'day'
                    ) }} >= {{ var('source_stale_after_days') }}
                )
            ),
            false
        ) as is_stale

    from latest_run

    left join loaded
        on
            latest_run.source_name = loaded.source_name
            and latest_run.product is null

    cross join freshest

)

select * from final
