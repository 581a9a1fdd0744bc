with

source as (

    -- Absent until GitHub is configured and has loaded a pull request.
    select * from {{ current_repository_source('raw_github', 'pull_requests', {
        'id': 'varchar',
        'repo': 'varchar',
        'repository_id': 'varchar',
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
        'head_ref_oid': 'varchar',
        'base_ref_oid': 'varchar',
        'is_cross_repository': 'boolean',
        'head_repository': 'varchar',
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
        'files_total_count': 'bigint',
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
        repository_id,
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
        -- GitHub answers `author: null` for a deleted account (its "ghost").
        author_login is null as is_ghost_author,
        author_database_id,
        head_ref_name,
        base_ref_name,
        head_ref_oid,
        base_ref_oid,
        coalesce(is_cross_repository, false) as is_cross_repository,
        -- The fork's owner/name; null for a fork deleted since (and for an older load).
        case when coalesce(is_cross_repository, false) then head_repository end
            as head_repository,
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
        cast(files_total_count as {{ dbt.type_int() }}) as files_total_count,
        -- GitHub serves at most 250 commits and 3,000 files of a pull request; its totals
        -- still count them all, so commit and file facts of such a PR are incomplete.
        coalesce(commits_total_count > {{ var('github_max_pr_commits') }}, false)
        or coalesce(files_total_count > {{ var('github_max_pr_files') }}, false)
            as is_truncated_by_github,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('published_at') }} as published_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ to_utc_timestamp('closed_at') }} as closed_at,
        {{ to_utc_timestamp('merged_at') }} as merged_at

    from source

)

select * from renamed
