-- One row per merged pull request and durability horizon (`durability_horizons_days`): the
-- effective lines it added, the lines still blamed to it at the horizon's snapshot, the survival
-- rate, and whether the horizon is `measured` or still `pending` as of `dim_as_of_dates`.

with

pull_requests as (

    select * from {{ ref('int_pull_requests_enriched') }}

),

survival as (

    select * from {{ ref('stg_git__pr_survival') }}

),

as_of as (

    select * from {{ ref('dim_as_of_dates') }}

),

horizons as (

    {% for horizon in var('durability_horizons_days') %}
        select {{ horizon }} as horizon_days
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

merged_horizons as (

    select
        pull_requests.pull_request_id,
        pull_requests.pull_request_key,
        pull_requests.repo,
        pull_requests.pr_number,
        pull_requests.merged_at,
        horizons.horizon_days

    from pull_requests

    cross join horizons

    where pull_requests.merged_at is not null

),

final as (

    select
        {{ dbt.concat([
            "merged_horizons.pull_request_key", "'@'",
            "cast(merged_horizons.horizon_days as " ~ dbt.type_string() ~ ")"
        ]) }} as pr_durability_id,
        merged_horizons.pull_request_id,
        merged_horizons.pull_request_key,
        merged_horizons.repo,
        merged_horizons.pr_number,
        merged_horizons.horizon_days,
        merged_horizons.merged_at,
        {{ dbt.dateadd('day', 'merged_horizons.horizon_days', 'merged_horizons.merged_at') }}
            as horizon_at,
        survival.snapshot_oid,
        survival.snapshot_at,
        survival.effective_lines_added,
        survival.lines_surviving,
        survival.survival_rate,
        -- A horizon is measured once the git durability asset has a row for it (it only measures
        -- reached horizons). A passed horizon without a row is awaiting measurement: pending.
        case when survival.pull_request_key is not null then 'measured' else 'pending' end
            as status,
        case
            when survival.pull_request_key is null then null
            when survival.survival_rate is null then null
            else survival.survival_rate >= {{ var('durable_survival_threshold') }}
        end as is_surviving_above_threshold,
        as_of.as_of_date

    from merged_horizons

    cross join as_of

    left join survival
        on
            merged_horizons.pull_request_key = survival.pull_request_key
            and merged_horizons.horizon_days = survival.horizon_days

)

select * from final
