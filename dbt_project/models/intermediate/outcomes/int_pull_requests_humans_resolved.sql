-- A table, not a view: its trailer matching (commit messages against every known identity) ran
-- again in each of its two tests (9 s of them on the large profile).
{{ config(materialized='table') }}

-- One row per pull request with the person behind it: the PR author's GitHub login resolved
-- through `int_identities`; for PRs opened by an agent's bot account (e.g. the Copilot coding
-- agent) the human who started the agent, found in the `Co-authored-by:` trailer the agent
-- writes on its commits (by email or by GitHub login); for PRs of a deleted account (GitHub's
-- "ghost", `author: null`) the person whose email authored most of the PR's commits (git keeps
-- the name and email a deleted account committed with).

with

pull_requests as (

    select * from {{ ref('stg_github__pull_requests') }}

),

commits as (

    select * from {{ ref('stg_github__pull_request_commits') }}

),

identities as (

    select * from {{ ref('int_identities') }}

),

markers as (

    select * from {{ ref('int_pull_request_agent_markers') }}

),

bot_authored as (

    select distinct pull_request_id

    from markers

    where marker_type = 'bot_author'

),

author_people as (

    select
        pull_requests.pull_request_id,
        min(identities.person_id) as author_person_id

    from pull_requests

    inner join identities
        on
            identities.identity_type = 'github_login'
            and pull_requests.author_login = identities.identity_value

    group by pull_requests.pull_request_id

),

trailer_people as (

    -- Trailer lines look like `co-authored-by: name <email>`; a human co-author is named by an
    -- email or a login we know. Agent trailers name no known identity, so they never match.
    select
        commits.pull_request_id,
        identities.person_id,
        count(*) as trailer_matches

    from commits

    inner join bot_authored
        on commits.pull_request_id = bot_authored.pull_request_id

    inner join identities
        on (
            identities.identity_type = 'email'
            and lower(commits.message) like {{ dbt.concat([
                "'%co-authored-by:%<'", "identities.identity_value", "'>%'"
            ]) }}
        )
        or (
            identities.identity_type = 'github_login'
            and lower(commits.message) like {{ dbt.concat([
                "'%co-authored-by: '", "identities.identity_value", "' <%'"
            ]) }}
        )

    group by
        commits.pull_request_id,
        identities.person_id

),

ghost_commit_people as (

    select
        commits.pull_request_id,
        identities.person_id,
        row_number() over (
            partition by commits.pull_request_id
            order by count(*) desc, identities.person_id asc
        ) as commit_rank

    from commits

    inner join pull_requests
        on commits.pull_request_id = pull_requests.pull_request_id

    inner join identities
        on
            identities.identity_type = 'email'
            and commits.author_email = identities.identity_value

    where pull_requests.is_ghost_author

    group by
        commits.pull_request_id,
        identities.person_id

),

agent_starters as (

    select
        pull_request_id,
        person_id as agent_starter_person_id,
        row_number() over (
            partition by pull_request_id
            order by trailer_matches desc, person_id asc
        ) as starter_rank

    from trailer_people

),

final as (

    select
        pull_requests.pull_request_id,
        bot_authored.pull_request_id is not null as is_agent_authored,
        author_people.author_person_id as author_login_person_id,
        agent_starters.agent_starter_person_id,
        ghost_commit_people.person_id as ghost_commit_person_id,
        coalesce(
            author_people.author_person_id,
            agent_starters.agent_starter_person_id,
            ghost_commit_people.person_id
        ) as person_id

    from pull_requests

    left join bot_authored
        on pull_requests.pull_request_id = bot_authored.pull_request_id

    left join author_people
        on pull_requests.pull_request_id = author_people.pull_request_id

    left join agent_starters
        on
            pull_requests.pull_request_id = agent_starters.pull_request_id
            and agent_starters.starter_rank = 1

    left join ghost_commit_people
        on
            pull_requests.pull_request_id = ghost_commit_people.pull_request_id
            and ghost_commit_people.commit_rank = 1

)

select * from final
