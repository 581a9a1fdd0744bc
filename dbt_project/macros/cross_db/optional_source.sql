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
    {%- set existing = raw_relation(relation) -%}
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
        {%- if not present -%}
            {{ exceptions.raise_compiler_error(
                relation ~ " exists but the engine returned no columns for it: a transient "
                ~ "metastore error; run the build again") }}
        {%- endif -%}
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

{#-
    The raw table behind `relation`, or none when the warehouse does not hold it. DuckDB and
    PostgreSQL: dbt's relation cache. Spark: the lake's catalog, which lists every raw table the
    pipeline published (register_raw_sources creates one table per row). Not dbt's cache there:
    it lists a schema with `show table extended … like '*'`, which also describes the session's
    temporary views, and fails when another thread drops one meanwhile (a unit test's); dbt-spark
    then caches the schema as empty, and a raw table that exists would read as no rows.
-#}
{% macro raw_relation(relation) -%}
    {{ return(adapter.dispatch('raw_relation', 'tokenworth')(relation)) }}
{%- endmacro %}

{% macro default__raw_relation(relation) -%}
    {{ return(adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier)) }}
{%- endmacro %}

{% macro spark__raw_relation(relation) -%}
    {%- set listed -%}
        select count(*) as tables
        from parquet.`{{ env_var('TOKENWORTH_SPARK_LAKE').rstrip('/') }}/raw/_tokenworth_tables/catalog.parquet`
        where dataset = '{{ relation.schema }}' and table_name = '{{ relation.identifier }}'
    {%- endset -%}
    {%- if run_query(listed).columns['tables'].values()[0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(api.Relation.create(
        schema=relation.schema, identifier=relation.identifier, type='table')) }}
{%- endmacro %}
