{#- The model of a usage record whose vendor does not report one (never null, never a name). -#}
{% macro unreported_model() -%}
    (unreported)
{%- endmacro %}
