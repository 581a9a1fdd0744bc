with

source as (

    select * from {{ optional_source('anthropic', 'api_keys', {
        'id': 'varchar',
        'name': 'varchar',
        'workspace_id': 'varchar',
        'status': 'varchar',
        'created_at': 'timestamp with time zone',
        'created_by__id': 'varchar',
        'created_by__type': 'varchar',
    }) }}

),

renamed as (

    select
        id as api_key_id,
        name as api_key_name,
        workspace_id,
        status,
        {{ to_utc_timestamp('created_at') }} as created_at,
        created_by__id as created_by_user_id,
        created_by__type as created_by_type,
        -- Claude Code's Console login creates keys named claude_code_key_<user>_... in the
        -- "Claude Code" workspace; raw data has no workspace names, so the name marks the key.
        coalesce(name like 'claude_code_key_%', false) as is_claude_code_named

    from source

)

select * from renamed
