{#-
    Spark spells a few types differently from DuckDB and PostgreSQL, and the project writes the
    portable ANSI names (`varchar`, `timestamp with time zone`, `double precision`) in its casts,
    seeds' column types and contracts. On Spark they become `string`, `timestamp` (an instant
    shown in the session's time zone, which the profile sets to UTC) and `double`.
-#}
{% macro engine_type(data_type) -%}
    {{ return(adapter.dispatch('engine_type', 'tokenworth')(data_type)) }}
{%- endmacro %}

{% macro default__engine_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{% macro spark__engine_type(data_type) -%}
    {%- set name = data_type | trim | lower -%}
    {%- if name in ('varchar', 'text', 'character varying') or name.startswith('varchar(') -%}
        {{ return('string') }}
    {%- elif name in ('timestamp with time zone', 'timestamptz') -%}
        {{ return('timestamp') }}
    {%- elif name == 'double precision' -%}
        {{ return('double') }}
    {%- endif -%}
    {{ return(data_type) }}
{%- endmacro %}

{#- dbt's `cast` (contracts' empty-schema query, unit-test fixtures) with Spark's type names. -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ engine_type(type) }})
{%- endmacro %}

{#- dbt-spark's seed table with Spark's type names for the seeds' `column_types`. -#}
{% macro spark__create_csv_table(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}

  {% set sql %}
    create table {{ this.render() }} (
        {%- for col_name in agate_table.column_names -%}
            {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
            {%- set type = engine_type(column_override.get(col_name, inferred_type)) -%}
            {%- set column_name = (col_name | string) -%}
            {{ adapter.quote_seed_column(column_name, quote_seed_column) }} {{ type }} {%- if not loop.last -%}, {%- endif -%}
        {%- endfor -%}
    )
    {{ file_format_clause() }}
    {{ partition_cols(label="partitioned by") }}
    {{ clustered_cols(label="clustered by") }}
    {{ location_clause() }}
    {{ comment_clause() }}
  {% endset %}

  {% call statement('_') -%}
    {{ sql }}
  {%- endcall %}

  {{ return(sql) }}
{% endmacro %}

{#- dbt-spark's seed rows, cast to Spark's type names for the seeds' `column_types`. -#}
{% macro spark__load_csv_rows(model, agate_table) %}

  {% set batch_size = get_batch_size() %}
  {% set column_override = model['config'].get('column_types', {}) %}

  {% set statements = [] %}

  {% for chunk in agate_table.rows | batch(batch_size) %}
      {% set bindings = [] %}

      {% for row in chunk %}
          {% do bindings.extend(row) %}
      {% endfor %}

      {% set sql %}
          insert into {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for col_name in agate_table.column_names -%}
                  {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                  {%- set type = engine_type(column_override.get(col_name, inferred_type)) -%}
                    cast({{ get_binding_char() }} as {{type}})
                  {%- if not loop.last%},{%- endif %}
              {%- endfor -%})
              {%- if not loop.last%},{%- endif %}
          {%- endfor %}
      {% endset %}

      {% do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) %}

      {% if loop.index0 == 0 %}
          {% do statements.append(sql) %}
      {% endif %}
  {% endfor %}

  {# Return SQL so we can render it out into the compiled files #}
  {{ return(statements[0]) }}
{% endmacro %}
