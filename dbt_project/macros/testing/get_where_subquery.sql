{#-
    Overrides dbt's own macro of this name, which wraps the relation a generic test reads in
    `(select * from … where <where config>)`. Besides that `where`, a run with a day window
    (Dagster's nightly and backfill runs, or `min_date`/`max_date` in --vars) tests only the
    window's rows of the models whose yml names a `test_window_column` in their meta: the
    usage-grain models, whose other days the run did not touch. Without a window every row is
    tested. Rows whose date is null are always tested.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- set window_column = tested_model_test_window_column() -%}
    {%- if window_column and usage_window_is_set() -%}
        {%- do conditions.append(
            '(' ~ window_column ~ ' is null or '
            ~ in_usage_window(window_column, var('usage_lookback_days', 3)) ~ ')'
        ) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- The `test_window_column` of the model a generic test is attached to, if any (run time only:
    the graph is not there while parsing). -#}
{% macro tested_model_test_window_column() -%}
    {%- if not execute or not model.attached_node -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) -%}
    {%- do return(tested.config.meta.get('test_window_column') if tested else none) -%}
{%- endmacro %}
