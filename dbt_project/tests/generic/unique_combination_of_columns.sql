{#-
    Fails with one row per combination of `combination_of_columns` that occurs more than once
    (the dbt_utils test of the same name, without the package).
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences

    from {{ model }}

    group by {{ combination_of_columns | join(', ') }}

    having count(*) > 1

{% endtest %}
