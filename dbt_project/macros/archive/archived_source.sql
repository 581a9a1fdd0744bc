{#-
    `optional_source()` for a raw table kept as an archive of versions
    (`orchestration/defs/ingest/archive.py`): every load of a day is stored, stamped with
    `_tokenworth_load_id`; this reads, per day, the version `raw_tokenworth.day_versions` says
    to read — the newest (largest load id) whose status is `applied`, `confirmed` or `accepted`.
    A version that is `held` (it dropped too many rows or too much cost) or `unchanged` (identical
    to the one read) is never read. Rows loaded before the archive existed (no load id) are read
    while their day has no readable version. Every archived staging model reads its source
    through this macro, and only through it.

    columns: as `optional_source` (name -> SQL type); day_column: the column holding the row's
    UTC day (a date, or ISO text).
-#}
{% macro archived_source(source_name, table_name, day_column, columns) -%}
    {%- set stamped = dict(columns) -%}
    {%- do stamped.update({'_tokenworth_load_id': 'varchar'}) -%}
    {%- set versions = optional_source('raw_tokenworth', 'day_versions', {
        'source': 'varchar',
        'table_name': 'varchar',
        'archived_day': 'date',
        'load_id': 'varchar',
        'status': 'varchar',
    }) -%}
    (
        select
        {%- for name in columns %}
            archived_rows.{{ adapter.quote(name) if name.startswith('_') else name }}
            {{- "," if not loop.last }}
        {%- endfor %}
        from (select * from {{ optional_source(source_name, table_name, stamped) }}) as archived_rows
        left join (
            select
                archived_day,
                max(load_id) as load_id
            from (select * from {{ versions }}) as versions
            where
                source = '{{ source_name }}'
                and table_name = '{{ table_name }}'
                and status in ('applied', 'confirmed', 'accepted')
            group by archived_day
        ) as readable_versions
            on cast(archived_rows.{{ day_column }} as date) = readable_versions.archived_day
        where
            coalesce(archived_rows._tokenworth_load_id, '')
            = coalesce(readable_versions.load_id, '')
    ) as {{ table_name }}_rows
{%- endmacro %}
