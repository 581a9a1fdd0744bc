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

{#-
    numerator / denominator as a ratio, null when the denominator is 0 or null (divided by
    decimal_ratio, so every engine keeps twelve decimals).
-#}
{% macro safe_ratio(numerator, denominator) -%}
    case
        when {{ denominator }} != 0
            then {{ decimal_ratio(numerator, denominator) }}
    end
{%- endmacro %}

{#-
    The exact cost of `tokens` at `usd_per_mtok` (a price per million tokens), as a sum term.
    The operands are narrowed first (fewer than 10^12 tokens in a row, prices with at most six
    decimals below 10^7 USD) so that five such terms added stay within 38 digits with twelve
    decimals: Spark keeps only six decimals of decimal(38, 12) products, and a price per token
    ($0.30 per million is 0.0000003) needs more.
-#}
{% macro token_cost_usd(tokens, usd_per_mtok) -%}
    cast({{ tokens }} as decimal(12, 0))
    * (cast({{ usd_per_mtok }} as decimal(13, 6)) * 0.000001)
{%- endmacro %}

{#-
    The exact cost of `quantity` units (AI credits) at `usd_per_unit`: quantities below 10^12
    with twelve decimals, unit prices with at most six decimals below 10^7 USD, so the product
    keeps its decimals on Spark too.
-#}
{% macro priced_units(quantity, usd_per_unit) -%}
    cast({{ quantity }} as decimal(24, 12)) * cast({{ usd_per_unit }} as decimal(13, 6))
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
