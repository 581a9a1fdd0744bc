{#- The exact type of every `*_usd` column: never float for money. -#}
{% macro type_usd() -%}
    decimal(38, 12)
{%- endmacro %}

{#- Cents (any numeric type) as exact USD. -#}
{% macro cents_to_usd(column) -%}
    cast(cast({{ column }} as decimal(38, 12)) / 100 as decimal(38, 12))
{%- endmacro %}

{#- The type of shares and rates (hit rates, drift shares): exact, like money. -#}
{% macro type_ratio() -%}
    decimal(38, 12)
{%- endmacro %}

{#- numerator / denominator as a ratio, null when the denominator is 0 or null. -#}
{% macro safe_ratio(numerator, denominator) -%}
    cast(
        case
            when {{ denominator }} != 0
                then cast({{ numerator }} as decimal(38, 12)) / {{ denominator }}
        end
        as decimal(38, 12)
    )
{%- endmacro %}

{#-
    Claude Code edit decisions of an actor-day: the sum over the edit tools of
    tool_actions.<tool>.<decision> (`accepted` or `rejected`).
-#}
{% macro claude_code_edit_decisions(column, decision) -%}
    {%- set tools = ['edit_tool', 'multi_edit_tool', 'write_tool', 'notebook_edit_tool'] -%}
    (
        {%- for tool in tools %}
        coalesce(cast({{ json_extract_text(column, [tool, decision]) }}
            as {{ dbt.type_bigint() }}), 0){{ " +" if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
