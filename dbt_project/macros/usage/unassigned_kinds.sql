{#-
    Why usage belongs to no person (dim_people.unassigned_kind), in one list: what
    mart_data_quality counts by kind. Where each is decided: int_usage_records_unioned (keys,
    keyless and ungrouped usage, API actors) and int_identities (former members).
-#}
{% macro unassigned_kinds() -%}
    {{ return([
        'service_account_key', 'orphaned_key', 'no_key', 'ungrouped', 'api_actor',
        'removed_member', 'departed_user',
    ]) }}
{%- endmacro %}
