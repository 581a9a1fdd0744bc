{#-
    The privacy rule of every team-level figure, in one place: a group with fewer than
    var('min_cohort_size') people is a small cohort, and its figures are suppressed (null) or
    the group is merged into `suppressed`, so no small group (or person) can be singled out.
-#}

{#- True when `people_count` (a SQL expression) is under var('min_cohort_size'). -#}
{% macro is_small_cohort(people_count) -%}
    {{ people_count }} < {{ var('min_cohort_size') }}
{%- endmacro %}

{#- `value` (a SQL expression), or null when `people_count` is under var('min_cohort_size'). -#}
{% macro suppress_small_cohort(people_count, value) -%}
    case when {{ people_count }} >= {{ var('min_cohort_size') }} then {{ value }} end
{%- endmacro %}
