with

source as (

    select * from {{ optional_source('anthropic', 'users', {
        'id': 'varchar',
        'email': 'varchar',
        'name': 'varchar',
        'role': 'varchar',
    }) }}

),

renamed as (

    select
        id as anthropic_user_id,
        lower(trim(email)) as email,
        name as display_name,
        role

    from source

)

select * from renamed
