with

source_runs as (

    -- Absent until the first extraction step has recorded its outcome.
    select * from {{ optional_source('raw_tokenworth', 'source_runs', {
        'run_id': 'varchar',
        'source': 'varchar',
        'product': 'varchar',
        'status': 'varchar',
        'first_day': 'date',
        'last_day': 'date',
        'started_at': 'timestamp with time zone',
        'finished_at': 'timestamp with time zone',
        'message': 'varchar',
    }) }}

),

renamed as (

    select
        {{ dbt.concat([
            "source_runs.run_id", "'|'", "source_runs.source", "'|'",
            "coalesce(source_runs.product, '')",
        ]) }} as source_run_id,
        source_runs.run_id,
        source_runs.source as source_name,
        source_runs.product,
        source_runs.status,
        cast(source_runs.first_day as date) as first_day,
        cast(source_runs.last_day as date) as last_day,
        {{ to_utc_timestamp('source_runs.started_at') }} as started_at,
        {{ to_utc_timestamp('source_runs.finished_at') }} as finished_at,
        source_runs.message

    from source_runs

)

select * from renamed
