{#-
    `numerator / denominator` as a decimal(38, 12) share. DuckDB divides decimals in double
    precision and PostgreSQL in numeric with ample digits; Spark divides decimal(38, 12) by
    decimal(38, 12) into decimal(38, 6), losing six digits (1/3 → 0.333333), so on Spark the
    division is done in double precision, as DuckDB does, before the cast.
-#}
{% macro decimal_ratio(numerator, denominator) -%}
    {{ return(adapter.dispatch('decimal_ratio', 'tokenworth')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__decimal_ratio(numerator, denominator) -%}
    cast(
        cast({{ numerator }} as decimal(38, 12))
        / cast({{ denominator }} as decimal(38, 12)) as decimal(38, 12)
    )
{%- endmacro %}

{% macro spark__decimal_ratio(numerator, denominator) -%}
    cast(cast({{ numerator }} as double) / cast({{ denominator }} as double) as decimal(38, 12))
{%- endmacro %}

{#-
    `amount * share` as a decimal(38, 12) amount (a cost split by a weight of at most 1). Spark
    multiplies decimal(38, 12) by decimal(38, 12) into decimal(38, 6), losing six digits; there
    the operands are narrowed first (amounts below 10^12, shares below 10), so the product keeps
    its 24 decimal places before the cast, as on DuckDB and PostgreSQL.
-#}
{% macro decimal_share(amount, share) -%}
    {{ return(adapter.dispatch('decimal_share', 'tokenworth')(amount, share)) }}
{%- endmacro %}

{% macro default__decimal_share(amount, share) -%}
    cast({{ amount }} * {{ share }} as decimal(38, 12))
{%- endmacro %}

{% macro spark__decimal_share(amount, share) -%}
    cast(
        cast({{ amount }} as decimal(24, 12)) * cast({{ share }} as decimal(13, 12))
        as decimal(38, 12)
    )
{%- endmacro %}

{#-
    The sum of amounts (SQL expressions) as decimal(30, 12) operands: Spark adds decimal(38, 12)
    values into decimal(38, 11), dropping a digit to stay within 38; with eight digits of
    headroom it keeps all twelve decimals, as DuckDB and PostgreSQL do.
-#}
{% macro decimal_sum(amounts) -%}
    ({% for amount in amounts %}cast({{ amount }} as decimal(30, 12)){{ " + " if not loop.last }}{% endfor %})
{%- endmacro %}
