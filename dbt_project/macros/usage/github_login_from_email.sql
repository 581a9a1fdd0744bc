{#-
    The GitHub login in a `NNN+login@users.noreply.github.com` (or `login@users.noreply...`)
    commit email, else null. Lower-cased, like every identity value.
-#}
{% macro github_login_from_email(column) -%}
    case
        when lower({{ column }}) like '%@users.noreply.github.com'
            then lower({{ dbt.split_part(
                "case when " ~ column ~ " like '%+%@%' then "
                ~ dbt.split_part(column, "'+'", 2) ~ " else " ~ column ~ " end",
                "'@'", 1) }})
    end
{%- endmacro %}
