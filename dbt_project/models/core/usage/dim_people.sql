{#-
    Everyone (and everything) usage belongs to: roster people, unresolved identities (people no
    roster entry names, kept and flagged) and the owners of usage no person owns
    (`unassigned:<platform>:…`, is_person false): keys, projects, workspaces, organisations and
    former members. Owners are listed so that joins from the facts never drop a row; they have
    no team, and no team mart counts them as a person or a team.
-#}

with

identities as (

    select * from {{ ref('int_identities') }}

),

roster as (

    select * from {{ ref('stg_people__people') }}

),

-- The owners the usage layer states for records no identity leads to a person from (keys,
-- projects, workspaces, organisations). Claude Code key duplicates are not usage.
usage_records as (

    select * from {{ ref('int_usage_records_priced') }}

    where owner_kind != 'person' and not is_claude_code_duplicate

),

roster_people as (

    select
        roster.person_id,
        coalesce(roster.display_name, roster.person_id) as display_name,
        roster.team,
        true as is_resolved,
        true as is_person,
        'person' as owner_kind,
        cast(null as {{ dbt.type_string() }}) as unassigned_kind,
        cast(null as {{ dbt.type_string() }}) as owner_platform,
        nullif(trim({{ dbt.split_part('roster.emails', "';'", 1) }}), '') as primary_email,
        nullif(trim({{ dbt.split_part('roster.github_logins', "';'", 1) }}), '') as github_login

    from roster

),

-- People that only vendor data knows: unresolved identities (or, without a roster, emails),
-- and former members (int_identities: their email or login is all that is left of them).
identity_people as (

    select
        person_id,
        max(case when anchor_type = 'email' then anchor_value end) as primary_email,
        max(case when anchor_type = 'github_login' then anchor_value end) as github_login,
        max(case when is_resolved then 1 else 0 end) = 1 as is_resolved,
        min(case when is_person then 1 else 0 end) = 1 as is_person,
        max(unassigned_kind) as unassigned_kind,
        max(case when not is_person then identity_source end) as owner_platform

    from identities

    where person_id not in (select roster_people.person_id from roster_people)

    group by 1

),

usage_owners as (

    select
        person_id,
        max(owner_kind) as owner_kind,
        max(unassigned_kind) as unassigned_kind,
        max(platform) as owner_platform

    from usage_records

    where
        person_id not in (select roster_people.person_id from roster_people)
        and person_id not in (select identity_people.person_id from identity_people)

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
        is_person,
        case when is_person then 'person' else 'user' end as owner_kind,
        unassigned_kind,
        owner_platform,
        primary_email,
        github_login

    from identity_people

    union all

    select
        person_id,
        person_id as display_name,
        cast(null as {{ dbt.type_string() }}) as team,
        false as is_resolved,
        false as is_person,
        owner_kind,
        unassigned_kind,
        owner_platform,
        cast(null as {{ dbt.type_string() }}) as primary_email,
        cast(null as {{ dbt.type_string() }}) as github_login

    from usage_owners

),

final as (

    select
        people.person_id,
        people.display_name,
        people.team,
        people.is_resolved,
        people.is_person,
        people.owner_kind,
        people.unassigned_kind,
        people.owner_platform,
        people.primary_email,
        people.github_login,
        coalesce(identity_counts.identity_count, 0) as identity_count

    from people

    left join identity_counts
        on people.person_id = identity_counts.person_id

)

select * from final
