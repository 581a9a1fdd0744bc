-- One row per source and day: how much arrived, how fresh the source is, and what could not be
-- resolved — sessions of unresolved identities, sessions with unpriced models (and which models),
-- usage no person owns by kind (sessions and cost), the unattributed share of AI spend; for
-- GitHub, pull requests whose author resolves to no person. Usage sources are the platforms
-- (`claude_code`, `cursor`, …); outcome sources are `github` and `git`. For Claude Code and Codex
-- (`openai_api`), how much of the vendor's reported spend the agents' own telemetry saw, and the
-- gap either way (fct_telemetry_reconciliation). From the raw archive, per platform and day: the
-- tables whose newest load is held (fct_day_versions), the rows quarantined at load
-- (fct_quarantined_rows) and the repeated rows dropped from the version read.
{%- set kinds = unassigned_kinds() %}

with

sessions as (

    select * from {{ ref('fct_ai_sessions') }}

),

usage_records as (

    select * from {{ ref('fct_ai_usage') }}

),

people as (

    select * from {{ ref('dim_people') }}

),

spend as (

    select * from {{ ref('fct_session_spend') }}

),

pull_requests as (

    select * from {{ ref('fct_pull_requests') }}

),

durability_measurements as (

    select * from {{ ref('fct_durability_measurements') }}

),

as_of as (

    select * from {{ ref('dim_as_of_dates') }}

),

telemetry_reconciliation as (

    select * from {{ ref('fct_telemetry_reconciliation') }}

),

day_versions as (

    select * from {{ ref('fct_day_versions') }}

),

quarantined_rows as (

    select * from {{ ref('fct_quarantined_rows') }}

),

-- One count per distinct row: a row re-sent by every night's lookback is one row.
quarantined_days as (

    select
        platform as source_name,
        counted_on_date as activity_date,
        count(distinct {{ dbt.concat(["table_name", "'|'", "row_key", "'|'", "reason"]) }})
            as quarantined_row_count

    from quarantined_rows

    where platform is not null

    group by
        platform,
        counted_on_date

),

version_days as (

    select
        platform as source_name,
        archived_date as activity_date,
        sum(case when is_held then 1 else 0 end) as held_day_count,
        sum(case when is_read then duplicate_row_count else 0 end) as duplicate_row_count

    from day_versions

    group by
        platform,
        archived_date

),

archive_days as (

    select
        coalesce(version_days.source_name, quarantined_days.source_name) as source_name,
        coalesce(version_days.activity_date, quarantined_days.activity_date) as activity_date,
        coalesce(version_days.held_day_count, 0) as held_day_count,
        coalesce(version_days.duplicate_row_count, 0) as duplicate_row_count,
        coalesce(quarantined_days.quarantined_row_count, 0) as quarantined_row_count

    from version_days

    full outer join quarantined_days
        on
            version_days.source_name = quarantined_days.source_name
            and version_days.activity_date = quarantined_days.activity_date

),

telemetry_days as (

    select
        platform as source_name,
        usage_date as activity_date,
        sum(vendor_cost_usd) as vendor_cost_usd,
        sum(covered_cost_usd) as telemetry_covered_usd,
        sum(gap_cost_usd) as telemetry_gap_usd,
        sum(excess_cost_usd) as telemetry_excess_usd,
        sum(vendor_tokens) as vendor_tokens,
        sum(covered_tokens) as telemetry_covered_tokens,
        -- Dollars only where telemetry states a cost (Claude Code).
        max(case when telemetry_cost_usd is not null then 1 else 0 end) = 1 as has_telemetry_cost

    from telemetry_reconciliation

    group by
        platform,
        usage_date

),

-- Unresolved identities are people (is_person); usage no person owns is counted by kind.
usage_days as (

    select
        sessions.platform as source_name,
        sessions.session_date as activity_date,
        count(*) as record_count,
        sum(
            case
                when coalesce(people.is_person, true) and not coalesce(people.is_resolved, false)
                    then 1
                else 0
            end
        ) as unresolved_identity_count,
        sum(case when sessions.has_unpriced_usage then 1 else 0 end) as unpriced_model_count,
        {%- for kind in kinds %}
            sum(case when people.unassigned_kind = '{{ kind }}' then 1 else 0 end)
                as unassigned_{{ kind }}_count,
            sum(case when people.unassigned_kind = '{{ kind }}' then sessions.cost_usd else 0 end)
                as unassigned_{{ kind }}_spend_usd,
        {%- endfor %}
        sum(case when not people.is_person then sessions.cost_usd else 0 end)
            as unassigned_spend_usd,
        max(sessions.ended_at) as latest_activity_at

    from sessions

    left join people
        on sessions.person_id = people.person_id

    group by
        sessions.platform,
        sessions.session_date

),

-- Distinct unresolved people per usage source over every loaded day (a person is one
-- whatever the number of days), repeated on each of the source's rows.
source_unresolved_people as (

    select
        sessions.platform as source_name,
        count(distinct sessions.person_id) as source_unresolved_person_count

    from sessions

    inner join people
        on sessions.person_id = people.person_id

    where people.is_person and not people.is_resolved

    group by sessions.platform

),

unpriced_models as (

    select distinct
        platform as source_name,
        usage_date as activity_date,
        model

    from usage_records

    where is_unpriced_model

),

unpriced_model_names as (

    select
        source_name,
        activity_date,
        {{ dbt.listagg('model', "'; '", 'order by model') }} as unpriced_model_names

    from unpriced_models

    group by
        source_name,
        activity_date

),

spend_days as (

    select
        platform as source_name,
        session_date as activity_date,
        sum(spend_usd) as spend_usd,
        sum(case when not is_attributed then spend_usd else 0 end) as unattributed_spend_usd

    from spend

    group by
        platform,
        session_date

),

github_days as (

    -- Bots (dependabot, agents) have no person; only human authors count as unresolved.
    select
        'github' as source_name,
        cast(created_at as date) as activity_date,
        count(*) as record_count,
        sum(
            case when person_id is null and not is_bot_author then 1 else 0 end
        ) as unresolved_identity_count,
        0 as unpriced_model_count,
        {%- for kind in kinds %}
            0 as unassigned_{{ kind }}_count,
            0 as unassigned_{{ kind }}_spend_usd,
        {%- endfor %}
        0 as unassigned_spend_usd,
        max(created_at) as latest_activity_at

    from pull_requests

    group by cast(created_at as date)

),

git_days as (

    select
        'git' as source_name,
        computed_for_date as activity_date,
        count(*) as record_count,
        0 as unresolved_identity_count,
        0 as unpriced_model_count,
        {%- for kind in kinds %}
            0 as unassigned_{{ kind }}_count,
            0 as unassigned_{{ kind }}_spend_usd,
        {%- endfor %}
        0 as unassigned_spend_usd,
        max(measured_as_of) as latest_activity_at

    from durability_measurements

    group by computed_for_date

),

-- Days the archive reports something on but no session happened (a held day's sessions are
-- still there: its stored version is read; a row quarantined on an otherwise empty day is not).
archive_only_days as (

    select
        archive_days.source_name,
        archive_days.activity_date,
        0 as record_count,
        0 as unresolved_identity_count,
        0 as unpriced_model_count,
        {%- for kind in kinds %}
            0 as unassigned_{{ kind }}_count,
            0 as unassigned_{{ kind }}_spend_usd,
        {%- endfor %}
        0 as unassigned_spend_usd,
        cast(null as {{ dbt.type_timestamp() }}) as latest_activity_at

    from archive_days

    where
        (
            archive_days.held_day_count
            + archive_days.duplicate_row_count
            + archive_days.quarantined_row_count
        ) > 0
        and not exists (
            select 1
            from usage_days
            where
                usage_days.source_name = archive_days.source_name
                and usage_days.activity_date = archive_days.activity_date
        )

),

all_days as (

    select * from usage_days
    union all
    select * from github_days
    union all
    select * from git_days
    union all
    select * from archive_only_days

),

source_latest as (

    select
        source_name,
        max(latest_activity_at) as source_latest_activity_at

    from all_days

    group by source_name

),

final as (

    select
        all_days.source_name,
        all_days.activity_date,
        cast(all_days.record_count as bigint) as record_count,
        cast(all_days.unresolved_identity_count as bigint) as unresolved_identity_count,
        cast(all_days.unpriced_model_count as bigint) as unpriced_model_count,
        cast(unpriced_model_names.unpriced_model_names as {{ dbt.type_string() }})
            as unpriced_model_names,
        cast(
            case
                when all_days.source_name not in ('github', 'git')
                    then coalesce(source_unresolved_people.source_unresolved_person_count, 0)
            end as bigint
        ) as source_unresolved_person_count,
        {%- for kind in kinds %}
            cast(all_days.unassigned_{{ kind }}_count as bigint) as unassigned_{{ kind }}_count,
            cast(all_days.unassigned_{{ kind }}_spend_usd as decimal(38, 12))
                as unassigned_{{ kind }}_spend_usd,
        {%- endfor %}
        cast(all_days.unassigned_spend_usd as decimal(38, 12)) as unassigned_spend_usd,
        cast(
            case
                when spend_days.spend_usd > 0
                    then all_days.unassigned_spend_usd / spend_days.spend_usd
            end as decimal(18, 6)
        ) as unassigned_spend_share,
        cast(spend_days.spend_usd as decimal(38, 12)) as spend_usd,
        cast(spend_days.unattributed_spend_usd as decimal(38, 12)) as unattributed_spend_usd,
        cast(
            case
                when spend_days.spend_usd > 0
                    then spend_days.unattributed_spend_usd / spend_days.spend_usd
            end as decimal(18, 6)
        ) as unattributed_spend_share,
        source_latest.source_latest_activity_at,
        cast({{ dbt.datediff(
            'cast(source_latest.source_latest_activity_at as date)', 'as_of.as_of_date', 'day'
        ) }} as bigint) as days_since_source_activity,
        as_of.as_of_date,
        cast(telemetry_days.telemetry_covered_usd as decimal(38, 12)) as telemetry_covered_usd,
        cast(telemetry_days.telemetry_gap_usd as decimal(38, 12)) as telemetry_gap_usd,
        cast(telemetry_days.telemetry_excess_usd as decimal(38, 12)) as telemetry_excess_usd,
        cast(
            case
                when telemetry_days.has_telemetry_cost and telemetry_days.vendor_cost_usd > 0
                    then telemetry_days.telemetry_covered_usd / telemetry_days.vendor_cost_usd
                when
                    telemetry_days.vendor_cost_usd > 0
                    and telemetry_days.source_name = 'claude_code'
                    then 0
            end as decimal(18, 6)
        ) as telemetry_coverage_share,
        cast(
            case
                when telemetry_days.vendor_tokens > 0
                    then
                        cast(telemetry_days.telemetry_covered_tokens as decimal(38, 6))
                        / telemetry_days.vendor_tokens
            end as decimal(18, 6)
        ) as telemetry_token_coverage_share,
        cast(coalesce(archive_days.held_day_count, 0) as bigint) as held_day_count,
        cast(coalesce(archive_days.quarantined_row_count, 0) as bigint) as quarantined_row_count,
        cast(coalesce(archive_days.duplicate_row_count, 0) as bigint) as duplicate_row_count

    from all_days

    inner join source_latest
        on all_days.source_name = source_latest.source_name

    cross join as_of

    left join spend_days
        on
            all_days.source_name = spend_days.source_name
            and all_days.activity_date = spend_days.activity_date

    left join telemetry_days
        on
            all_days.source_name = telemetry_days.source_name
            and all_days.activity_date = telemetry_days.activity_date

    left join source_unresolved_people
        on all_days.source_name = source_unresolved_people.source_name

    left join unpriced_model_names
        on
            all_days.source_name = unpriced_model_names.source_name
            and all_days.activity_date = unpriced_model_names.activity_date

    left join archive_days
        on
            all_days.source_name = archive_days.source_name
            and all_days.activity_date = archive_days.activity_date

)

select * from final
