with

source as (

    select * from {{ optional_source('cursor', 'members', {
        'id': 'varchar',
        'email': 'varchar',
        'name': 'varchar',
        'role': 'varchar',
        'is_removed': 'boolean',
    }) }}

),

renamed as (

    select
        lower(trim(email)) as email,
        id as cursor_user_id,
        name as display_name,
        role,
        coalesce(is_removed, false) as is_removed

    from source

)

select * from renamed
