with

source as (

    select * from {{ optional_source('people', 'roster', {
        'person_id': 'varchar',
        'name': 'varchar',
        'team': 'varchar',
        'emails': 'varchar',
        'github_logins': 'varchar',
    }) }}

),

renamed as (

    select
        trim(person_id) as person_id,
        nullif(trim(name), '') as display_name,
        nullif(trim(team), '') as team,
        -- `;`-separated lists, split into identities in int_identities.
        lower(coalesce(emails, '')) as emails,
        lower(coalesce(github_logins, '')) as github_logins

    from source

)

select * from renamed
