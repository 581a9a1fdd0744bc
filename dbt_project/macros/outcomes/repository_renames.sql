{#-
    Repositories renamed or transferred between nights: one row per name a repository's pull
    requests were loaded under that is no longer its name → the name of its latest load.

    GitHub keeps a repository's node id (`repository_id`) through a rename or a transfer, but a
    night only re-fetches the pull requests updated in its window: the others keep the name they
    were loaded under. Staging models put every row under the current name with this map, so one
    repository's history never splits across two names. A name that two repositories have held
    (one renamed away, a new one created under its old name) is ambiguous and left as loaded.
-#}
{% macro repository_renames() -%}
    {%- set names = optional_source('raw_github', 'pull_requests', {
        'repo': 'varchar',
        'repository_id': 'varchar',
        '_dlt_load_id': 'varchar',
    }) -%}
    (
        select
            loaded.loaded_repo,
            latest.repo as current_repo
        from (
            select
                repo as loaded_repo,
                min(repository_id) as repository_id
            from {{ names }}
            where repository_id is not null
            group by repo
            having count(distinct repository_id) = 1
        ) as loaded
        inner join (
            select
                repository_id,
                repo,
                -- dlt's load ids sort in load order; the name loaded last is the current one.
                row_number() over (
                    partition by repository_id order by _dlt_load_id desc, repo desc
                ) as recency
            from {{ names }}
            where repository_id is not null
        ) as latest
            on loaded.repository_id = latest.repository_id
        where latest.recency = 1 and latest.repo <> loaded.loaded_repo
    )
{%- endmacro %}


{#-
    `optional_source` of a GitHub or git table with a `repo` column, every row under its
    repository's current name (repository_renames); the other columns as loaded.
-#}
{% macro current_repository_source(source_name, table_name, columns) -%}
    {%- set loaded = optional_source(source_name, table_name, columns) -%}
    {%- if loaded is string -%}
        {%- set rows = loaded -%}
    {%- else -%}
        {#- A relation (parse time, unit tests): alias it as optional_source's subqueries are. -#}
        {%- set rows = "(select * from " ~ loaded ~ ") as " ~ table_name ~ "_rows" -%}
    {%- endif -%}
    (
        select
        {%- for name in columns %}
            {% if name == 'repo' -%}
                coalesce(renames.current_repo, {{ table_name }}_rows.repo)
            {%- else -%}
                {{ table_name }}_rows.{{ adapter.quote(name) }}
            {%- endif %} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        from {{ rows }}
        left join {{ repository_renames() }} as renames
            on {{ table_name }}_rows.repo = renames.loaded_repo
    ) as {{ table_name }}_current
{%- endmacro %}
