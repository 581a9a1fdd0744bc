{#-
    dbt's `listagg` with its `order by` on Spark: dbt-spark drops the order (and says so), which
    would make lists like "claude_code, cursor" come out in any order. Spark 4 has `listagg …
    within group (order by …)`; found first because dbt_project.yml puts this project before
    dbt in the dispatch order of the `dbt` namespace.
-#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("listagg with limit_num is not supported on Spark here") }}
    {%- endif -%}
    {%- if order_by_clause -%}
        listagg({{ measure }}, {{ delimiter_text }}) within group ({{ order_by_clause }})
    {%- else -%}
        listagg({{ measure }}, {{ delimiter_text }})
    {%- endif -%}
{%- endmacro %}
