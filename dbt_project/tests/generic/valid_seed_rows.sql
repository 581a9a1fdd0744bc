{#-
    Every row of a hand-edited seed is usable: its key occurs once, required columns are
    filled, prices are not negative, coded columns hold an accepted value, and (with `effective_range`) every row's
    [effective_from, effective_to) is a real range that overlaps no other row of the same key.

    Fails with one row per problem: `seed_row` names the row by its natural key
    (`vendor=anthropic, model=claude-opus-5, effective_from=2026-07-24`) and `problem` says what
    is wrong. dbt itself only counts failing rows, so the rows are also written to dbt's output
    (macro `log_failing_rows`), where whoever edited the CSV sees which line to fix.

    Arguments:
        key_columns: the columns that identify a row for a person reading the CSV (unique).
        required_columns: columns that must not be empty.
        non_negative_columns: prices and amounts that must be >= 0.
        accepted_values: {column: [values]} for coded columns (empty cells are reported by
            required_columns, not here).
        effective_range: {"per": [columns], "from": column, "to": column}; an empty `to`
            means "still in force".
-#}
{% test valid_seed_rows(
    model,
    key_columns,
    required_columns=[],
    non_negative_columns=[],
    accepted_values={},
    effective_range=none
) %}

    {%- set checks = [] -%}

    {%- do checks.append(
        "select " ~ seed_row_name(key_columns) ~ " as seed_row, 'this key occurs ' || "
        ~ "cast(count(*) as " ~ dbt.type_string() ~ ") || ' times' as problem from " ~ model
        ~ " group by " ~ key_columns | join(", ") ~ " having count(*) > 1"
    ) -%}

    {%- for column in required_columns -%}
        {%- do checks.append(
            "select " ~ seed_row_name(key_columns) ~ " as seed_row, '" ~ column
            ~ " is empty' as problem from " ~ model ~ " where " ~ column ~ " is null"
        ) -%}
    {%- endfor -%}

    {%- for column in non_negative_columns -%}
        {%- do checks.append(
            "select " ~ seed_row_name(key_columns) ~ " as seed_row, '" ~ column
            ~ " is negative: ' || cast(" ~ column ~ " as " ~ dbt.type_string()
            ~ ") as problem from " ~ model ~ " where " ~ column ~ " < 0"
        ) -%}
    {%- endfor -%}

    {%- for column, values in accepted_values.items() -%}
        {%- set quoted = [] -%}
        {%- for value in values -%}
            {%- do quoted.append("'" ~ value ~ "'") -%}
        {%- endfor -%}
        {%- do checks.append(
            "select " ~ seed_row_name(key_columns) ~ " as seed_row, '" ~ column ~ " = ' || "
            ~ column ~ " || ' is not one of " ~ values | join(", ") ~ "' as problem from "
            ~ model ~ " where " ~ column ~ " not in (" ~ quoted | join(", ") ~ ")"
        ) -%}
    {%- endfor -%}

    {%- if effective_range -%}
        {%- set start = effective_range["from"] -%}
        {%- set stop = effective_range["to"] -%}
        {%- do checks.append(
            "select " ~ seed_row_name(key_columns) ~ " as seed_row, '" ~ stop
            ~ " is not after " ~ start ~ "' as problem from " ~ model
            ~ " where " ~ stop ~ " <= " ~ start
        ) -%}
        {%- set same_key = [] -%}
        {%- for column in effective_range["per"] -%}
            {%- do same_key.append("earlier." ~ column ~ " = later." ~ column) -%}
        {%- endfor -%}
        {#- Each overlapping pair once: the earlier row is named, the later one in `problem`. -#}
        {%- do checks.append(
            "select " ~ seed_row_name(key_columns, "earlier") ~ " as seed_row, "
            ~ "'its range overlaps the row with " ~ start ~ " = ' || cast(later." ~ start
            ~ " as " ~ dbt.type_string() ~ ") as problem from " ~ model ~ " as earlier inner join "
            ~ model ~ " as later on " ~ same_key | join(" and ") ~ " and earlier." ~ start
            ~ " < later." ~ start ~ " and (earlier." ~ stop ~ " is null or earlier." ~ stop
            ~ " > later." ~ start ~ ")"
        ) -%}
    {%- endif -%}

    {%- set failing -%}
        {{ checks | join("\nunion all\n") }}
    {%- endset -%}

    {{ log_failing_rows(failing, model) }}

    select * from ({{ failing }}) as failing_rows

{% endtest %}
