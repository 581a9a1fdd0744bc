"""GraphQL documents for pull-request extraction (kept out of the source body)."""

from __future__ import annotations

# Timeline item types that matter for outcomes (ready-for-review, merges, reverts, force pushes).
TIMELINE_TYPES = (
    "READY_FOR_REVIEW_EVENT CONVERT_TO_DRAFT_EVENT MERGED_EVENT CLOSED_EVENT REOPENED_EVENT "
    "HEAD_REF_FORCE_PUSHED_EVENT REVIEW_REQUESTED_EVENT CROSS_REFERENCED_EVENT"
).split()

# Page sizes of nested connections; anything beyond is fetched by follow-up queries.
NESTED_FIRST = {
    "labels": 20,
    "commits": 100,
    "reviews": 50,
    "reviewThreads": 50,
    "files": 100,
    "timelineItems": 50,
}

_ACTOR = "{ __typename login ... on User { databaseId } ... on Bot { databaseId } }"

# Node selections of each nested connection (shared by the page query and follow-ups).
NODE_SELECTIONS = {
    "labels": "name",
    "commits": """commit {
        oid authoredDate committedDate message additions deletions
        author { name email date user { login } }
        committer { name email date user { login } }
      }""",
    "reviews": f"id state submittedAt author {_ACTOR} commit {{ oid }}",
    "reviewThreads": "id isResolved isOutdated path line comments(first: 1) { totalCount }",
    "files": "path additions deletions changeType",
    "timelineItems": """__typename
      ... on ReadyForReviewEvent { id createdAt actor { login } }
      ... on ConvertToDraftEvent { id createdAt actor { login } }
      ... on MergedEvent { id createdAt actor { login } commit { oid } }
      ... on ClosedEvent { id createdAt actor { login } }
      ... on ReopenedEvent { id createdAt actor { login } }
      ... on HeadRefForcePushedEvent { id createdAt actor { login } }
      ... on ReviewRequestedEvent { id createdAt actor { login }
            requestedReviewer { __typename ... on User { login } ... on Bot { login }
                                ... on Team { slug } } }
      ... on CrossReferencedEvent { id createdAt actor { login } willCloseTarget
            source { __typename ... on PullRequest { number title url headRefName
                                                     repository { nameWithOwner } } } }""",
}


def connection(name: str, after_var: str | None = None) -> str:
    """One nested connection with totalCount and pageInfo, optionally continuing at a cursor."""
    args = [f"first: {NESTED_FIRST[name]}"]
    if after_var:
        args.append(f"after: ${after_var}")
    if name == "timelineItems":
        args.append(f"itemTypes: [{', '.join(TIMELINE_TYPES)}]")
    return (
        f"{name}({', '.join(args)}) {{ totalCount pageInfo {{ hasNextPage endCursor }} "
        f"nodes {{ {NODE_SELECTIONS[name]} }} }}"
    )


def pull_requests_query() -> str:
    """The full-detail page query (built on call so tests can shrink ``NESTED_FIRST``)."""
    nested = " ".join(connection(name) for name in NESTED_FIRST)
    return f"""
query PullRequests($owner: String!, $name: String!, $first: Int!, $cursor: String) {{
  rateLimit {{ cost remaining resetAt }}
  repository(owner: $owner, name: $name) {{
    id nameWithOwner
    pullRequests(first: $first, after: $cursor, orderBy: {{field: UPDATED_AT, direction: DESC}},
                 states: [OPEN, CLOSED, MERGED]) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{
        id number url title state isDraft body
        createdAt updatedAt publishedAt closedAt mergedAt
        author {_ACTOR}
        authorAssociation
        mergedBy {{ login }}
        additions deletions changedFiles
        headRefName headRefOid baseRefName baseRefOid
        isCrossRepository headRepository {{ nameWithOwner }}
        mergeCommit {{ oid }}
        reviewDecision
        comments(first: 1) {{ totalCount }}
        {nested}
      }}
    }}
  }}
}}
"""


# Cheap scan (1 point per 100 PRs, no nested connections): where does the window start?
SCAN = """
query ScanPullRequests($owner: String!, $name: String!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequests(first: 100, after: $cursor, orderBy: {field: UPDATED_AT, direction: DESC},
                 states: [OPEN, CLOSED, MERGED]) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { updatedAt } }
    }
  }
}
"""

ORG_REPOSITORIES = """
query OrgRepositories($login: String!, $cursor: String) {
  organization(login: $login) {
    repositories(first: 100, after: $cursor) {
      pageInfo { hasNextPage endCursor }
      nodes { nameWithOwner isArchived }
    }
  }
}
"""


def follow_up(connections: list[str]) -> str:
    """One query completing several overflowing connections (one per alias ``pN``).

    Each alias ``pN`` reads ``node(id: $idN)`` and continues ``connection`` after ``$afterN``.
    """
    var_defs = ", ".join(f"$id{i}: ID!, $after{i}: String" for i in range(len(connections)))
    parts = [
        f"p{i}: node(id: $id{i}) {{ ... on PullRequest {{ id {connection(name, f'after{i}')} }} }}"
        for i, name in enumerate(connections)
    ]
    return f"query FollowUp({var_defs}) {{ rateLimit {{ cost remaining }} {' '.join(parts)} }}"
