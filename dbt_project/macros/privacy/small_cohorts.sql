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

{#-
    The team a usage owner's spend shows under in a team mart (`people`: dim_people's alias):
    the roster team; `no team` for a resolved person without one; `unknown` for an unresolved
    identity (or a person dim_people does not know); `unassigned` for usage no person owns
    (is_person false). `no team` and `unknown` are people, sized like teams; `unassigned` is not
    a group of people (see `is_suppressed_team`).
-#}
{% macro team_bucket(people) -%}
    case
        when not coalesce({{ people }}.is_person, true) then 'unassigned'
        when {{ people }}.team is not null then {{ people }}.team
        when {{ people }}.is_resolved then 'no team'
        else 'unknown'
    end
{%- endmacro %}

{#-
    True when a team bucket is too small to show (`team`, `people_count`: SQL expressions): a
    group of people under var('min_cohort_size'). `unassigned` is never suppressed: its spend
    belongs to keys, projects, organisations and former members, not to a group of people, and
    hiding it would hide spend the organisation pays for.
-#}
{% macro is_suppressed_team(team, people_count) -%}
    ({{ team }} != 'unassigned' and {{ is_small_cohort(people_count) }})
{%- endmacro %}
