{#-
    Fails with one row per timestamp (or date) after the dbt run began: nothing can have
    happened later than the run that reads it (a vendor row dated years ahead is quarantined at
    load; this catches any that gets through). A date is compared with the run's UTC day.
-#}
{% test not_after_run(model, column_name) %}

    select {{ column_name }}

    from {{ model }}

    where
        {{ column_name }}
        > cast(
            '{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}+00:00'
            as {{ engine_type('timestamp with time zone') }}
        )

{% endtest %}
