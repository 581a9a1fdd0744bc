with

people as (

    select * from {{ ref('dim_people') }}

),

final as (

    select
        team,
        count(*) as person_count,
        {{ is_small_cohort('count(*)') }} as is_below_min_cohort

    from people

    where team is not null

    group by 1

)

select * from final
