"""GitHub GraphQL pull requests → ``raw_github``.

A run asks for the pull requests whose ``updatedAt`` falls in its window: the partition day(s)
plus an overlap before them (the watermark's overlap, ``LOOKBACK_DAYS["github"]``). Pull requests
come ``UPDATED_AT DESC``; a cheap scan (100 per request, no nested data) finds where the window
starts, then full-detail pages of ``pr_page_size`` follow until ``updatedAt`` drops below the
window. Nested connections that overflow their first page (commits, reviews, review threads,
files, labels, timeline) are completed by batched ``node(id:)`` follow-up queries — never
truncated. Child tables are replaced per pull request (merge key ``pull_request_id``), so a
force-push or a removed label leaves no stale rows. Each page's rows reach dlt as one Arrow table
per table, typed by ``SCHEMAS`` (see ``orchestration.defs.ingest.arrow``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
import pyarrow as pa

from orchestration.defs.ingest.arrow import (
    BIGINT,
    BOOL,
    TEXT,
    TIMESTAMP_UTC,
    arrow_schema,
    key_field,
    rows_to_table,
    snake_case,
)
from orchestration.defs.ingest.common import (
    SourceNotes,
    day_start,
    in_lists,
    prefetched,
    replaced_per,
)
from orchestration.defs.ingest.github import queries
from orchestration.lib.http import CredentialsError, HttpClient, Log, Pages, SourceError, require

VENDOR = "GitHub"
ENDPOINT = "graphql pullRequests"
FOLLOW_UP_BATCH = 10  # overflowing connections completed per follow-up request


@dataclass
class GitHubStats:
    """Request accounting for the requests-per-1,000-PRs benchmark."""

    scan_requests: int = 0
    page_requests: int = 0
    follow_up_requests: int = 0
    pull_requests: int = 0
    points: int = 0
    by_connection: dict[str, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return self.scan_requests + self.page_requests + self.follow_up_requests


def _parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def list_repositories(client: HttpClient, org: str) -> list[str]:
    """Every repository of ``org`` (``owner/name``), archived ones too: an archived repository's
    pull requests no longer change, but its mirror still serves the durability horizons of the
    ones merged before it was archived (a fetch of an unchanged mirror is cheap)."""
    repos: list[str] = []
    pages = client.pages("graphql organization", limit=100)  # repositories(first: 100)
    cursor: str | None = None
    while True:
        data = client.graphql(
            queries.ORG_REPOSITORIES,
            {"login": org, "cursor": cursor},
            endpoint="graphql organization",
        )
        organization = data.get("organization")
        if organization is None:
            raise SourceError(
                VENDOR,
                "graphql organization",
                f"GitHub organization {org!r} not found or not visible to the token — check "
                "TOKENWORTH_GITHUB_ORG and GITHUB_TOKEN",
            )
        conn = organization["repositories"]
        nodes = pages.received(conn["nodes"] or [])
        repos.extend(n["nameWithOwner"] for n in nodes if n)
        if not conn["pageInfo"]["hasNextPage"]:
            return repos
        cursor = pages.follow(conn["pageInfo"]["endCursor"])


class PullRequestFetcher:
    """Fetches complete pull requests (all nested pages) updated in ``[since, until)``."""

    def __init__(self, client: HttpClient, page_size: int = 50, log: Log | None = None) -> None:
        self.client = client
        self.page_size = page_size
        self.log = log
        self.stats = GitHubStats()

    def _graphql(self, query: str, variables: dict[str, Any], endpoint: str) -> Any:
        data = self.client.graphql(query, variables, endpoint=endpoint)
        rate = data.get("rateLimit") or {}
        self.stats.points += int(rate.get("cost") or 0)
        return data

    def _start_cursor(
        self, owner: str, name: str, until: datetime, cursor: str | None = None
    ) -> tuple[str | None, bool]:
        """Cursor just before the first PR with ``updatedAt < until`` (False: none exists)."""
        pages = self.client.pages("graphql scan", limit=100)  # pullRequests(first: 100)
        pages.follow(cursor)
        while True:
            self.stats.scan_requests += 1
            data = self._graphql(
                queries.SCAN, {"owner": owner, "name": name, "cursor": cursor}, "graphql scan"
            )
            repo = data.get("repository")
            if repo is None:
                raise SourceError(
                    VENDOR, "graphql repository", f"GitHub repository {owner}/{name} not found"
                )
            conn = repo["pullRequests"]
            previous = cursor
            for edge in pages.received(conn["edges"] or []):
                if _parse_ts(edge["node"]["updatedAt"]) < until:
                    return previous, True
                previous = edge["cursor"]
            if not conn["pageInfo"]["hasNextPage"]:
                return None, False
            cursor = pages.follow(conn["pageInfo"]["endCursor"])

    def pull_requests(
        self, repo: str, since: datetime, until: datetime
    ) -> Iterator[dict[str, Any]]:
        """Complete PR nodes of ``repo`` with ``since <= updatedAt < until``."""
        owner, name = repo.split("/", 1)
        pages = self.client.pages(ENDPOINT, limit=self.page_size)
        cursor: str | None = None
        probing = True
        while True:
            self.stats.page_requests += 1
            data = self._graphql(
                queries.pull_requests_query(),
                {"owner": owner, "name": name, "first": self.page_size, "cursor": cursor},
                ENDPOINT,
            )
            repository = data.get("repository")
            if repository is None:
                raise SourceError(
                    VENDOR, "graphql repository", f"GitHub repository {repo} not found"
                )
            conn = repository["pullRequests"]
            nodes = pages.received(conn["nodes"] or [])
            if probing:
                probing = False
                # The nightly window (yesterday) starts on the first page, so no scan is
                # needed; for an older window the first page is all newer PRs: skip the rest of
                # them with the cheap scan instead of paging through full detail.
                newest_first = [_parse_ts(n["updatedAt"]) for n in nodes]
                if newest_first and min(newest_first) >= until and conn["pageInfo"]["hasNextPage"]:
                    cursor, found = self._start_cursor(
                        owner, name, until, conn["pageInfo"]["endCursor"]
                    )
                    if not found:
                        return
                    continue
            batch: list[dict[str, Any]] = []
            done = False
            for node in nodes:
                updated = _parse_ts(require(node, "updatedAt", VENDOR, ENDPOINT))
                if updated >= until:
                    continue  # updated again after the scan; its own later window has it
                if updated < since:
                    done = True
                    break
                batch.append(node)
            self._complete(batch)
            # GitHub's node id of the repository: the same repository under a new name (renamed,
            # transferred) keeps it, so the warehouse keys repositories by it.
            where = {"repository_id": repository.get("id")}
            for node in batch:
                self.stats.pull_requests += 1
                yield {"repo": repo, **where, **node}
            if done or not conn["pageInfo"]["hasNextPage"]:
                return
            cursor = pages.follow(conn["pageInfo"]["endCursor"])

    def _complete(self, nodes: list[dict[str, Any]]) -> None:
        """Fetch every overflowing nested page, appending nodes in place."""
        by_id = {n["id"]: n for n in nodes}
        pending: list[tuple[str, str, str]] = []  # (pr id, connection, cursor)
        # One guard per connection of each pull request: each is a listing of its own.
        guards: dict[tuple[str, str], Pages] = {}

        def follow(pr_id: str, conn_name: str, cursor: str) -> None:
            guard = guards.get((pr_id, conn_name))
            if guard is None:
                endpoint = f"graphql follow-up ({conn_name} of pull request {pr_id})"
                limit = queries.NESTED_FIRST[conn_name]
                guard = guards[(pr_id, conn_name)] = self.client.pages(endpoint, limit=limit)
            pending.append((pr_id, conn_name, guard.follow(cursor)))

        for node in nodes:
            for conn_name in queries.NESTED_FIRST:
                conn = node.get(conn_name)
                if conn and conn["pageInfo"]["hasNextPage"]:
                    follow(node["id"], conn_name, conn["pageInfo"]["endCursor"])
        while pending:
            batch, pending = pending[:FOLLOW_UP_BATCH], pending[FOLLOW_UP_BATCH:]
            variables: dict[str, Any] = {}
            for i, (pr_id, _, cursor) in enumerate(batch):
                variables[f"id{i}"] = pr_id
                variables[f"after{i}"] = cursor
            self.stats.follow_up_requests += 1
            data = self._graphql(
                queries.follow_up([c for _, c, _ in batch]), variables, "graphql follow-up"
            )
            for i, (pr_id, conn_name, _) in enumerate(batch):
                self.stats.by_connection[conn_name] = self.stats.by_connection.get(conn_name, 0) + 1
                page = (data.get(f"p{i}") or {}).get(conn_name)
                if page is None:
                    raise SourceError(
                        VENDOR,
                        "graphql follow-up",
                        f"GitHub graphql follow-up: {conn_name} of pull request {pr_id} is missing",
                    )
                target = by_id[pr_id][conn_name]
                target["nodes"].extend(guards[(pr_id, conn_name)].received(page["nodes"] or []))
                if page["pageInfo"]["hasNextPage"]:
                    follow(pr_id, conn_name, page["pageInfo"]["endCursor"])


def _login(actor: dict[str, Any] | None) -> str | None:
    return (actor or {}).get("login")


def _total(node: dict[str, Any], conn: str) -> int | None:
    return (node.get(conn) or {}).get("totalCount")


def pull_request_row(node: dict[str, Any]) -> dict[str, Any]:
    """The ``pull_requests`` row: scalar fields, actors flattened, nested counts kept."""
    nested = {*queries.NESTED_FIRST, "comments", "author", "mergedBy", "mergeCommit",
              "headRepository"}  # fmt: skip
    author = node.get("author") or {}
    return {
        **{snake_case(k): v for k, v in node.items() if k not in nested},
        "author_login": author.get("login"),
        "author_type": author.get("__typename"),
        "author_database_id": author.get("databaseId"),
        "merged_by_login": _login(node.get("mergedBy")),
        "merge_commit_oid": (node.get("mergeCommit") or {}).get("oid"),
        # A fork's ``owner/name``; null when the fork has been deleted (or the PR predates it).
        "head_repository": (node.get("headRepository") or {}).get("nameWithOwner"),
        "comments_total_count": _total(node, "comments"),
        "commits_total_count": _total(node, "commits"),
        "reviews_total_count": _total(node, "reviews"),
        "review_threads_total_count": _total(node, "reviewThreads"),
        "files_total_count": _total(node, "files"),
        "labels_total_count": _total(node, "labels"),
        "timeline_items_total_count": _total(node, "timelineItems"),
    }


def _parent(node: dict[str, Any]) -> dict[str, Any]:
    return {"pull_request_id": node["id"], "repo": node["repo"], "pr_number": node["number"]}


def commit_rows(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for position, item in enumerate((node.get("commits") or {}).get("nodes") or []):
        commit = require(item, "commit", VENDOR, ENDPOINT + " commits")
        author = commit.get("author") or {}
        committer = commit.get("committer") or {}
        yield {
            **_parent(node),
            "position": position,
            "oid": require(commit, "oid", VENDOR, ENDPOINT + " commits"),
            "message": commit.get("message"),
            "authored_date": commit.get("authoredDate"),
            "committed_date": commit.get("committedDate"),
            "additions": commit.get("additions"),
            "deletions": commit.get("deletions"),
            "author_name": author.get("name"),
            "author_email": author.get("email"),
            "author_date": author.get("date"),
            "author_login": _login(author.get("user")),
            "committer_name": committer.get("name"),
            "committer_email": committer.get("email"),
            "committer_date": committer.get("date"),
            "committer_login": _login(committer.get("user")),
            **{k: v for k, v in commit.items() if k not in _COMMIT_KNOWN},
        }


_COMMIT_KNOWN = {"oid", "message", "authoredDate", "committedDate", "additions", "deletions",
                 "author", "committer"}  # fmt: skip


def review_rows(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for review in (node.get("reviews") or {}).get("nodes") or []:
        author = review.get("author") or {}
        yield {
            **_parent(node),
            "id": require(review, "id", VENDOR, ENDPOINT + " reviews"),
            "state": review.get("state"),
            "submitted_at": review.get("submittedAt"),
            "author_login": author.get("login"),
            "author_type": author.get("__typename"),
            "commit_oid": (review.get("commit") or {}).get("oid"),
        }


def review_thread_rows(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for thread in (node.get("reviewThreads") or {}).get("nodes") or []:
        yield {
            **_parent(node),
            "id": require(thread, "id", VENDOR, ENDPOINT + " reviewThreads"),
            "is_resolved": thread.get("isResolved"),
            "is_outdated": thread.get("isOutdated"),
            "path": thread.get("path"),
            "line": thread.get("line"),
            "comments_count": _total(thread, "comments"),
        }


def label_rows(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for label in (node.get("labels") or {}).get("nodes") or []:
        yield {**_parent(node), "name": require(label, "name", VENDOR, ENDPOINT + " labels")}


def file_rows(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in (node.get("files") or {}).get("nodes") or []:
        yield {
            **_parent(node),
            "path": require(item, "path", VENDOR, ENDPOINT + " files"),
            "additions": item.get("additions"),
            "deletions": item.get("deletions"),
            "change_type": item.get("changeType"),
        }


def timeline_rows(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for position, item in enumerate((node.get("timelineItems") or {}).get("nodes") or []):
        reviewer = item.get("requestedReviewer") or {}
        source = item.get("source") or {}
        yield {
            **_parent(node),
            "id": require(item, "id", VENDOR, ENDPOINT + " timelineItems"),
            "position": position,
            "typename": item.get("__typename"),
            "created_at": item.get("createdAt"),
            "actor_login": _login(item.get("actor")),
            "commit_oid": (item.get("commit") or {}).get("oid"),
            "requested_reviewer_type": reviewer.get("__typename"),
            "requested_reviewer_login": reviewer.get("login") or reviewer.get("slug"),
            "will_close_target": item.get("willCloseTarget"),
            "source_type": source.get("__typename"),
            "source_number": source.get("number"),
            "source_title": source.get("title"),
            "source_url": source.get("url"),
            "source_head_ref_name": source.get("headRefName"),
            "source_repo": (source.get("repository") or {}).get("nameWithOwner"),
        }


_PARENT = (key_field("pull_request_id"), ("repo", TEXT), ("pr_number", BIGINT))
# The columns and types of every table, as the warehouses hold them (they were first created
# from dict rows by dlt's normaliser: ISO timestamps became TIMESTAMP WITH TIME ZONE). A field
# added to a query but not here still loads, with an inferred type.
SCHEMAS: dict[str, pa.Schema] = {
    "pull_requests": arrow_schema(
        ("repo", TEXT), ("repository_id", TEXT), key_field("id"), ("number", BIGINT),
        ("url", TEXT), ("title", TEXT),
        ("state", TEXT), ("is_draft", BOOL), ("body", TEXT), ("created_at", TIMESTAMP_UTC),
        ("updated_at", TIMESTAMP_UTC), ("published_at", TIMESTAMP_UTC),
        ("closed_at", TIMESTAMP_UTC), ("merged_at", TIMESTAMP_UTC),
        ("author_association", TEXT), ("additions", BIGINT), ("deletions", BIGINT),
        ("changed_files", BIGINT), ("head_ref_name", TEXT), ("head_ref_oid", TEXT),
        ("base_ref_name", TEXT), ("base_ref_oid", TEXT), ("review_decision", TEXT),
        ("author_login", TEXT), ("author_type", TEXT), ("author_database_id", BIGINT),
        ("merged_by_login", TEXT), ("merge_commit_oid", TEXT),
        ("is_cross_repository", BOOL), ("head_repository", TEXT),
        *((f"{c}_total_count", BIGINT) for c in ("comments", "commits", "reviews",
                                                 "review_threads", "files", "labels",
                                                 "timeline_items")),
    ),
    "pull_request_commits": arrow_schema(
        *_PARENT, ("position", BIGINT), key_field("oid"), ("message", TEXT),
        ("authored_date", TIMESTAMP_UTC), ("committed_date", TIMESTAMP_UTC),
        ("additions", BIGINT), ("deletions", BIGINT),
        ("author_name", TEXT), ("author_email", TEXT), ("author_date", TIMESTAMP_UTC),
        ("author_login", TEXT), ("committer_name", TEXT), ("committer_email", TEXT),
        ("committer_date", TIMESTAMP_UTC), ("committer_login", TEXT),
    ),
    "pull_request_reviews": arrow_schema(
        *_PARENT, key_field("id"), ("state", TEXT), ("submitted_at", TIMESTAMP_UTC),
        ("author_login", TEXT), ("author_type", TEXT), ("commit_oid", TEXT),
    ),
    "pull_request_review_threads": arrow_schema(
        *_PARENT, key_field("id"), ("is_resolved", BOOL), ("is_outdated", BOOL),
        ("path", TEXT), ("line", BIGINT), ("comments_count", BIGINT),
    ),
    "pull_request_labels": arrow_schema(*_PARENT, key_field("name")),
    "pull_request_files": arrow_schema(
        *_PARENT, key_field("path"), ("additions", BIGINT), ("deletions", BIGINT),
        ("change_type", TEXT),
    ),
    "pull_request_timeline_events": arrow_schema(
        *_PARENT, key_field("id"), ("position", BIGINT), ("typename", TEXT),
        ("created_at", TIMESTAMP_UTC),
        ("actor_login", TEXT), ("commit_oid", TEXT), ("requested_reviewer_type", TEXT),
        ("requested_reviewer_login", TEXT), ("will_close_target", BOOL),
        ("source_type", TEXT), ("source_number", BIGINT), ("source_title", TEXT),
        ("source_url", TEXT), ("source_head_ref_name", TEXT), ("source_repo", TEXT),
    ),
}  # fmt: skip


def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """``rows`` of the table ``name`` as Arrow (dlt writes it to parquet without per-row work).

    Raises:
        SourceError: a field holds a value its column cannot take (names table and column).
    """
    try:
        return rows_to_table(rows, SCHEMAS[name])
    except TypeError as error:
        raise SourceError(VENDOR, ENDPOINT, f"GitHub {ENDPOINT}, table {name}: {error}") from None


@dlt.source(name="github")
def github_source(
    client: HttpClient,
    days: list[date],
    repos: list[str],
    org: str = "",
    page_size: int = 50,
    log: Log | None = None,
    fetcher: PullRequestFetcher | None = None,
    notes: SourceNotes | None = None,
) -> Any:
    """Pull requests of ``repos`` (or every repository of ``org``) updated during ``days``.

    Args:
        client: an authenticated GitHub client (GraphQL at ``{base_url}/graphql``).
        days: contiguous UTC days; the first is already moved back by the overlap.
        repos: ``owner/name`` list; empty means all repositories of ``org``.
        page_size: pull requests per full-detail page.
        fetcher: pass one to read its request statistics afterwards (benchmarks).
        notes: where a repository that cannot be read is reported; the others still load
            (without it, the first such repository fails the source).
    """
    since = day_start(days[0])
    until = day_start(days[-1] + timedelta(days=1))
    pr_fetcher = fetcher or PullRequestFetcher(client, page_size=page_size, log=log)

    @dlt.resource(name="pull_request_nodes", selected=False)
    def pull_request_nodes() -> Iterator[list[dict[str, Any]]]:
        """Complete pull-request nodes, a page at a time, fanned out to the tables below.

        Each table's rows of a page go to dlt as one item (its cost per item is paid once),
        and the next page downloads while dlt extracts this one (only that thread uses
        ``client``: every table of this source comes from these nodes).
        """

        def nodes() -> Iterator[dict[str, Any]]:
            for repo in repos or list_repositories(client, org):
                try:
                    yield from pr_fetcher.pull_requests(repo, since, until)
                except CredentialsError:
                    raise  # the token, not the repository: every repository would fail
                except SourceError as error:
                    if notes is None:
                        raise
                    # A deleted, renamed-away or inaccessible repository fails alone.
                    notes.item_failed(repo, f"{repo}: {error}")

        yield from prefetched(in_lists(nodes(), size=page_size))

    def child(name: str, key: tuple[str, ...], rows: Any, doc: str) -> Any:
        @dlt.transformer(
            data_from=pull_request_nodes,
            name=name,
            **replaced_per("pull_request_id", key),
        )
        def _rows(nodes: list[dict[str, Any]]) -> Iterator[pa.Table]:
            if out := [row for node in nodes for row in rows(node)]:
                yield table(name, out)

        _rows.__doc__ = doc
        return _rows

    @dlt.transformer(
        data_from=pull_request_nodes, name="pull_requests", primary_key="id",
        write_disposition="merge",
    )  # fmt: skip
    def pull_requests(nodes: list[dict[str, Any]]) -> Iterator[pa.Table]:
        """Pull requests (latest state), with the totals of every nested connection."""
        yield table("pull_requests", [pull_request_row(node) for node in nodes])

    return [
        pull_request_nodes,
        pull_requests,
        child("pull_request_commits", ("pull_request_id", "oid"), commit_rows,
              "Commits of each pull request (messages carry Co-authored-by trailers)."),
        child("pull_request_reviews", ("pull_request_id", "id"), review_rows,
              "Reviews: state, submitter, submitted time."),
        child("pull_request_review_threads", ("pull_request_id", "id"), review_thread_rows,
              "Review threads with resolution and comment counts."),
        child("pull_request_labels", ("pull_request_id", "name"), label_rows, "Labels."),
        child("pull_request_files", ("pull_request_id", "path"), file_rows,
              "Changed files with additions/deletions."),
        child("pull_request_timeline_events", ("pull_request_id", "id"), timeline_rows,
              "Timeline events: ready for review, merges, closes, force pushes, cross references."),
    ]  # fmt: skip
