{#-
    on-run-start: make the raw layer visible to the engine. On DuckDB and PostgreSQL dlt loads the
    raw schemas into the warehouse itself: nothing to do. On Spark the pipeline publishes each
    raw table as Parquet under the lake (orchestration/lib/lake.py) with a catalog of what it
    wrote; this creates one external table per catalog row (`raw_<source>.<table>`).
    `recursiveFileLookup` reads a daily table's `<day>=…/` folders as plain files (the day
    column is in the files). A table is created again only when its columns changed (the
    catalog's `columns_digest`, kept as a table property): creating one reads its files' schema,
    a Spark job; the others are refreshed (new day files are listed).
-#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'tokenworth')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('TOKENWORTH_SPARK_LAKE', '') -%}
        {%- if not lake -%}
            {{ exceptions.raise_compiler_error(
                "TOKENWORTH_SPARK_LAKE is not set: run dbt on Spark through tokenworth "
                ~ "(TOKENWORTH_WAREHOUSE_URL=spark:///path/to/lake), which sets it") }}
        {%- endif -%}
        {%- set catalog_sql -%}
            select dataset, table_name, location, columns_digest
            from parquet.`{{ lake.rstrip('/') }}/raw/_tokenworth_tables/catalog.parquet`
        {%- endset -%}
        {%- set tables = run_query(catalog_sql) -%}
        {%- set registered = {} -%}
        {%- for dataset in tables.columns['dataset'].values() | unique -%}
            {%- call statement('raw_schema_' ~ loop.index) -%}
                create database if not exists {{ dataset }}
            {%- endcall -%}
            {%- for row in run_query("show tables in " ~ dataset).rows -%}
                {%- do registered.update({dataset ~ '.' ~ row['tableName']: true}) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for row in tables.rows -%}
            {%- set name = row['dataset'] ~ '.' ~ row['table_name'] -%}
            {%- set current = none -%}
            {%- if name in registered -%}
                {%- set current = run_query(
                    "show tblproperties " ~ name ~ " ('tokenworth.columns_digest')"
                ).columns['value'].values()[0] -%}
            {%- endif -%}
            {%- if current == row['columns_digest'] -%}
                {%- call statement('raw_refresh_' ~ loop.index) -%}
                    refresh table {{ name }}
                {%- endcall -%}
            {%- else -%}
                {%- call statement('raw_drop_' ~ loop.index) -%}
                    drop table if exists {{ name }}
                {%- endcall -%}
                {%- call statement('raw_table_' ~ loop.index) -%}
                    create table {{ name }}
                    using parquet
                    options (path '{{ row['location'] }}', recursiveFileLookup 'true')
                    tblproperties ('tokenworth.columns_digest' = '{{ row['columns_digest'] }}')
                {%- endcall -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
