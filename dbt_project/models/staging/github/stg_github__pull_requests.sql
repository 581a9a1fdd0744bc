with

source as (

    -- Absent until GitHub is configured and has loaded a pull request.
    select * from {{ optional_source('raw_github', 'pull_requests', {
        'id': 'varchar',
        'repo': 'varchar',
        'number': 'bigint',
        'url': 'varchar',
        'title': 'varchar',
        'body': 'varchar',
        'state': 'varchar',
        'is_draft': 'boolean',
        'author_login': 'varchar',
        'author_type': 'varchar',
        'author_database_id': 'bigint',
        'head_ref_name': 'varchar',
        'base_ref_name': 'varchar',
        'merge_commit_oid': 'varchar',
        'merged_by_login': 'varchar',
        'review_decision': 'varchar',
        'additions': 'bigint',
        'deletions': 'bigint',
        'changed_files': 'bigint',
        'comments_total_count': 'bigint',
        'commits_total_count': 'bigint',
        'reviews_total_count': 'bigint',
        'review_threads_total_count': 'bigint',
        'created_at': 'timestamp with time zone',
        'published_at': 'timestamp with time zone',
        'updated_at': 'timestamp with time zone',
        'closed_at': 'timestamp with time zone',
        'merged_at': 'timestamp with time zone',
    }) }}

),

renamed as (

    select
        id as pull_request_id,
        repo,
        cast(number as {{ dbt.type_int() }}) as pr_number,
        {{ dbt.concat(["repo", "'#'", "cast(number as " ~ dbt.type_string() ~ ")"]) }}
            as pull_request_key,
        url as pull_request_url,
        title,
        coalesce(body, '') as body,
        upper(state) as pr_state,
        coalesce(is_draft, false) as is_draft,
        lower(author_login) as author_login,
        author_type,
        coalesce(author_type = 'Bot', false) as is_bot_author,
        author_database_id,
        head_ref_name,
        base_ref_name,
        merge_commit_oid,
        lower(merged_by_login) as merged_by_login,
        review_decision,
        cast(additions as {{ dbt.type_int() }}) as additions,
        cast(deletions as {{ dbt.type_int() }}) as deletions,
        cast(changed_files as {{ dbt.type_int() }}) as changed_files,
        cast(coalesce(comments_total_count, 0) as {{ dbt.type_int() }}) as comment_count,
        cast(commits_total_count as {{ dbt.type_int() }}) as commit_count,
        cast(reviews_total_count as {{ dbt.type_int() }}) as review_count,
        cast(review_threads_total_count as {{ dbt.type_int() }}) as review_thread_count,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('published_at') }} as published_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ to_utc_timestamp('closed_at') }} as closed_at,
        {{ to_utc_timestamp('merged_at') }} as merged_at

    from source

)

select * from renamed
