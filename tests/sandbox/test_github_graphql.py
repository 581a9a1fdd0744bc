"""The sandbox's GitHub GraphQL API: GitHub's query of vendor-apis.md §5.2 works and returns
GitHub's shapes, pagination is complete and stable, errors and rate limits look like GitHub's."""

from __future__ import annotations

from typing import Any

import pytest
from gql_worlds import BIG_PR, BIG_PR_COMMITS, BOT_PR, small_world

from sandbox.github_graphql import GraphQLApi
from sandbox.model import World

# vendor-apis.md §5.2 (two long lines wrapped): the query the pipeline's GitHub source sends.
PRS_QUERY = """
query PRs($owner: String!, $name: String!, $cursor: String) {
  rateLimit { cost limit remaining used resetAt }
  repository(owner: $owner, name: $name) {
    pullRequests(first: 25, after: $cursor,
                 orderBy: {field: UPDATED_AT, direction: DESC},
                 states: [OPEN, CLOSED, MERGED]) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id number url title state isDraft
        createdAt updatedAt publishedAt closedAt mergedAt
        author { __typename login ... on User { databaseId } ... on Bot { databaseId } }
        authorAssociation
        mergedBy { login }
        additions deletions changedFiles
        headRefName headRefOid baseRefName baseRefOid
        mergeCommit { oid }
        body
        labels(first: 20) { nodes { name } }
        commits(first: 100) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { commit {
            oid authoredDate committedDate message additions deletions
            author { name email date user { login } }
            committer { name email date user { login } }
          } }
        }
        reviews(first: 50) {
          totalCount
          nodes { state submittedAt author { __typename login } }
        }
        reviewThreads(first: 100) { totalCount nodes { isResolved
                                    comments(first: 1) { totalCount } } }
        comments(first: 1) { totalCount }
        timelineItems(first: 50, itemTypes: [READY_FOR_REVIEW_EVENT, CONVERT_TO_DRAFT_EVENT,
                      MERGED_EVENT, CLOSED_EVENT, REOPENED_EVENT, HEAD_REF_FORCE_PUSHED_EVENT,
                      REVIEW_REQUESTED_EVENT, CROSS_REFERENCED_EVENT]) {
          totalCount
          nodes {
            __typename
            ... on ReadyForReviewEvent { createdAt actor { login } }
            ... on ConvertToDraftEvent { createdAt actor { login } }
            ... on MergedEvent { createdAt actor { login } commit { oid } }
            ... on ClosedEvent { createdAt actor { login } }
            ... on ReopenedEvent { createdAt actor { login } }
            ... on HeadRefForcePushedEvent { createdAt }
            ... on ReviewRequestedEvent { createdAt requestedReviewer { __typename
                   ... on User { login } ... on Bot { login } ... on Team { slug } } }
            ... on CrossReferencedEvent { createdAt willCloseTarget
                   source { __typename ... on PullRequest { number title url headRefName } } }
          }
        }
      }
    }
  }
}
"""

# vendor-apis.md §5.2's example response, one element per list: the shape to match.
EXAMPLE_PR: dict[str, Any] = {
    "id": "PR_kwDOABCDEF5xYz12",
    "number": 4312,
    "url": "https://github.com/acme/api/pull/4312",
    "title": "Add retry budget to payment client",
    "state": "MERGED",
    "isDraft": False,
    "createdAt": "2026-11-06T14:02:11Z",
    "updatedAt": "2026-11-08T23:59:12Z",
    "publishedAt": "2026-11-06T14:02:11Z",
    "closedAt": "2026-11-08T17:40:03Z",
    "mergedAt": "2026-11-08T17:40:03Z",
    "author": {"__typename": "Bot", "login": "copilot-swe-agent", "databaseId": 198982749},
    "authorAssociation": "CONTRIBUTOR",
    "mergedBy": {"login": "jdoe"},
    "additions": 184,
    "deletions": 22,
    "changedFiles": 7,
    "headRefName": "copilot/add-retry-budget",
    "headRefOid": "9f1c2e7a0b3d4c5e6f708192a3b4c5d6e7f80912",
    "baseRefName": "main",
    "baseRefOid": "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
    "mergeCommit": {"oid": "5e6f708192a3b4c5d6e7f8091a2b3c4d1a2b3c4d"},
    "body": "Adds a per-request retry budget ...",
    "labels": {"nodes": [{"name": "backend"}]},
    "commits": {
        "totalCount": 2,
        "pageInfo": {"hasNextPage": False, "endCursor": "Mg"},
        "nodes": [
            {
                "commit": {
                    "oid": "0b3d4c5e6f708192a3b4c5d6e7f809129f1c2e7a",
                    "authoredDate": "2026-11-06T14:01:58Z",
                    "committedDate": "2026-11-06T14:01:58Z",
                    "message": "Initial plan",
                    "additions": 0,
                    "deletions": 0,
                    "author": {"name": "n", "email": "e", "date": "d", "user": None},
                    "committer": {"name": "n", "email": "e", "date": "d", "user": None},
                }
            }
        ],
    },
    "reviews": {
        "totalCount": 1,
        "nodes": [
            {
                "state": "APPROVED",
                "submittedAt": "2026-11-08T16:55:20Z",
                "author": {"__typename": "User", "login": "asmith"},
            }
        ],
    },
    "reviewThreads": {
        "totalCount": 3,
        "nodes": [{"isResolved": True, "comments": {"totalCount": 2}}],
    },
    "comments": {"totalCount": 4},
    "timelineItems": {
        "totalCount": 3,
        "nodes": [
            {
                "__typename": "ReadyForReviewEvent",
                "createdAt": "2026-11-06T14:31:40Z",
                "actor": {"login": "Copilot"},
            },
            {
                "__typename": "ReviewRequestedEvent",
                "createdAt": "2026-11-06T14:31:41Z",
                "requestedReviewer": {"__typename": "User", "login": "jdoe"},
            },
            {
                "__typename": "MergedEvent",
                "createdAt": "2026-11-08T17:40:03Z",
                "actor": {"login": "jdoe"},
                "commit": {"oid": "5e6f708192a3b4c5d6e7f8091a2b3c4d1a2b3c4d"},
            },
        ],
    },
}


def assert_same_shape(actual: Any, example: Any, where: str = "$") -> None:
    """Same keys and JSON types as the example; null is allowed wherever the schema allows it
    (graphql-core already fails non-null fields that resolve to null)."""
    if actual is None or example is None:
        return
    if isinstance(example, dict):
        assert isinstance(actual, dict), where
        assert set(actual) == set(example), f"{where}: {sorted(actual)} != {sorted(example)}"
        for key, value in example.items():
            assert_same_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(example, list):
        assert isinstance(actual, list), where
        by_type = {e.get("__typename"): e for e in example if isinstance(e, dict)}
        for i, item in enumerate(actual):
            like = by_type.get(item.get("__typename")) if isinstance(item, dict) else None
            if like is None and None in by_type:
                like = by_type[None]
            if like is not None:
                assert_same_shape(item, like, f"{where}[{i}]")
    else:
        assert type(actual) is type(example), f"{where}: {actual!r} vs {example!r}"


@pytest.fixture
def world() -> World:
    return small_world()


@pytest.fixture
def api(world: World) -> GraphQLApi:
    return GraphQLApi(world)


def run(api: GraphQLApi, query: str, **variables: Any) -> dict[str, Any]:
    status, _, body = api.execute({"query": query, "variables": variables})
    assert status == 200
    return body


def ok(api: GraphQLApi, query: str, **variables: Any) -> dict[str, Any]:
    body = run(api, query, **variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def all_pages(api: GraphQLApi, repo: str, query: str = PRS_QUERY) -> list[dict[str, Any]]:
    owner, name = repo.split("/")
    nodes: list[dict[str, Any]] = []
    cursor = None
    while True:
        data = ok(api, query, owner=owner, name=name, cursor=cursor)
        page = data["repository"]["pullRequests"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        cursor = page["pageInfo"]["endCursor"]


# ------------------------------------------------------------------------------ the §5.2 query


def test_section_5_2_query_runs_and_matches_the_documented_shape(api: GraphQLApi) -> None:
    data = ok(api, PRS_QUERY, owner="acme", name="api", cursor=None)
    page = data["repository"]["pullRequests"]
    assert len(page["nodes"]) == 25 and page["pageInfo"]["hasNextPage"] is True
    for node in page["nodes"]:
        assert_same_shape(node, EXAMPLE_PR)
    assert set(data["rateLimit"]) == {"cost", "limit", "remaining", "used", "resetAt"}
    assert data["rateLimit"]["resetAt"].endswith("Z")


def test_section_5_2_cost_follows_githubs_formula(api: GraphQLApi) -> None:
    # 1 (pullRequests) + 25 x 6 nested connections + 25 x 100 (reviewThreads -> comments)
    requests = 1 + 25 * 6 + 25 * 100
    data = ok(api, PRS_QUERY, owner="acme", name="api", cursor=None)
    assert data["rateLimit"]["cost"] == round(requests / 100) == 27
    assert data["rateLimit"]["used"] == 27 and data["rateLimit"]["remaining"] == 5000 - 27
    assert api.points_used == 27 and api.requests == 1


@pytest.mark.parametrize(
    ("selection", "cost", "node_count"),
    [
        ("pullRequests(first: 100) { totalCount }", 1, 100),
        ("pullRequests(first: 100) { nodes { commits(first: 100) { totalCount } } }", 1, 10_100),
        (
            "pullRequests(first: 100) { nodes { commits(first: 100) { nodes { commit {"
            " parents(first: 5) { totalCount } } } } } }",
            101,  # 1 + 100 + 100 x 100 = 10,101 requests
            100 + 10_000 + 50_000,
        ),
        ("pullRequests(last: 50) { nodes { ...F } }", 1, 50 + 50 * 20),
    ],
)
def test_cost_and_node_count(api: GraphQLApi, selection: str, cost: int, node_count: int) -> None:
    query = (
        f'query {{ rateLimit {{ cost nodeCount }} repository(owner: "acme", name: "api")'
        f" {{ {selection} }} }} fragment F on PullRequest {{ labels(first: 20) {{ totalCount }} }}"
    )
    if "...F" not in selection:
        query = query.split(" fragment F")[0]
    data = ok(api, query)
    assert data["rateLimit"] == {"cost": cost, "nodeCount": node_count}


def test_bot_author_and_agent_fields(api: GraphQLApi) -> None:
    nodes = all_pages(api, "acme/api")
    bot = next(n for n in nodes if n["number"] == BOT_PR)
    assert bot["author"] == {
        "__typename": "Bot",
        "login": "copilot-swe-agent",
        "databaseId": 198982749,
    }
    assert bot["headRefName"].startswith("copilot/")
    commit = nodes[0]["commits"]["nodes"][0]["commit"]
    assert "Co-Authored-By: Claude <noreply@anthropic.com>" in commit["message"]


# ---------------------------------------------------------------------------------- pagination


PAGE_QUERY = """
query($owner: String!, $name: String!, $cursor: String, $n: Int!, $field: IssueOrderField!,
      $dir: OrderDirection!, $states: [PullRequestState!]) {
  repository(owner: $owner, name: $name) {
    pullRequests(first: $n, after: $cursor, orderBy: {field: $field, direction: $dir},
                 states: $states) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { number updatedAt } }
    }
  }
}
"""


def _paginate(api: GraphQLApi, n: int, field: str, direction: str, states: Any = None) -> list[int]:
    numbers: list[int] = []
    cursor = None
    while True:
        data = ok(
            api,
            PAGE_QUERY,
            owner="acme",
            name="api",
            cursor=cursor,
            n=n,
            field=field,
            dir=direction,
            states=states,
        )
        page = data["repository"]["pullRequests"]
        assert len(page["edges"]) <= n
        assert page["pageInfo"]["hasPreviousPage"] is (cursor is not None)
        if page["edges"]:
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        numbers += [e["node"]["number"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return numbers
        cursor = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("page_size", [25, 7, 1, 100])
def test_updated_at_desc_pages_concatenate_to_every_pr_once(
    api: GraphQLApi, world: World, page_size: int
) -> None:
    prs = world.repository("acme/api").pull_requests
    expected = [p.number for p in sorted(prs, key=lambda p: (p.updated_at, p.number), reverse=True)]
    assert len({p.updated_at for p in prs}) < len(prs)  # the world has ties to break
    assert _paginate(api, page_size, "UPDATED_AT", "DESC") == expected


@pytest.mark.parametrize(
    ("field", "direction", "key"),
    [
        ("CREATED_AT", "ASC", lambda p: (p.created_at, p.number)),
        ("CREATED_AT", "DESC", lambda p: (p.created_at, p.number)),
        ("COMMENTS", "DESC", lambda p: (p.comments, p.number)),
        ("UPDATED_AT", "ASC", lambda p: (p.updated_at, p.number)),
    ],
)
def test_other_orders_paginate_stably(
    api: GraphQLApi, world: World, field: str, direction: str, key: Any
) -> None:
    prs = sorted(world.repository("acme/api").pull_requests, key=key, reverse=direction == "DESC")
    assert _paginate(api, 7, field, direction) == [p.number for p in prs]


def test_states_filter(api: GraphQLApi, world: World) -> None:
    prs = world.repository("acme/api").pull_requests
    open_numbers = _paginate(api, 4, "UPDATED_AT", "DESC", ["OPEN"])
    assert sorted(open_numbers) == sorted(p.number for p in prs if p.state == "OPEN")
    data = ok(
        api,
        'query { repository(owner: "acme", name: "api") {'
        " pullRequests(first: 1, states: [MERGED, CLOSED]) { totalCount } } }",
    )
    expected = sum(p.state != "OPEN" for p in prs)
    assert data["repository"]["pullRequests"]["totalCount"] == expected


def test_backwards_pagination_with_last_and_before(api: GraphQLApi, world: World) -> None:
    query = """
    query($before: String) { repository(owner: "acme", name: "api") {
      pullRequests(last: 8, before: $before, orderBy: {field: UPDATED_AT, direction: DESC}) {
        pageInfo { hasPreviousPage startCursor } nodes { number } } } }
    """
    numbers: list[int] = []
    before = None
    while True:
        page = ok(api, query, before=before)["repository"]["pullRequests"]
        numbers = [n["number"] for n in page["nodes"]] + numbers
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert numbers == _paginate(api, 25, "UPDATED_AT", "DESC")


def test_overflowing_commits_are_completed_by_node_follow_ups(
    api: GraphQLApi, world: World
) -> None:
    nodes = all_pages(api, "acme/api")
    big = next(n for n in nodes if n["number"] == BIG_PR)
    commits = big["commits"]
    assert commits["totalCount"] == BIG_PR_COMMITS
    assert len(commits["nodes"]) == 100 and commits["pageInfo"]["hasNextPage"] is True
    oids = [c["commit"]["oid"] for c in commits["nodes"]]
    follow_up = """
    query($id: ID!, $c: String) { rateLimit { cost } node(id: $id) { __typename
      ... on PullRequest { number commits(first: 100, after: $c) {
        totalCount pageInfo { hasNextPage endCursor } nodes { commit { oid } } } } } }
    """
    cursor = commits["pageInfo"]["endCursor"]
    while cursor is not None:
        data = ok(api, follow_up, id=big["id"], c=cursor)
        assert data["node"]["__typename"] == "PullRequest" and data["node"]["number"] == BIG_PR
        page = data["node"]["commits"]
        oids += [c["commit"]["oid"] for c in page["nodes"]]
        cursor = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    pr = next(p for p in world.repository("acme/api").pull_requests if p.number == BIG_PR)
    assert oids == [c.oid for c in pr.commits]


def test_every_node_id_resolves_through_node_and_nodes(api: GraphQLApi) -> None:
    query = """
    query { repository(owner: "acme", name: "api") { id pullRequest(number: 2) { id
      commits(first: 5) { nodes { id commit { id } } }
      reviews(first: 5) { nodes { id comments(first: 5) { nodes { id } } } }
      reviewThreads(first: 5) { nodes { id comments(first: 5) { nodes { id } } } }
      comments(first: 5) { nodes { id } }
      labels(first: 5) { nodes { id } }
      timelineItems(first: 50) { nodes { __typename ... on Node { id } } }
      author { ... on Node { id } } } } }
    """
    data = ok(api, query)

    def ids(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [v for k, v in value.items() if k == "id"] + [
                i for k, v in value.items() if k != "id" for i in ids(v)
            ]
        if isinstance(value, list):
            return [i for v in value for i in ids(v)]
        return []

    # The timeline repeats the PR's commits and reviews: the same objects, so the same ids.
    all_ids = list(dict.fromkeys(ids(data)))
    assert len(all_ids) > 20
    found = ok(api, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=all_ids)["nodes"]
    assert [n["id"] for n in found] == all_ids


def test_timeline_filters_by_item_type_and_includes_commits_without_filter(
    api: GraphQLApi,
) -> None:
    query = """
    query($types: [PullRequestTimelineItemsItemType!]) {
      repository(owner: "acme", name: "api") { pullRequest(number: 2) {
        timelineItems(first: 100, itemTypes: $types) { totalCount nodes { __typename } } } } }
    """
    everything = ok(api, query, types=None)["repository"]["pullRequest"]["timelineItems"]
    kinds = [n["__typename"] for n in everything["nodes"]]
    assert {"PullRequestCommit", "PullRequestReview", "ReviewRequestedEvent"} <= set(kinds)
    assert {"ConvertToDraftEvent", "ReadyForReviewEvent", "CrossReferencedEvent"} <= set(kinds)
    only = ok(api, query, types=["READY_FOR_REVIEW_EVENT", "CLOSED_EVENT", "LABELED_EVENT"])
    items = only["repository"]["pullRequest"]["timelineItems"]
    assert [n["__typename"] for n in items["nodes"]] == ["ReadyForReviewEvent", "ClosedEvent"]
    assert items["totalCount"] == 2


def test_organization_repositories(api: GraphQLApi) -> None:
    data = ok(
        api,
        'query { organization(login: "acme") { login repositories(first: 1,'
        " orderBy: {field: NAME, direction: ASC}) { totalCount pageInfo { hasNextPage }"
        " nodes { nameWithOwner databaseId owner { login }"
        " defaultBranchRef { name target { oid } } } } } }",
    )
    repos = data["organization"]["repositories"]
    assert repos["totalCount"] == 2 and repos["pageInfo"]["hasNextPage"] is True
    repo = repos["nodes"][0]
    assert repo["nameWithOwner"] == "acme/api" and repo["owner"] == {"login": "acme"}
    assert repo["defaultBranchRef"]["name"] == "main"
    assert len(repo["defaultBranchRef"]["target"]["oid"]) == 40


# ---------------------------------------------------------------------------------- errors


def test_unknown_field_is_githubs_undefined_field_error(api: GraphQLApi) -> None:
    body = run(api, 'query { repository(owner: "acme", name: "api") { foo } }')
    assert "data" not in body
    assert body["errors"] == [
        {
            "path": ["query", "repository", "foo"],
            "extensions": {"code": "undefinedField", "typeName": "Repository", "fieldName": "foo"},
            "locations": [{"line": 1, "column": 50}],
            "message": "Field 'foo' doesn't exist on type 'Repository'",
        }
    ]


def test_unknown_argument_and_missing_argument(api: GraphQLApi) -> None:
    body = run(
        api, 'query Q { repository(owner: "acme") { pullRequests(first: 1, x: 2) { totalCount } } }'
    )
    codes = {e["extensions"]["code"]: e for e in body["errors"]}
    assert codes["missingRequiredArguments"]["message"] == (
        "Field 'repository' is missing required arguments: name"
    )
    assert (
        codes["argumentNotAccepted"]["message"]
        == "Field 'pullRequests' doesn't accept argument 'x'"
    )
    assert codes["argumentNotAccepted"]["path"] == ["query Q", "repository", "pullRequests", "x"]


def test_missing_first_is_missing_pagination_boundaries(api: GraphQLApi) -> None:
    body = run(
        api, 'query { repository(owner: "acme", name: "api") { pullRequests { totalCount } } }'
    )
    (error,) = body["errors"]
    assert error["type"] == "MISSING_PAGINATION_BOUNDARIES"
    assert error["path"] == ["repository", "pullRequests"]
    assert error["message"] == (
        "You must provide a `first` or `last` value to properly paginate the "
        "`pullRequests` connection."
    )
    assert api.points_used == 0


def test_first_over_100_is_excessive_pagination(api: GraphQLApi) -> None:
    body = run(
        api,
        'query { repository(owner: "acme", name: "api") { pullRequests(first: 10) {'
        " nodes { commits(first: 101) { totalCount } } } } }",
    )
    (error,) = body["errors"]
    assert error["type"] == "EXCESSIVE_PAGINATION"
    assert error["path"] == ["repository", "pullRequests", "nodes", "commits"]
    assert error["message"] == (
        "Requesting 101 records on the `commits` connection exceeds the `first` limit of "
        "100 records."
    )


def test_unknown_repository_is_not_found_with_null_data(api: GraphQLApi) -> None:
    body = run(api, PRS_QUERY, owner="acme", name="nope", cursor=None)
    assert body["data"]["repository"] is None
    assert body["data"]["rateLimit"]["cost"] == 27
    (error,) = body["errors"]
    assert error["type"] == "NOT_FOUND"
    assert error["path"] == ["repository"]
    assert error["message"] == "Could not resolve to a Repository with the name 'acme/nope'."
    assert error["locations"]


def test_parse_error_and_bad_cursor_and_unknown_node(api: GraphQLApi) -> None:
    body = run(api, 'query { repository(owner: "acme", name: "api") { name }')
    assert body["errors"][0]["message"] == "Unexpected end of document"
    body = run(api, "query { viewer { login } ")
    assert "errors" in body and "data" not in body
    body = run(api, 'query { repository(owner: "acme", name: "api") ) }')
    assert body["errors"][0]["message"].startswith('Parse error on ")" (RPAREN) at [1, ')
    body = run(
        api,
        'query { repository(owner: "acme", name: "api") {'
        ' pullRequests(first: 1, after: "bogus") { totalCount } } }',
    )
    assert body["errors"][0]["type"] == "INVALID_CURSOR_ARGUMENTS"
    body = run(api, 'query { node(id: "PR_nothing") { id } }')
    assert body["data"] == {"node": None} and body["errors"][0]["type"] == "NOT_FOUND"


# ---------------------------------------------------------------------------------- rate limit


def test_rate_limit_budget_exhaustion_and_reset(world: World) -> None:
    now = [1_800_000_000.0]
    api = GraphQLApi(world, points_per_hour=60, clock=lambda: now[0])
    variables = {"owner": "acme", "name": "api", "cursor": None}
    for used in (27, 54):
        status, headers, body = api.execute({"query": PRS_QUERY, "variables": variables})
        assert status == 200 and "errors" not in body
        assert headers["x-ratelimit-used"] == str(used)
        assert headers["x-ratelimit-remaining"] == str(60 - used)
        assert headers["x-ratelimit-limit"] == "60"
        assert headers["x-ratelimit-resource"] == "graphql"
        assert headers["x-ratelimit-reset"] == str(1_800_000_000 + 3600)
    status, headers, body = api.execute({"query": PRS_QUERY, "variables": variables})
    assert status == 200
    assert body == {
        "errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]
    }
    assert headers["x-ratelimit-remaining"] == "0"
    # Exhausted means exhausted until the reset, even for a cheap query.
    status, headers, body = api.execute({"query": "query { viewer { login } }"})
    assert body["errors"][0]["type"] == "RATE_LIMITED"
    assert api.requests == 4 and api.points_used == 54
    now[0] += 3600
    status, headers, body = api.execute({"query": PRS_QUERY, "variables": variables})
    assert "errors" not in body and body["data"]["rateLimit"]["remaining"] == 60 - 27
    assert headers["x-ratelimit-reset"] == str(1_800_000_000 + 7200)


def test_dry_run_costs_nothing(api: GraphQLApi) -> None:
    data = ok(api, "query { rateLimit(dryRun: true) { cost remaining } }")
    assert data["rateLimit"] == {"cost": 1, "remaining": 5000}
    assert api.points_used == 0


# ------------------------------------------------------------------------- the generated world


def test_generated_tiny_world_pages_completely(tiny_world: World) -> None:
    api = GraphQLApi(tiny_world)
    for repo in tiny_world.repositories:
        nodes = all_pages(api, repo.full_name)
        assert sorted(n["number"] for n in nodes) == sorted(p.number for p in repo.pull_requests)
        by_number = {p.number: p for p in repo.pull_requests}
        for node in nodes:
            assert_same_shape(node, EXAMPLE_PR)
            pr = by_number[node["number"]]
            assert node["commits"]["totalCount"] == len(pr.commits)
            assert node["reviews"]["totalCount"] == len(pr.reviews)
            assert node["state"] == pr.state
            # The tiny world holds a deleted account's PRs (sandbox.reality ghosts): no author.
            assert (node["author"] is None) == (pr.author_login is None)
            if node["author"] and node["author"]["__typename"] == "Bot":
                assert not node["author"]["login"].endswith("[bot]")
            for item in node["timelineItems"]["nodes"]:
                if item["__typename"] == "MergedEvent":
                    assert item["commit"] == node["mergeCommit"]
