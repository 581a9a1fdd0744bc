{#-
    Fails with one row per value below zero: tokens, money and counts are never negative (a
    refund is not usage; the raw archive quarantines such rows before they reach a fact).
-#}
{% test non_negative(model, column_name) %}

    select {{ column_name }}

    from {{ model }}

    where {{ column_name }} < 0

{% endtest %}
