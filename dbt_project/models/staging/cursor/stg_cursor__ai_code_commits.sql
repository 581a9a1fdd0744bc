with

source as (

    select * from {{ archived_source('cursor', 'ai_code_commits', 'commit_date', {
        'commit_hash': 'varchar',
        'user_id': 'varchar',
        'user_email': 'varchar',
        'repo_name': 'varchar',
        'branch_name': 'varchar',
        'is_primary_branch': 'boolean',
        'total_lines_added': 'bigint',
        'total_lines_deleted': 'bigint',
        'tab_lines_added': 'bigint',
        'tab_lines_deleted': 'bigint',
        'composer_lines_added': 'bigint',
        'composer_lines_deleted': 'bigint',
        'non_ai_lines_added': 'bigint',
        'non_ai_lines_deleted': 'bigint',
        'commit_ts': 'timestamp with time zone',
        'commit_date': 'date',
    }) }}

),

renamed as (

    select
        commit_hash,
        user_id as cursor_user_id,
        lower(trim(user_email)) as user_email,
        repo_name as repo,
        branch_name as branch,
        coalesce(is_primary_branch, false) as is_primary_branch,
        {{ to_utc_timestamp('commit_ts') }} as committed_at,
        cast(commit_date as date) as commit_date,
        coalesce(total_lines_added, 0) as total_lines_added,
        coalesce(total_lines_deleted, 0) as total_lines_deleted,
        coalesce(tab_lines_added, 0) + coalesce(composer_lines_added, 0) as ai_lines_added,
        coalesce(tab_lines_deleted, 0) + coalesce(composer_lines_deleted, 0) as ai_lines_deleted,
        coalesce(non_ai_lines_added, 0) as non_ai_lines_added,
        coalesce(non_ai_lines_deleted, 0) as non_ai_lines_deleted

    from source

)

select * from renamed
