-- One row per run, source and product: the pipeline's own record of what each extraction step
-- did, kept whole (a run log, not vendor data) for the freshness mart.

with

source_runs as (

    select * from {{ ref('stg_tokenworth__source_runs') }}

)

select * from source_runs
