with

identities as (

    select * from {{ ref('int_identities') }}

),

roster as (

    select * from {{ ref('stg_people__people') }}

),

roster_people as (

    select
        roster.person_id,
        coalesce(roster.display_name, roster.person_id) as display_name,
        roster.team,
        true as is_resolved,
        nullif(trim({{ dbt.split_part('roster.emails', "';'", 1) }}), '') as primary_email,
        nullif(trim({{ dbt.split_part('roster.github_logins', "';'", 1) }}), '') as github_login

    from roster

),

-- People that only vendor data knows: unresolved identities (or, without a roster, emails).
identity_people as (

    select
        person_id,
        max(case when anchor_type = 'email' then anchor_value end) as primary_email,
        max(case when anchor_type = 'github_login' then anchor_value end) as github_login,
        max(case when is_resolved then 1 else 0 end) = 1 as is_resolved

    from identities

    where person_id not in (select roster_people.person_id from roster_people)

    group by 1

),

identity_counts as (

    select
        person_id,
        count(*) as identity_count

    from identities

    group by 1

),

people as (

    select * from roster_people

    union all

    select
        person_id,
        coalesce(primary_email, github_login, person_id) as display_name,
        cast(null as {{ dbt.type_string() }}) as team,
        is_resolved,
        primary_email,
        github_login

    from identity_people

),

final as (

    select
        people.person_id,
        people.display_name,
        people.team,
        people.is_resolved,
        people.primary_email,
        people.github_login,
        coalesce(identity_counts.identity_count, 0) as identity_count

    from people

    left join identity_counts
        on people.person_id = identity_counts.person_id

)

select * from final
