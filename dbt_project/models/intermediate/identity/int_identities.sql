-- A table, not a view like the rest of this layer: it reads every usage record and commit, and
-- five models and seven tests read it (as a view, a build scanned all of history twelve times,
-- and a nightly's window-bounded usage models still scanned it all through here).
{{ config(materialized='table') }}

{#-
    Every identity seen anywhere (roster, vendor users/members/keys, usage records) mapped to
    one person. Resolution goes through an *anchor*: the email (or GitHub login) the identity
    leads to — a user id or API key leads to its user's email, a GitHub no-reply commit email to
    its login. An anchor in the roster gives the roster person; any other anchor becomes an
    unresolved person of its own, `unresolved:<platform>:<anchor>`, so its usage is kept and
    counted, never dropped. Without a roster, an email anchor is a (resolved) person by itself.

    Not every identity is a person's (docs/metrics.md `dim_people`, usage no person owns):
    * an API key that leads to no user (a service account's key, a key whose creator left, a
      key the key list does not show) is nobody's identity: it is left out here, and the usage
      layer (int_usage_records_priced) states its owner `unassigned:<platform>:key:<key>`;
    * a former member: a Cursor email that only Cursor shows, in usage but no longer among the
      team's members (removed), or a GitHub login that only Copilot shows, with usage but no seat
      (left the organisation), resolving to no roster person, is `unassigned:cursor:user:<email>`
      / `unassigned:copilot:user:<login>` (is_person false). Only when the member or seat list
      was loaded: without it a former member cannot be told from an unresolved person.
-#}
{%- set platform_rank = {
    'claude_code': 1, 'anthropic_api': 2, 'openai_api': 3, 'cursor': 4, 'copilot': 5,
    'github': 6,
} -%}
{#- Emails and GitHub logins as each source shows them: (platform, source CTE, identity type,
    column). Each is its own anchor; the identities that lead elsewhere are written out below. -#}
{%- set self_anchored = [
    ('claude_code', 'claude_code_usages', 'email', 'actor_email'),
    ('anthropic_api', 'anthropic_users', 'email', 'email'),
    ('openai_api', 'openai_users', 'email', 'email'),
    ('cursor', 'cursor_members', 'email', 'email'),
    ('cursor', 'cursor_usage_events', 'email', 'user_email'),
    ('cursor', 'cursor_daily_usages', 'email', 'email'),
    ('copilot', 'copilot_user_days', 'github_login', 'github_login'),
    ('copilot', 'copilot_seats', 'github_login', 'github_login'),
    ('github', 'github_pull_requests', 'github_login', 'author_login'),
    ('github', 'github_commits', 'email', 'author_email'),
] -%}

with

roster as (

    select * from {{ ref('stg_people__people') }}

),

anthropic_users as (

    select * from {{ ref('stg_anthropic__users') }}

),

anthropic_api_keys as (

    select * from {{ ref('stg_anthropic__api_keys') }}

),

claude_code_usages as (

    select * from {{ ref('stg_anthropic__claude_code_usages') }}

),

messages_usages as (

    select * from {{ ref('stg_anthropic__messages_usages') }}

),

openai_users as (

    select * from {{ ref('stg_openai__users') }}

),

completions_usages as (

    select * from {{ ref('stg_openai__completions_usages') }}

),

cursor_members as (

    select * from {{ ref('stg_cursor__members') }}

),

cursor_usage_events as (

    select * from {{ ref('stg_cursor__usage_events') }}

),

cursor_daily_usages as (

    select * from {{ ref('stg_cursor__daily_usages') }}

),

copilot_user_days as (

    select * from {{ ref('stg_copilot__user_day_metrics') }}

),

copilot_seats as (

    select * from {{ ref('stg_copilot__seats') }}

),

github_pull_requests as (

    select * from {{ ref('stg_github__pull_requests') }}

    -- Bots are not people (as for commits below).
    where not is_bot_author

),

github_commits as (

    select * from {{ ref('stg_github__pull_request_commits') }}

    -- Bots (Dependabot, coding agents) are not people; agent PRs are tied to their human by
    -- the outcome models (Co-authored-by trailers).
    where
        coalesce(author_login, '') not like '%[bot]'
        and coalesce(author_name, '') not like '%[bot]'
        and coalesce(author_email, '') not like '%[bot]%'

),

numbers as (

    select n from {{ numbers_up_to(10) }} as numbers

),

roster_identities as (

    select distinct
        'email' as identity_type,
        trim({{ split_part_at('roster.emails', "';'", 'numbers.n') }}) as identity_value,
        roster.person_id

    from roster

    cross join numbers

    union all

    select distinct
        'github_login' as identity_type,
        trim({{ split_part_at('roster.github_logins', "';'", 'numbers.n') }}) as identity_value,
        roster.person_id

    from roster

    cross join numbers

),

roster_identities_cleaned as (

    select distinct
        identity_type,
        -- A GitHub login may be given with a leading @.
        case
            when identity_type = 'github_login' and identity_value like '@%'
                then {{ dbt.right('identity_value', dbt.length('identity_value') ~ ' - 1') }}
            else identity_value
        end as identity_value,
        person_id

    from roster_identities

    where identity_value is not null and identity_value != ''

),

anthropic_key_owners as (

    select
        anthropic_api_keys.api_key_id,
        anthropic_users.email as owner_email

    from anthropic_api_keys

    left join anthropic_users
        on anthropic_api_keys.created_by_user_id = anthropic_users.anthropic_user_id

),

openai_key_owners as (

    select distinct
        completions_usages.api_key_id,
        completions_usages.openai_user_id,
        openai_users.email as owner_email

    from completions_usages

    left join openai_users
        on completions_usages.openai_user_id = openai_users.openai_user_id

    where completions_usages.api_key_id is not null

),

-- identity_type, identity_value, anchor_type, anchor_value, platform: where the identity leads.
-- First the emails and logins of `self_anchored` (each its own anchor), then the user ids, keys
-- and commit logins, which lead to an email where one is known.
observed as (

    {%- for platform, source, identity_type, column in self_anchored %}

        select distinct
            '{{ identity_type }}' as identity_type,
            {{ column }} as identity_value,
            '{{ identity_type }}' as anchor_type,
            {{ column }} as anchor_value,
            '{{ platform }}' as platform
        from {{ source }}
        where {{ column }} is not null

        union all
    {%- endfor %}

    select
        'anthropic_user_id' as identity_type,
        lower(anthropic_user_id) as identity_value,
        case when email is null then 'anthropic_user_id' else 'email' end as anchor_type,
        coalesce(email, lower(anthropic_user_id)) as anchor_value,
        'anthropic_api' as platform
    from anthropic_users

    union all

    select
        'api_key_id' as identity_type,
        lower(api_key_id) as identity_value,
        case when owner_email is null then 'api_key_id' else 'email' end as anchor_type,
        coalesce(owner_email, lower(api_key_id)) as anchor_value,
        'anthropic_api' as platform
    from anthropic_key_owners

    union all

    -- Keys in usage that the key list does not (or no longer) show.
    select distinct
        'api_key_id' as identity_type,
        lower(api_key_id) as identity_value,
        'api_key_id' as anchor_type,
        lower(api_key_id) as anchor_value,
        'anthropic_api' as platform
    from messages_usages
    where
        api_key_id is not null
        and api_key_id not in (select anthropic_key_owners.api_key_id from anthropic_key_owners)

    union all

    select
        'openai_user_id' as identity_type,
        lower(openai_user_id) as identity_value,
        case when email is null then 'openai_user_id' else 'email' end as anchor_type,
        coalesce(email, lower(openai_user_id)) as anchor_value,
        'openai_api' as platform
    from openai_users

    union all

    select distinct
        'openai_user_id' as identity_type,
        lower(openai_user_id) as identity_value,
        'openai_user_id' as anchor_type,
        lower(openai_user_id) as anchor_value,
        'openai_api' as platform
    from completions_usages
    where
        openai_user_id is not null
        and openai_user_id not in (select openai_users.openai_user_id from openai_users)

    union all

    select
        'api_key_id' as identity_type,
        lower(api_key_id) as identity_value,
        case
            when owner_email is not null then 'email'
            when openai_user_id is not null then 'openai_user_id'
            else 'api_key_id'
        end as anchor_type,
        coalesce(owner_email, lower(openai_user_id), lower(api_key_id)) as anchor_value,
        'openai_api' as platform
    from openai_key_owners

    union all

    select
        'cursor_user_id' as identity_type,
        lower(cursor_user_id) as identity_value,
        'email' as anchor_type,
        email as anchor_value,
        'cursor' as platform
    from cursor_members
    where email is not null and cursor_user_id is not null

    union all

    select distinct
        'cursor_user_id' as identity_type,
        cursor_numeric_user_id as identity_value,
        'email' as anchor_type,
        email as anchor_value,
        'cursor' as platform
    from cursor_daily_usages
    where email is not null

    union all

    -- A commit's email and login are the same person: without a roster this is how GitHub
    -- logins (Copilot) meet vendor emails.
    select distinct
        'github_login' as identity_type,
        author_login as identity_value,
        'email' as anchor_type,
        author_email as anchor_value,
        'github' as platform
    from github_commits
    where author_login is not null and author_email is not null

),

observed_ranked as (

    select
        identity_type,
        identity_value,
        -- GitHub's no-reply commit emails name the login: they lead to it, not to an email.
        case
            when {{ github_login_from_email('anchor_value') }} is not null then 'github_login'
            else anchor_type
        end as anchor_type,
        coalesce({{ github_login_from_email('anchor_value') }}, anchor_value) as anchor_value,
        platform,
        case platform
            {%- for platform, rank in platform_rank.items() %}
                when '{{ platform }}' then {{ rank }}
            {%- endfor %}
        end as platform_rank

    from observed

),

observed_matched as (

    select
        observed_ranked.*,
        roster_identities_cleaned.person_id as roster_person_id

    from observed_ranked

    left join roster_identities_cleaned
        on
            observed_ranked.anchor_type = roster_identities_cleaned.identity_type
            and observed_ranked.anchor_value = roster_identities_cleaned.identity_value

),

-- One anchor per identity: one that reaches the roster if any, else one leading elsewhere
-- (a login to its commit email) over the identity itself, else the first platform's.
identity_anchors as (

    select
        identity_type,
        identity_value,
        anchor_type,
        anchor_value,
        platform,
        roster_person_id,
        row_number() over (
            partition by identity_type, identity_value
            order by
                case when roster_person_id is null then 1 else 0 end,
                case
                    when anchor_type = identity_type and anchor_value = identity_value then 1
                    else 0
                end,
                platform_rank,
                anchor_type,
                anchor_value
        ) as anchor_rank

    from observed_matched

),

-- The platform an unresolved anchor is named after: the first (by rank) that shows it.
anchor_platforms as (

    select
        anchor_type,
        anchor_value,
        platform,
        row_number() over (
            partition by anchor_type, anchor_value order by platform_rank
        ) as platform_order

    from observed_ranked

),

roster_size as (

    select count(*) as people from roster

),

-- Who is still at a vendor: Cursor members not removed, Copilot seat holders (the latest
-- snapshot). An identity missing from a list that was loaded has left.
current_cursor_members as (

    select distinct email

    from cursor_members

    where not is_removed and email is not null

),

copilot_seat_holders as (

    select distinct github_login

    from copilot_seats

    where github_login is not null

),

-- Anchors that only one platform shows (a former member is known to that vendor alone).
anchor_platform_counts as (

    select
        anchor_type,
        anchor_value,
        count(distinct platform) as platform_count

    from observed_ranked

    group by
        anchor_type,
        anchor_value

),

observed_classified as (

    select
        identity_anchors.*,
        anchor_platforms.platform as anchor_platform,
        coalesce(
            identity_anchors.roster_person_id is not null
            or (roster_size.people = 0 and identity_anchors.anchor_type = 'email'),
            false
        ) as is_resolved,
        case
            when
                identity_anchors.anchor_type = 'email'
                and anchor_platforms.platform = 'cursor'
                and anchor_platform_counts.platform_count = 1
                and exists (select 1 from current_cursor_members)
                and identity_anchors.anchor_value not in (
                    select current_cursor_members.email from current_cursor_members
                )
                then 'removed_member'
            when
                identity_anchors.anchor_type = 'github_login'
                and anchor_platforms.platform = 'copilot'
                and anchor_platform_counts.platform_count = 1
                and exists (select 1 from copilot_seat_holders)
                and identity_anchors.anchor_value not in (
                    select copilot_seat_holders.github_login from copilot_seat_holders
                )
                then 'departed_user'
        end as left_vendor_as

    from identity_anchors

    cross join roster_size

    inner join anchor_platforms
        on
            identity_anchors.anchor_type = anchor_platforms.anchor_type
            and identity_anchors.anchor_value = anchor_platforms.anchor_value
            and anchor_platforms.platform_order = 1

    inner join anchor_platform_counts
        on
            identity_anchors.anchor_type = anchor_platform_counts.anchor_type
            and identity_anchors.anchor_value = anchor_platform_counts.anchor_value

    where identity_anchors.anchor_rank = 1

),

-- A former member is someone who left a vendor and resolves to no person: a roster person
-- removed from Cursor is still a person (their usage is theirs).
observed_former as (

    select
        *,
        case when not is_resolved then left_vendor_as end as former_member_kind

    from observed_classified

),

observed_resolved as (

    select
        identity_type,
        identity_value,
        case
            when roster_person_id is not null then roster_person_id
            -- No roster: people are matched by email across vendors (an email is a person).
            when is_resolved then anchor_value
            when former_member_kind is not null
                then {{ dbt.concat([
                    "'unassigned:'", "anchor_platform", "':user:'", "anchor_value",
                ]) }}
            else {{ dbt.concat(["'unresolved:'", "anchor_platform", "':'", "anchor_value"]) }}
        end as person_id,
        is_resolved,
        former_member_kind is null as is_person,
        former_member_kind as unassigned_kind,
        platform as identity_source,
        anchor_type,
        anchor_value

    from observed_former

    -- A key that leads to no user is nobody's identity: the usage layer names its owner.
    where not (anchor_type = 'api_key_id' and not is_resolved)

),

roster_rows as (

    select
        identity_type,
        identity_value,
        person_id,
        true as is_resolved,
        true as is_person,
        cast(null as {{ dbt.type_string() }}) as unassigned_kind,
        'roster' as identity_source,
        identity_type as anchor_type,
        identity_value as anchor_value

    from roster_identities_cleaned

),

final as (

    select * from roster_rows

    union all

    select * from observed_resolved

    where not exists (
        select 1
        from roster_identities_cleaned
        where
            roster_identities_cleaned.identity_type = observed_resolved.identity_type
            and roster_identities_cleaned.identity_value = observed_resolved.identity_value
    )

)

select * from final
