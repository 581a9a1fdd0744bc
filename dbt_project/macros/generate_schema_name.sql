{#-
    Use a model's custom schema as is (staging, core, marts, restricted, ...) instead of dbt's
    default "<target schema>_<custom>", so analysts and BI tools see stable schema names.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
