-- One row per AI platform: the platforms seed (add a row there to add a platform).

with

platforms as (

    select * from {{ ref('platforms') }}

),

final as (

    select
        platform,
        vendor,
        platform_name,
        session_grain,
        has_vendor_cost,
        has_seat_cost

    from platforms

)

select * from final
