{#-
    Seat cost per seat holder, platform and day over the days the warehouse has usage for:
    the seat's monthly price (seed seat_prices, effective on the day) spread evenly over the
    days of that calendar month. Copilot seats come from the seats snapshots (held from the
    seat's creation until its pending cancellation date); Cursor seats are the team members not
    removed (Cursor gives no seat start date, so a member holds a seat on every day). Seat
    snapshots only exist from the day the pipeline first ran: earlier days use the earliest
    snapshot. Part of a platform's total spend, not of session cost.
-#}

with

usage_days as (

    select
        min(usage_date) as first_date,
        max(usage_date) as last_date

    from {{ ref('fct_ai_usage') }}

),

copilot_seats as (

    select * from {{ ref('stg_copilot__seats') }}

),

cursor_members as (

    select * from {{ ref('stg_cursor__members') }}

),

seat_prices as (

    select * from {{ ref('seat_prices') }}

),

identities as (

    select * from {{ ref('int_identities') }}

),

days as (

    select cast(spine.spine_date as date) as cost_date

    from usage_days

    -- lateral: the spine reads usage_days' columns (PostgreSQL requires the keyword).
    cross join lateral {{ day_spine('usage_days.first_date', 'usage_days.last_date') }} as spine

),

-- The latest snapshot's view of each Copilot seat.
copilot_seats_ranked as (

    select
        *,
        row_number() over (
            partition by assignee_key order by snapshot_date desc
        ) as snapshot_rank

    from copilot_seats

),

seat_holders as (

    select
        'copilot' as platform,
        plan_type as plan,
        'github_login' as identity_type,
        github_login as identity_value,
        cast(seat_created_at as date) as held_from,
        pending_cancellation_date as held_until

    from copilot_seats_ranked

    where snapshot_rank = 1 and assignee_type = 'User'

    union all

    select
        'cursor' as platform,
        'teams' as plan,
        'email' as identity_type,
        email as identity_value,
        cast(null as date) as held_from,
        cast(null as date) as held_until

    from cursor_members

    where not is_removed

),

seat_days as (

    select
        seat_holders.platform,
        seat_holders.plan,
        coalesce(
            identities.person_id,
            {{ dbt.concat(["'unresolved:'", "seat_holders.platform", "':'",
                "seat_holders.identity_value"]) }}
        ) as person_id,
        days.cost_date,
        {{ dbt.date_trunc('month', 'days.cost_date') }} as month_start

    from seat_holders

    cross join days

    left join identities
        on
            seat_holders.identity_type = identities.identity_type
            and seat_holders.identity_value = identities.identity_value

    where
        (seat_holders.held_from is null or days.cost_date >= seat_holders.held_from)
        and (seat_holders.held_until is null or days.cost_date < seat_holders.held_until)

),

priced as (

    select
        seat_days.person_id,
        seat_days.platform,
        seat_days.plan,
        seat_days.cost_date,
        cast(seat_prices.usd_per_seat_month as {{ type_usd() }}) as usd_per_seat_month,
        {{ dbt.datediff(
            'seat_days.month_start',
            dbt.dateadd('month', 1, 'seat_days.month_start'),
            'day',
        ) }} as days_in_month

    from seat_days

    inner join seat_prices
        on
            seat_days.platform = seat_prices.platform
            and seat_days.plan = seat_prices.plan
            and seat_days.cost_date >= seat_prices.effective_from
            and (seat_prices.effective_to is null or seat_days.cost_date < seat_prices.effective_to)

),

final as (

    select
        {{ dbt.concat([
            "person_id", "'|'", "platform", "'|'",
            "cast(cost_date as " ~ dbt.type_string() ~ ")",
        ]) }} as seat_cost_id,
        person_id,
        platform,
        plan,
        cost_date,
        usd_per_seat_month,
        days_in_month,
        cast(usd_per_seat_month / days_in_month as {{ type_usd() }}) as seat_cost_usd

    from priced

)

select * from final
