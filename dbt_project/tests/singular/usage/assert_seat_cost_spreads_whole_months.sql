-- A seat held for a whole month costs exactly its monthly price (to the cent). A row here
-- means the daily spread of seat_prices is wrong (days in month, or price effective dates).
with

seat_months as (

    select
        person_id,
        platform,
        {{ dbt.date_trunc('month', 'cost_date') }} as month_start,
        max(days_in_month) as days_in_month,
        max(usd_per_seat_month) as usd_per_seat_month,
        count(*) as seat_days,
        sum(seat_cost_usd) as seat_cost_usd

    from {{ ref('fct_seat_costs') }}

    group by 1, 2, 3

)

select *

from seat_months

where
    seat_days = days_in_month
    and abs(seat_cost_usd - usd_per_seat_month) >= 0.01
