{#-
    True when the session (`session`: alias of a relation with fct_ai_sessions' columns)
    overlaps the pull request's development window (`window`: alias with dev_window_start_at
    and dev_window_end_at): it starts before the window ends, and ends after it starts. A
    user-day session (session_grain `user_day`: the vendor reports a day, not its hours) is
    placed by its day: it counts when its day is on or after the day holding the window's start
    (docs/metrics.md's day-grain lead), whatever hour of that day the start falls on.
-#}
{% macro overlaps_dev_window(session, window) -%}
    {{ session }}.started_at <= {{ window }}.dev_window_end_at
            and case
                when {{ session }}.session_grain = 'user_day'
                    then {{ session }}.session_date >= cast({{ window }}.dev_window_start_at as date)
                else {{ session }}.ended_at >= {{ window }}.dev_window_start_at
            end
{%- endmacro %}
