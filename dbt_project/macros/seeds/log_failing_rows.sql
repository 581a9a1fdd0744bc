{#-
    Writes the first rows a data test's query returns to dbt's output (`seed_row: problem`).

    dbt reports only how many rows a test returned; for hand-edited seeds the person who
    broke a row needs to see which one. Runs when the test is compiled for execution, which in
    `dbt build` is after its seed has loaded; skipped while parsing and when the relation does
    not exist yet (e.g. `dbt compile` on an empty warehouse).
-#}
{% macro log_failing_rows(failing_sql, relation, limit=20) %}
    {%- if execute and load_relation(relation) is not none -%}
        {%- set result = run_query(
            "select seed_row, problem from (" ~ failing_sql ~ ") as failing_rows"
            ~ " order by seed_row limit " ~ limit
        ) -%}
        {%- for row in result.rows -%}
            {%- do log(
                "Invalid row in seed " ~ relation.identifier ~ ": " ~ row[0] ~ ": " ~ row[1],
                info=true
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
