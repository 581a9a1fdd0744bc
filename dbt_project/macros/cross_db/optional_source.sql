{#-
    `source()` for a raw table that may not exist yet: a source runs only when its credential is
    set (and the roster only when TOKENWORTH_PEOPLE_FILE is), so a warehouse can lack whole raw
    schemas. When the table exists this is the source relation; otherwise an empty relation with
    the typed columns the staging model reads, so the build succeeds and the facts are empty.
    Columns that dlt has not created yet (optional fields never seen) are filled with typed nulls.
    The subquery is aliased (`<table>_rows`): PostgreSQL requires an alias, DuckDB allows one.

    columns: mapping of column name -> SQL type ('varchar', 'bigint', 'decimal(38, 12)', ...).
-#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {#- At parse time, and in unit tests (the source is a fixture CTE without a schema). -#}
    {%- if not execute or relation.schema is none or relation.identifier is none -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- if existing is none -%}
        (
            select
            {%- for name, type in columns.items() %}
                {{ dbt.cast("null", type) }} as {{ name }}{{ "," if not loop.last }}
            {%- endfor %}
            where 1 = 0
        ) as {{ table_name }}_rows
    {%- else -%}
        {%- set present = adapter.get_columns_in_relation(existing) | map(attribute='name') | map('lower') | list -%}
        (
            select
            {%- for name, type in columns.items() %}
                {% if name | lower in present -%}
                    {{ adapter.quote(name) }}
                {%- else -%}
                    {{ dbt.cast("null", type) }}
                {%- endif %} as {{ name }}{{ "," if not loop.last }}
            {%- endfor %}
            from {{ existing }}
        ) as {{ table_name }}_rows
    {%- endif -%}
{%- endmacro %}
