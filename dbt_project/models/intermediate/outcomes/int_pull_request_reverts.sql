-- A table, not a view: its matching of revert titles and commits over every pull request is
-- slow to repeat, and its tests and int_pull_requests_enriched each read it (on the large
-- profile its two relationship tests took 36 s as a view).
{{ config(materialized='table') }}

-- One row per (reverted pull request, reverting pull request), with the rule(s) that tied them
-- ("Reverts" in docs/metrics.md): a commit of the reverting PR says `This reverts commit <sha>`
-- naming a commit of the reverted PR (its branch commits or its merge commit); the reverting PR's
-- head branch is `revert-<number>-…`; or its title is `Revert "<title>"`. Both PRs are in the
-- same repository.

with

pull_requests as (

    select * from {{ ref('stg_github__pull_requests') }}

),

commits as (

    select * from {{ ref('stg_github__pull_request_commits') }}

),

revert_messages as (

    -- Filter first: only messages that revert something are compared with every oid.
    select
        pull_request_id,
        repo,
        lower(message) as message,
        -- How many times the message says `this reverts commit ` (20 characters).
        (
            {{ dbt.length('lower(message)') }}
            - {{ dbt.length("replace(lower(message), 'this reverts commit ', '')") }}
        ) / 20 as reverted_commit_count

    from commits

    where lower(message) like '%this reverts commit %'

),

pull_request_oids as (

    select
        pull_request_id,
        repo,
        lower(commit_oid) as commit_oid

    from commits

    union distinct

    select
        pull_request_id,
        repo,
        lower(merge_commit_oid) as commit_oid

    from pull_requests

    where merge_commit_oid is not null

),

odd_length_oids as (

    select * from pull_request_oids

    where {{ dbt.length('commit_oid') }} != 40

),

numbers as (

    select n from {{ numbers_up_to(20) }} as numbers

),

-- The 40 characters after each `this reverts commit ` (the text between the n-th and the next
-- occurrence starts with them): an equi-join on the sha instead of a LIKE per pair of revert
-- message and commit of a repository (153 s of a full build for a 2,000-engineer year).
named_oids as (

    select distinct
        revert_messages.pull_request_id,
        revert_messages.repo,
        substring(
            {{ split_part_at('revert_messages.message', "'this reverts commit '", 'numbers.n') }},
            1,
            40
        ) as named_oid

    from revert_messages

    inner join numbers
        on
            numbers.n >= 2
            and numbers.n <= revert_messages.reverted_commit_count + 1

    where revert_messages.reverted_commit_count < 20

),

by_commit_message as (

    -- A commit's full 40-character sha named after `this reverts commit `.
    select distinct
        pull_request_oids.pull_request_id as reverted_pull_request_id,
        named_oids.pull_request_id as revert_pull_request_id,
        'commit_message' as detected_by

    from named_oids

    inner join pull_request_oids
        on
            named_oids.repo = pull_request_oids.repo
            and named_oids.named_oid = pull_request_oids.commit_oid

    union distinct

    -- What the equi-join cannot see, by the original LIKE: messages naming 20 commits or more,
    -- and oids that are not 40 characters long (none from GitHub). Each side is filtered
    -- before the join, so both joins stay small.
    select distinct
        pull_request_oids.pull_request_id as reverted_pull_request_id,
        revert_messages.pull_request_id as revert_pull_request_id,
        'commit_message' as detected_by

    from revert_messages

    inner join pull_request_oids
        on
            revert_messages.repo = pull_request_oids.repo
            and revert_messages.message like {{ dbt.concat([
            "'%this reverts commit '", "pull_request_oids.commit_oid", "'%'"
        ]) }}

    where revert_messages.reverted_commit_count >= 20

    union distinct

    select distinct
        pull_request_oids.pull_request_id as reverted_pull_request_id,
        revert_messages.pull_request_id as revert_pull_request_id,
        'commit_message' as detected_by

    from revert_messages

    inner join odd_length_oids as pull_request_oids
        on
            revert_messages.repo = pull_request_oids.repo
            and revert_messages.message like {{ dbt.concat([
            "'%this reverts commit '", "pull_request_oids.commit_oid", "'%'"
        ]) }}

),

by_head_branch as (

    -- An equi-join on the number between `revert-` and the next `-` (the branch still has to
    -- match `revert-%-%`): a LIKE per pair of PRs compared every PR of a repository with every
    -- other (6.4 s of the nightly on the large profile).
    select
        reverted.pull_request_id as reverted_pull_request_id,
        reverting.pull_request_id as revert_pull_request_id,
        'head_branch' as detected_by

    from pull_requests as reverting

    inner join pull_requests as reverted
        on
            reverting.repo = reverted.repo
            and {{ dbt.split_part('reverting.head_ref_name', "'-'", 2) }}
            = cast(reverted.pr_number as {{ dbt.type_string() }})

    where reverting.head_ref_name like 'revert-%-%'

),

by_title as (

    select
        reverted.pull_request_id as reverted_pull_request_id,
        reverting.pull_request_id as revert_pull_request_id,
        'title' as detected_by

    from pull_requests as reverting

    inner join pull_requests as reverted
        on
            reverting.repo = reverted.repo
            and reverting.title = {{ dbt.concat(["'Revert \"'", "reverted.title", "'\"'"]) }}

),

unioned as (

    select * from by_commit_message
    union all
    select * from by_head_branch
    union all
    select * from by_title

),

pairs as (

    select
        reverted_pull_request_id,
        revert_pull_request_id,
        -- Each rule yields a pair at most once, so the list has no repeats.
        {{ dbt.listagg("detected_by", "', '", "order by detected_by") }} as detected_by,
        max(case when detected_by != 'title' then 1 else 0 end) as has_exact_rule

    from unioned

    -- A PR never reverts itself (a "Revert …" title on the original would otherwise match).
    where reverted_pull_request_id != revert_pull_request_id

    group by
        reverted_pull_request_id,
        revert_pull_request_id

),

ranked as (

    -- Titles repeat ("Invoice rounding" twice), so a title alone is ambiguous: when a revert PR
    -- has an exact match (a commit sha or the `revert-<number>-` branch), title-only candidates
    -- are dropped; otherwise the latest PR merged before the revert was opened wins.
    select
        pairs.*,
        max(pairs.has_exact_rule) over (
            partition by pairs.revert_pull_request_id
        ) as revert_has_exact_rule,
        row_number() over (
            partition by pairs.revert_pull_request_id, pairs.has_exact_rule
            order by
                case when reverted.merged_at < reverting.created_at then 0 else 1 end asc,
                reverted.merged_at desc,
                reverted.pr_number desc
        ) as title_rank

    from pairs

    inner join pull_requests as reverted
        on pairs.reverted_pull_request_id = reverted.pull_request_id

    inner join pull_requests as reverting
        on pairs.revert_pull_request_id = reverting.pull_request_id

),

final as (

    select
        reverted_pull_request_id,
        revert_pull_request_id,
        detected_by

    from ranked

    where
        has_exact_rule = 1
        or (revert_has_exact_rule = 0 and title_rank = 1)

)

select * from final
