{#-
    How an incremental fact rebuilds the days of its window, per engine. DuckDB and PostgreSQL
    delete the window's days and insert them again (`delete+insert` on the day column). Plain
    Spark tables (Parquet, no Delta/Iceberg) cannot delete rows: the fact is partitioned by the
    day and `insert_overwrite` replaces exactly the day partitions the run produced, which is the
    same result (dbt-spark sets partitionOverwriteMode=dynamic for it).
-#}
{% macro day_incremental_strategy() -%}
    {{ return(adapter.dispatch('day_incremental_strategy', 'tokenworth')()) }}
{%- endmacro %}

{% macro default__day_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__day_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{#- The table's partition columns: the day on Spark (what insert_overwrite replaces), none elsewhere. -#}
{% macro day_partition_by(column) -%}
    {{ return(adapter.dispatch('day_partition_by', 'tokenworth')(column)) }}
{%- endmacro %}

{% macro default__day_partition_by(column) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__day_partition_by(column) -%}
    {{ return([column]) }}
{%- endmacro %}

{#-
    A model the nightly rebuilds by day but that later models read through a date window
    (int_usage_records_reconciled): incremental by day on DuckDB and PostgreSQL; on Spark a table
    rebuilt whole and not partitioned, like the other intermediate models there. Incremental on
    Spark, it would be partitioned by day, Spark would push a reader's date window to the
    metastore as a partition filter, and the embedded Derby metastore fails on it
    (INTERNAL_ERROR_HIVE_METASTORE_PARTITION_FILTER). Such a model sets no partition_by.
-#}
{% macro day_incremental_or_table() -%}
    {{ return(adapter.dispatch('day_incremental_or_table', 'tokenworth')()) }}
{%- endmacro %}

{% macro default__day_incremental_or_table() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__day_incremental_or_table() -%}
    {{ return('table') }}
{%- endmacro %}
