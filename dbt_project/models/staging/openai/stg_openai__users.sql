with

source as (

    select * from {{ optional_source('openai', 'users', {
        'id': 'varchar',
        'email': 'varchar',
        'name': 'varchar',
        'role': 'varchar',
    }) }}

),

renamed as (

    select
        id as openai_user_id,
        lower(trim(email)) as email,
        name as display_name,
        role

    from source

)

select * from renamed
