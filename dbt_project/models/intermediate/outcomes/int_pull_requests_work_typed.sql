-- One row per pull request with its work type (`work_type` in docs/metrics.md): the
-- conventional-commit prefix of the title, else a label, else the head branch prefix, else
-- `other`; rules in the seed `work_type_rules`, the lowest priority winning within a source.

with

pull_requests as (

    select * from {{ ref('stg_github__pull_requests') }}

),

labels as (

    select * from {{ ref('stg_github__pull_request_labels') }}

),

rules as (

    select * from {{ ref('work_type_rules') }}

),

title_matches as (

    -- `feat: x`, `feat(api): x` and `feat!: x` all start with the prefix followed by one of
    -- `:`, `(` or `!`; matching those three spellings avoids a regular expression (portable).
    select
        pull_requests.pull_request_id,
        rules.work_type,
        rules.priority,
        'title_prefix' as work_type_source

    from pull_requests

    inner join rules
        on
            rules.rule_source = 'title_prefix'
            and (
                lower(pull_requests.title) like {{ dbt.concat(["rules.pattern", "':%'"]) }}
                or lower(pull_requests.title) like {{ dbt.concat(["rules.pattern", "'(%):%'"]) }}
                or lower(pull_requests.title) like {{ dbt.concat(["rules.pattern", "'!:%'"]) }}
            )

),

label_matches as (

    select
        labels.pull_request_id,
        rules.work_type,
        rules.priority,
        'label' as work_type_source

    from labels

    inner join rules
        on
            rules.rule_source = 'label'
            and labels.label_name_normalized = rules.pattern

),

branch_matches as (

    select
        pull_requests.pull_request_id,
        rules.work_type,
        rules.priority,
        'branch_prefix' as work_type_source

    from pull_requests

    inner join rules
        on
            rules.rule_source = 'branch_prefix'
            and lower(pull_requests.head_ref_name) like {{ dbt.concat(["rules.pattern", "'%'"]) }}

),

matches as (

    select * from title_matches
    union all
    select * from label_matches
    union all
    select * from branch_matches

),

ranked as (

    select
        pull_request_id,
        work_type,
        work_type_source,
        row_number() over (
            partition by pull_request_id
            order by priority, work_type
        ) as match_rank

    from matches

),

final as (

    select
        pull_requests.pull_request_id,
        coalesce(ranked.work_type, 'other') as work_type,
        coalesce(ranked.work_type_source, 'none') as work_type_source

    from pull_requests

    left join ranked
        on
            pull_requests.pull_request_id = ranked.pull_request_id
            and ranked.match_rank = 1

)

select * from final
