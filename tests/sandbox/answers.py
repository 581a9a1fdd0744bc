"""Every vendor answer a pipeline reads from a served world, collected over HTTP.

``collect(server, world)`` asks the running sandbox what the pipeline's sources ask (every report
over the whole world, every page) and returns ``{name: canonical bytes}``: JSON re-serialised with
sorted keys, the server's own URL replaced by ``{base}`` (download links and REST URLs carry the
port, which changes every run). Headers are left out: rate-limit counters and request ids depend on
the order of requests, not on the world.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from sandbox.model import World
from sandbox.server import SandboxServer

# The pull-request fields a warehouse reads (vendor-apis.md §5.2, plus files and repository
# flags), without ``rateLimit`` (its reset time is the clock's).
PR_QUERY = """
query PRs($owner: String!, $name: String!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    nameWithOwner isArchived
    pullRequests(first: 25, after: $cursor, orderBy: {field: UPDATED_AT, direction: DESC},
                 states: [OPEN, CLOSED, MERGED]) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id number title state isDraft body createdAt updatedAt publishedAt closedAt mergedAt
        author { __typename login ... on User { databaseId } ... on Bot { databaseId } }
        authorAssociation isCrossRepository
        headRepository { nameWithOwner }
        mergedBy { login }
        additions deletions changedFiles
        headRefName headRefOid baseRefName baseRefOid
        mergeCommit { oid }
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
        files(first: 100) { totalCount nodes { path additions deletions changeType } }
        reviews(first: 50) { totalCount nodes { state submittedAt author { __typename login } } }
        reviewThreads(first: 50) { totalCount nodes { isResolved path } }
        comments(first: 1) { totalCount }
        timelineItems(first: 50, itemTypes: [READY_FOR_REVIEW_EVENT, MERGED_EVENT, CLOSED_EVENT,
                      REOPENED_EVENT, REVIEW_REQUESTED_EVENT, CROSS_REFERENCED_EVENT,
                      HEAD_REF_FORCE_PUSHED_EVENT]) {
          totalCount
          nodes {
            __typename
            ... on MergedEvent { createdAt actor { login } commit { oid } }
            ... on ClosedEvent { createdAt actor { login } }
            ... on ReopenedEvent { createdAt actor { login } }
            ... on ReadyForReviewEvent { createdAt actor { login } }
            ... on HeadRefForcePushedEvent { createdAt }
            ... on ReviewRequestedEvent { createdAt requestedReviewer { __typename
                   ... on User { login } ... on Bot { login } } }
            ... on CrossReferencedEvent { createdAt source { __typename
                   ... on PullRequest { number } } }
          }
        }
      }
    }
  }
}
"""

ORG_QUERY = """
query Repos($login: String!) {
  organization(login: $login) {
    repositories(first: 100) { totalCount nodes { nameWithOwner isArchived isFork } }
  }
}
"""


class Client:
    """Authenticated calls to one running sandbox, each answer made canonical."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = server.url
        self.anthropic = {
            "x-api-key": server.anthropic_admin_key,
            "anthropic-version": "2023-06-01",
        }
        self.openai = {"Authorization": f"Bearer {server.openai_admin_key}"}
        self.github = {"Authorization": f"Bearer {server.github_token}"}
        self.cursor_auth = (server.cursor_admin_key, "")

    def get(self, path: str, headers: dict[str, str], **params: Any) -> requests.Response:
        return requests.get(self.url + path, headers=headers, params=params, timeout=60)

    def cursor(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(
            method, self.url + path, json=body, auth=self.cursor_auth, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = requests.post(
            self.url + "/graphql",
            json={"query": query, "variables": variables},
            headers=self.github,
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def canonical(self, value: Any) -> bytes:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
        return text.replace(self.url, "{base}").encode()


def _paged(fetch: Any) -> list[Any]:
    """Follow ``next_page`` tokens (Anthropic and OpenAI) until ``has_more`` is false."""
    pages, token = [], None
    while True:
        body = fetch(token)
        pages.append(body)
        if not body.get("has_more"):
            return pages
        token = body["next_page"]


def collect(server: SandboxServer, world: World) -> dict[str, bytes]:
    """Every answer named by what was asked."""
    c = Client(server)
    out: dict[str, bytes] = {}
    start = datetime.combine(world.start, datetime.min.time(), tzinfo=UTC)
    end = start + timedelta(days=world.days)
    iso = {"starting_at": start.strftime("%Y-%m-%dT%H:%M:%SZ")}
    iso["ending_at"] = end.strftime("%Y-%m-%dT%H:%M:%SZ")
    days = [world.start + timedelta(days=i) for i in range(world.days)]

    # Anthropic
    out["anthropic messages"] = c.canonical(
        _paged(
            lambda page: c.get(
                "/v1/organizations/usage_report/messages",
                c.anthropic,
                **iso,
                bucket_width="1h",
                limit=168,
                **{"group_by[]": ["api_key_id", "workspace_id", "model", "context_window"]},
                **({"page": page} if page else {}),
            ).json()
        )
    )
    out["anthropic cost_report"] = c.canonical(
        _paged(
            lambda page: c.get(
                "/v1/organizations/cost_report",
                c.anthropic,
                **iso,
                limit=31,
                **{"group_by[]": ["workspace_id", "description"]},
                **({"page": page} if page else {}),
            ).json()
        )
    )
    out["anthropic claude_code"] = c.canonical(
        [
            _paged(
                lambda page, day=day: c.get(
                    "/v1/organizations/usage_report/claude_code",
                    c.anthropic,
                    starting_at=day.isoformat(),
                    limit=1000,
                    **({"page": page} if page else {}),
                ).json()
            )
            for day in days
        ]
    )
    for name in ("users", "api_keys"):
        response = c.get(f"/v1/organizations/{name}", c.anthropic, limit=1000)
        out[f"anthropic {name}"] = c.canonical([response.status_code, response.json()])

    # OpenAI
    seconds = {"start_time": int(start.timestamp()), "end_time": int(end.timestamp())}
    out["openai completions"] = c.canonical(
        _paged(
            lambda page: c.get(
                "/v1/organization/usage/completions",
                c.openai,
                **seconds,
                bucket_width="1h",
                limit=168,
                group_by=["project_id", "user_id", "api_key_id", "model"],
                **({"page": page} if page else {}),
            ).json()
        )
    )
    out["openai costs"] = c.canonical(
        _paged(
            lambda page: c.get(
                "/v1/organization/costs",
                c.openai,
                **seconds,
                limit=180,
                group_by=["project_id", "line_item", "api_key_id"],
                **({"page": page} if page else {}),
            ).json()
        )
    )
    out["openai users"] = c.canonical(c.get("/v1/organization/users", c.openai, limit=100).json())

    # Cursor
    start_ms = int(start.timestamp() * 1000)
    end_ms = int(end.timestamp() * 1000) - 1
    out["cursor members"] = c.canonical(c.cursor("GET", "/teams/members"))
    window = {"startDate": start_ms, "endDate": min(end_ms, start_ms + 30 * 86_400_000 - 1)}
    out["cursor daily"] = c.canonical(c.cursor("POST", "/teams/daily-usage-data", window))
    out["cursor daily paged"] = c.canonical(
        c.cursor("POST", "/teams/daily-usage-data", {**window, "page": 1, "pageSize": 1000})
    )
    events, page = [], 1
    while True:
        body = c.cursor(
            "POST",
            "/teams/filtered-usage-events",
            {"startDate": start_ms, "endDate": end_ms, "page": page, "pageSize": 1000},
        )
        events.append(body)
        if not body["pagination"]["hasNextPage"]:
            break
        page += 1
    out["cursor events"] = c.canonical(events)
    out["cursor spend"] = c.canonical(c.cursor("POST", "/teams/spend", {"pageSize": 1000}))
    response = requests.get(
        c.url + "/analytics/ai-code/commits",
        params={
            "startDate": world.start.isoformat(),
            "endDate": days[-1].isoformat(),
            "pageSize": 1000,
        },
        auth=c.cursor_auth,
        timeout=60,
    )
    out["cursor ai-code commits"] = c.canonical([response.status_code, response.json()])

    # GitHub: Copilot REST and the reports they link to
    org = world.org
    reports = []
    for day in days:
        response = c.get(
            f"/orgs/{org}/copilot/metrics/reports/users-1-day", c.github, day=day.isoformat()
        )
        body = response.json() if response.content else None
        files = [
            requests.get(link, timeout=60).text for link in (body or {}).get("download_links", [])
        ]
        reports.append([response.status_code, body, files])
    out["copilot users-1-day"] = c.canonical(reports)
    response = c.get(f"/orgs/{org}/copilot/metrics/reports/users-28-day/latest", c.github)
    body = response.json()
    files = [requests.get(link, timeout=60).text for link in body.get("download_links", [])]
    out["copilot users-28-day"] = c.canonical([response.status_code, body, files])
    response = c.get(f"/orgs/{org}/copilot/billing/seats", c.github, per_page=100)
    out["copilot seats"] = c.canonical([response.status_code, response.json()])
    response = c.get(
        f"/organizations/{org}/settings/billing/ai_credit/usage",
        c.github,
        year=days[-1].year,
        month=days[-1].month,
    )
    out["copilot ai credits"] = c.canonical([response.status_code, response.json()])

    # GitHub GraphQL
    out["graphql organization"] = c.canonical(c.graphql(ORG_QUERY, login=org))
    for repo in world.repositories:
        owner, name = repo.full_name.split("/", 1)
        pages, cursor = [], None
        while True:
            body = c.graphql(PR_QUERY, owner=owner, name=name, cursor=cursor)
            pages.append(body)
            connection = ((body.get("data") or {}).get("repository") or {}).get("pullRequests")
            if not connection or not connection["pageInfo"]["hasNextPage"]:
                break
            cursor = connection["pageInfo"]["endCursor"]
        out[f"graphql {repo.full_name}"] = c.canonical(pages)
    return out
