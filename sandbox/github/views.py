"""Resolver objects: the world's records seen through GitHub's GraphQL types.

Each class stands for one GraphQL object type and has an attribute, property or method per field,
named exactly as the field, so graphql-core's default resolver serves it: a method receives
``(info, **arguments)``. Views are immutable and cached per world, so a page asked for twice
costs nothing the second time.
"""

from __future__ import annotations

import bisect
import re
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from sandbox.github.ids import (
    decode_id,
    decode_index_cursor,
    decode_key_cursor,
    encode_id,
    index_cursor,
    iso,
    key_cursor,
    parse_datetime,
)
from sandbox.github.index import (
    VIEWER_ID,
    VIEWER_LOGIN,
    WorldIndex,
    bot_login,
    stable_int,
)
from sandbox.model import (
    MAX_PR_COMMITS,
    MAX_PR_FILES,
    Commit,
    PullRequest,
    Repository,
    Review,
    ReviewThread,
    TimelineEvent,
)

Args = dict[str, Any]
# Where a resolver puts GitHub's top-level error ``type`` (NOT_FOUND, …); the API lifts it out of
# ``extensions`` when it formats the response, because GitHub puts it beside ``message``.
ERROR_TYPE_KEY = "_github_type"
WEB = "https://github.com"
# Timeline item types that are served from the PR's own commits, reviews and comments rather than
# from its event list, so that they always agree with the ``commits``/``reviews`` connections.
SYNTHESISED_TIMELINE_TYPES = frozenset({"PullRequestCommit", "PullRequestReview", "IssueComment"})
_CO_AUTHOR = re.compile(r"^co-authored-by:\s*(.*?)\s*<([^>]*)>\s*$", re.IGNORECASE | re.MULTILINE)
_NOREPLY = re.compile(r"^(?:\d+\+)?([^@]+)@users\.noreply\.github\.com$", re.IGNORECASE)


def github_error(error_type: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={ERROR_TYPE_KEY: error_type})


def enum_of_typename(typename: str) -> str:
    """``ReadyForReviewEvent`` → ``READY_FOR_REVIEW_EVENT`` (PullRequestTimelineItemsItemType)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", typename).upper()


# ------------------------------------------------------------------------------------ pagination


class Connection:
    """A page of a connection: GitHub's ``totalCount``/``pageInfo``/``nodes``/``edges``."""

    def __init__(
        self,
        nodes: list[object],
        cursors: list[str],
        total: int,
        has_next: bool,
        has_previous: bool,
        filtered: int | None = None,
    ) -> None:
        self.nodes = nodes
        self._cursors = cursors
        self.totalCount = total
        self.pageInfo = {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        }
        # Timeline connections only.
        self.filteredCount = total if filtered is None else filtered
        self.pageCount = len(nodes)
        self.totalDiskUsage = 0
        self.updatedAt: str | None = None

    @property
    def edges(self) -> list[dict[str, object]]:
        return [{"cursor": c, "node": n} for c, n in zip(self._cursors, self.nodes, strict=True)]


def _bad_cursor(cursor: str) -> GraphQLError:
    message = f"`{cursor}` does not appear to be a valid cursor."
    return github_error("INVALID_CURSOR_ARGUMENTS", message)


def _slice(lo: int, hi: int, args: Args) -> tuple[int, int]:
    """Apply ``skip``, ``first`` and ``last`` to the cursor window ``[lo, hi)``."""
    lo = min(hi, lo + (args.get("skip") or 0))
    first, last = args.get("first"), args.get("last")
    if first is not None:
        hi = min(hi, lo + first)
    if last is not None:
        lo = max(lo, hi - last)
    return lo, hi


def index_page(
    items: Sequence[Any], args: Args, make: Callable[[int, Any], object] | None = None
) -> Connection:
    """A page of a small nested list whose cursors are positions (commits, reviews, …)."""
    n = len(items)
    lo, hi = 0, n
    if args.get("after") is not None:
        position = decode_index_cursor(args["after"])
        if position is None:
            raise _bad_cursor(args["after"])
        lo = min(n, position + 1)
    if args.get("before") is not None:
        position = decode_index_cursor(args["before"])
        if position is None:
            raise _bad_cursor(args["before"])
        hi = max(lo, min(n, position))
    window = hi - lo
    lo, hi = _slice(lo, hi, args)
    nodes = [make(i, items[i]) if make else items[i] for i in range(lo, hi)]
    cursors = [index_cursor(i) for i in range(lo, hi)]
    return Connection(nodes, cursors, n, hi < n, lo > 0, filtered=window)


def connection_args(kwargs: Args) -> Args:
    return {k: kwargs.get(k) for k in ("first", "last", "after", "before", "skip")}


# ----------------------------------------------------------------------------------- the context


class Ctx:
    """The world's views, cached; what every view uses to reach the others."""

    def __init__(self, ix: WorldIndex, timeline_types: frozenset[str]) -> None:
        self.ix = ix
        # Object types of the PullRequestTimelineItems union the schema serves from events.
        self.event_types = timeline_types - SYNTHESISED_TIMELINE_TYPES
        self.repo_by_dbid = {r.database_id: r for r in ix.world.repositories}
        self._repos: dict[str, RepositoryView] = {}
        self._prs: dict[tuple[str, int], PullRequestView] = {}
        self._actors: dict[tuple[str, str | None], object] = {}
        self.org = OrganizationView(self)
        self.viewer = UserView(self, VIEWER_LOGIN, None)

    def repo(self, repo: Repository) -> RepositoryView:
        view = self._repos.get(repo.full_name)
        if view is None:
            view = self._repos[repo.full_name] = RepositoryView(self, repo)
        return view

    def pr(self, pr: PullRequest) -> PullRequestView:
        view = self._prs.get((pr.repo, pr.number))
        if view is None:
            if len(self._prs) >= 4096:
                # A full crawl of the large world would otherwise keep every PR's views alive;
                # recent pages stay warm, which is what repeated and follow-up queries hit.
                self._prs.clear()
            repo = self.ix.repos[pr.repo.lower()]
            view = self._prs[(pr.repo, pr.number)] = PullRequestView(self, self.repo(repo), pr)
        return view

    def actor(self, login: str | None, type_hint: str | None = None) -> object | None:
        """The Actor for a login: a Bot, the Organization, or a User (GitHub resolves any login
        it has seen; logins outside the roster are external contributors)."""
        if not login:
            return None
        key = (login, type_hint)
        view = self._actors.get(key)
        if view is None:
            if self.ix.is_bot(login, type_hint):
                view = BotView(self, bot_login(login))
            elif login.lower() == self.ix.org.lower():
                view = self.org
            elif login == VIEWER_LOGIN:
                view = self.viewer
            else:
                person = self.ix.person_by_login(login)
                view = UserView(self, person.github_login if person else login, person)
            self._actors[key] = view
        return view

    def user(self, login: str | None) -> UserView | None:
        """A ``User`` field's value: bots and organizations are not Users, so null for them."""
        view = self.actor(login)
        return view if isinstance(view, UserView) else None

    def commit(self, repo: Repository, commit: Commit | None) -> CommitView | None:
        return None if commit is None else CommitView(self, self.repo(repo), commit)

    def pr_by_ref(self, ref: object, default_repo: str) -> PullRequestView | None:
        """A PR named as ``(repo, number)``, ``"owner/name#n"`` or a bare number."""
        if isinstance(ref, (tuple, list)) and len(ref) == 2:
            pr = self.ix.prs.get((str(ref[0]), int(ref[1])))
        elif isinstance(ref, str) and "#" in ref:
            repo, _, number = ref.rpartition("#")
            pr = self.ix.prs.get((repo, int(number))) if number.isdigit() else None
        elif isinstance(ref, int):
            pr = self.ix.prs.get((default_repo, ref))
        else:
            pr = None
        return self.pr(pr) if pr else None

    def node(self, node_id: str) -> object | None:
        """``node(id:)``: any object this API hands out an id for."""
        repo = self.ix.repo_by_node_id.get(node_id)
        if repo is not None:
            return self.repo(repo) if self.ix.exists(repo) else None
        pr = self.ix.pr_by_node_id.get(node_id)
        if pr is not None:
            return self.pr(pr)
        decoded = decode_id(node_id)
        if decoded is None:
            return None
        kind, parts = decoded
        try:
            return self._node(kind, parts)
        except (ValueError, IndexError, KeyError):
            return None

    def _node(self, kind: str, parts: list[str]) -> object | None:
        if kind in ("User", "Bot"):
            login = ":".join(parts)
            view = self.actor(login, kind)
            return view if getattr(view, "typename", None) == kind else None
        if kind == "Organization":
            return self.org if ":".join(parts) == self.ix.org else None
        repo = self.repo_by_dbid[int(parts[0])]
        if kind == "Commit":
            commit = self.ix.commits(repo).by_oid.get(parts[1])
            return self.commit(repo, commit)
        if kind in ("Label", "Ref"):
            name = ":".join(parts[1:])
            if kind == "Ref":
                return RefView(self, self.repo(repo), name)
            known = any(name in pr.labels for pr in repo.pull_requests)
            return LabelView(self, self.repo(repo), name) if known else None
        pr = self.pr(self.ix.prs[(repo.full_name, int(parts[1]))])
        if kind == "PullRequestCommit":
            return pr.commit_views[int(parts[2])]
        if kind == "PullRequestReview":
            return pr.review_views[int(parts[2])]
        if kind == "PullRequestReviewThread":
            return pr.thread_views[int(parts[2])]
        if kind == "IssueComment":
            return pr.issue_comment_views[int(parts[2])]
        if kind == "PullRequestReviewComment":
            owner, i, j = parts[2], int(parts[3]), int(parts[4])
            views = pr.thread_views if owner == "t" else pr.review_views
            return views[i].comment_views[j]
        if kind == "Event":
            i = int(parts[2])
            events = (v for v in pr.timeline_views if isinstance(v, EventView) and v.i == i)
            return next(events, None)
        return None


def _avatar(login: str, size: int | None) -> str:
    suffix = f"&s={size}" if size else ""
    return f"https://avatars.githubusercontent.com/{login}?v=4{suffix}"


# ---------------------------------------------------------------------------------------- actors


class UserView:
    typename = "User"

    def __init__(self, ctx: Ctx, login: str, person: Any) -> None:
        self.ctx = ctx
        self.login = login
        self.person = person
        self.id = encode_id("User", login)
        self.url = f"{WEB}/{login}"
        self.resourcePath = f"/{login}"
        self.company = None

    def avatarUrl(self, info: GraphQLResolveInfo, size: int | None = None) -> str:
        return _avatar(self.login, size)

    @property
    def databaseId(self) -> int:
        if self.login == VIEWER_LOGIN:
            return VIEWER_ID
        return self.person.github_id if self.person else stable_int(self.login)

    @property
    def name(self) -> str | None:
        return self.person.name if self.person else None

    @property
    def email(self) -> str:
        # GitHub serves only a public profile email; the roster's people keep theirs private.
        return ""

    @property
    def createdAt(self) -> str | None:
        joined = self.person.joined_on if self.person else None
        return f"{joined.isoformat()}T00:00:00Z" if joined else "2015-01-01T00:00:00Z"

    def repositories(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        return index_page([], connection_args(kwargs))

    def repository(self, info: GraphQLResolveInfo, name: str, **kwargs: Any) -> object | None:
        repo = self.ctx.ix.repo_by_name(self.login, name)
        return self.ctx.repo(repo) if repo else None


class BotView:
    typename = "Bot"

    def __init__(self, ctx: Ctx, login: str) -> None:
        self.login = login
        self.id = encode_id("Bot", login)
        self.databaseId = ctx.ix.bot_ids.get(login) or stable_int(login)
        self.url = f"{WEB}/apps/{login}"
        self.resourcePath = f"/apps/{login}"
        self.createdAt = "2020-01-01T00:00:00Z"
        self.updatedAt = "2020-01-01T00:00:00Z"

    def avatarUrl(self, info: GraphQLResolveInfo, size: int | None = None) -> str:
        return _avatar(f"in/{self.databaseId}", size)


class OrganizationView:
    typename = "Organization"

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.login = ctx.ix.org
        self.id = encode_id("Organization", self.login)
        self.databaseId = stable_int(f"org:{self.login}")
        self.name = self.login
        self.description = None
        self.url = f"{WEB}/{self.login}"
        self.resourcePath = f"/{self.login}"
        created = min((r.created_at for r in ctx.ix.world.repositories), default=None)
        self.createdAt = iso(created) or "2015-01-01T00:00:00Z"

    def avatarUrl(self, info: GraphQLResolveInfo, size: int | None = None) -> str:
        return _avatar(self.login, size)

    def repositories(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        ix = self.ctx.ix
        repos = [
            r
            for r in ix.world.repositories
            if ix.exists(r) and ix.name_of(r).split("/", 1)[0] == self.login
        ]
        order = kwargs.get("orderBy") or {"field": "CREATED_AT", "direction": "ASC"}
        key: Callable[[Repository], Any]
        if order["field"] == "NAME":
            key = lambda r: (ix.name_of(r).split("/", 1)[1].lower(), r.database_id)  # noqa: E731
        elif order["field"] in ("PUSHED_AT", "UPDATED_AT"):
            key = lambda r: (_repo_updated(r), r.database_id)  # noqa: E731
        else:  # CREATED_AT, STARGAZERS (no stars in the sandbox: creation order)
            key = lambda r: (r.created_at, r.database_id)  # noqa: E731
        repos.sort(key=key, reverse=order["direction"] == "DESC")
        return index_page(repos, connection_args(kwargs), lambda _, r: self.ctx.repo(r))

    def repository(self, info: GraphQLResolveInfo, name: str, **kwargs: Any) -> object | None:
        repo = self.ctx.ix.repo_by_name(self.login, name)
        return self.ctx.repo(repo) if repo else None


def _repo_updated(repo: Repository) -> datetime:
    return max((pr.updated_at for pr in repo.pull_requests), default=repo.created_at)


class TeamView:
    typename = "Team"

    def __init__(self, ctx: Ctx, slug: str) -> None:
        self.slug = slug
        self.name = slug
        self.combinedSlug = f"{ctx.ix.org}/{slug}"
        self.id = encode_id("Team", ctx.ix.org, slug)
        self.url = f"{WEB}/orgs/{ctx.ix.org}/teams/{slug}"
        self.resourcePath = f"/orgs/{ctx.ix.org}/teams/{slug}"


# ------------------------------------------------------------------------------------ repository


class RepositoryView:
    typename = "Repository"

    def __init__(self, ctx: Ctx, repo: Repository) -> None:
        self.ctx = ctx
        self.repo = repo
        self.id = repo.node_id
        self.databaseId = repo.database_id
        self.createdAt = iso(repo.created_at)
        self.description = None
        self.isFork = False
        self.isPrivate = True
        self.visibility = "PRIVATE"

    # Names and archiving as of the API's day (a repository can be renamed or transferred).

    @property
    def nameWithOwner(self) -> str:
        return self.ctx.ix.name_of(self.repo)

    @property
    def name(self) -> str:
        return self.nameWithOwner.split("/", 1)[1]

    @property
    def url(self) -> str:
        return f"{WEB}/{self.nameWithOwner}"

    @property
    def resourcePath(self) -> str:
        return f"/{self.nameWithOwner}"

    @property
    def isArchived(self) -> bool:
        return self.repo.archived_on(self.ctx.ix.as_of)

    @property
    def owner(self) -> object | None:
        return self.ctx.actor(self.nameWithOwner.split("/", 1)[0])

    @property
    def updatedAt(self) -> str | None:
        return iso(_repo_updated(self.repo))

    @property
    def pushedAt(self) -> str | None:
        last = self.repo.history[-1].committed_at if self.repo.history else None
        return iso(last)

    @property
    def defaultBranchRef(self) -> RefView | None:
        # An empty repository has no branch at all.
        return RefView(self.ctx, self, self.repo.default_branch) if self.repo.history else None

    def object(
        self, info: GraphQLResolveInfo, expression: str | None = None, oid: str | None = None
    ) -> CommitView | None:
        """A commit by oid, by branch name (the default branch or an open PR's head), or by
        ``<branch>~N``; enough for clients that pin a ref before reading history."""
        ix = self.ctx.ix
        wanted = oid or expression
        if not wanted:
            return None
        commits = ix.commits(self.repo)
        if wanted in commits.by_oid:
            return self.ctx.commit(self.repo, commits.by_oid[wanted])
        name, _, back = wanted.partition("~")
        if name in (self.repo.default_branch, "HEAD") and self.repo.history:
            steps = int(back) if back.isdigit() else 0
            position = len(self.repo.history) - 1 - steps
            if position < 0:
                return None
            return self.ctx.commit(self.repo, self.repo.history[position])
        for pr in self.repo.pull_requests:
            if pr.head_ref == name and pr.state == "OPEN" and pr.commits:
                return self.ctx.commit(self.repo, pr.commits[-1])
        return None

    def pullRequest(self, info: GraphQLResolveInfo, number: int) -> PullRequestView:
        pr = self.ctx.ix.prs.get((self.repo.full_name, number))
        if pr is None:
            raise github_error(
                "NOT_FOUND", f"Could not resolve to a PullRequest with the number of {number}."
            )
        return self.ctx.pr(pr)

    def pullRequests(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        ix = self.ctx.ix
        order = kwargs.get("orderBy") or {"field": "CREATED_AT", "direction": "ASC"}
        order_field, direction = order["field"], order["direction"]
        states = kwargs.get("states")
        labels = kwargs.get("labels")
        ordering = ix.pull_requests(
            self.repo,
            order_field,
            direction,
            frozenset(states) if states is not None else None,
            frozenset(labels) if labels is not None else None,
            kwargs.get("baseRefName"),
            kwargs.get("headRefName"),
        )
        keys = ordering.keys
        n = len(keys)
        lo, hi = 0, n
        # Cursors carry the sort key, so position = bisection in the (possibly filtered) list.
        if kwargs.get("after") is not None:
            lo = min(n, _bisect_cursor(keys, kwargs["after"], direction, right=True))
        if kwargs.get("before") is not None:
            hi = max(lo, _bisect_cursor(keys, kwargs["before"], direction, right=False))
        lo, hi = _slice(lo, hi, kwargs)
        prs = ordering.prs[lo:hi]
        nodes: list[object] = [self.ctx.pr(pr) for pr in prs]
        cursors = [key_cursor([ix.sort_value(pr, order_field), pr.number]) for pr in prs]
        return Connection(nodes, cursors, n, hi < n, lo > 0)


def _bisect_cursor(keys: list[tuple[float, int]], cursor: str, direction: str, right: bool) -> int:
    decoded = decode_key_cursor(cursor)
    if (
        decoded is None
        or len(decoded) != 2
        or not isinstance(decoded[0], (int, float))
        or not isinstance(decoded[1], int)
    ):
        raise _bad_cursor(cursor)
    key = WorldIndex.sort_key(float(decoded[0]), decoded[1], direction)
    return bisect.bisect_right(keys, key) if right else bisect.bisect_left(keys, key)


class ForkView:
    """Another owner's fork that a PR's head branch lives in: a Repository with none of this
    world's history (its branches are not served)."""

    typename = "Repository"

    def __init__(self, ctx: Ctx, full_name: str, parent: RepositoryView) -> None:
        self.ctx = ctx
        self.nameWithOwner = full_name
        self.name = full_name.split("/", 1)[1]
        self.id = encode_id("Fork", full_name)
        self.databaseId = stable_int("fork:" + full_name)
        self.url = f"{WEB}/{full_name}"
        self.resourcePath = f"/{full_name}"
        self.createdAt = parent.createdAt
        self.updatedAt = parent.createdAt
        self.pushedAt = parent.createdAt
        self.description = None
        self.isArchived = False
        self.isFork = True
        self.isPrivate = True
        self.visibility = "PRIVATE"
        self.defaultBranchRef = None

    @property
    def owner(self) -> object | None:
        return self.ctx.actor(self.nameWithOwner.split("/", 1)[0])

    def object(self, info: GraphQLResolveInfo, **kwargs: Any) -> None:
        return None

    def pullRequest(self, info: GraphQLResolveInfo, number: int) -> None:
        raise github_error(
            "NOT_FOUND", f"Could not resolve to a PullRequest with the number of {number}."
        )

    def pullRequests(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        return index_page([], connection_args(kwargs))


class RefView:
    typename = "Ref"

    def __init__(self, ctx: Ctx, repo: RepositoryView, name: str) -> None:
        self.ctx = ctx
        self.repository = repo
        self.name = name
        self.prefix = "refs/heads/"
        self.id = encode_id("Ref", repo.databaseId, name)

    @property
    def target(self) -> CommitView | None:
        repo = self.repository.repo
        if self.name == repo.default_branch:
            return self.ctx.commit(repo, repo.history[-1]) if repo.history else None
        for pr in repo.pull_requests:
            if pr.head_ref == self.name and pr.commits:
                return self.ctx.commit(repo, pr.commits[-1])
        return None


class LabelView:
    typename = "Label"

    def __init__(self, ctx: Ctx, repo: RepositoryView, name: str) -> None:
        self.name = name
        self.id = encode_id("Label", repo.databaseId, name)
        self.color = f"{zlib.crc32(name.encode()) & 0xFFFFFF:06x}"
        self.description = None
        self.isDefault = name in ("bug", "documentation", "enhancement")
        self.createdAt = repo.createdAt
        self.updatedAt = repo.createdAt
        self.url = f"{repo.url}/labels/{name}"
        self.resourcePath = f"{repo.resourcePath}/labels/{name}"


# ----------------------------------------------------------------------------------- pull request


class PullRequestView:
    typename = "PullRequest"

    def __init__(self, ctx: Ctx, repo: RepositoryView, pr: PullRequest) -> None:
        self.ctx = ctx
        self.repository = repo
        self.baseRepository = repo
        self.pr = pr
        self.id = pr.node_id
        self.number = pr.number
        self.title = pr.title
        self.body = pr.body
        self.bodyText = pr.body
        self.state = pr.state
        self.isDraft = pr.is_draft
        self.closed = pr.state != "OPEN"
        self.merged = pr.state == "MERGED"
        self.locked = False
        self.isCrossRepository = pr.fork is not None or pr.fork_deleted
        self.createdAt = iso(pr.created_at)
        self.updatedAt = iso(pr.updated_at)
        self.publishedAt = iso(pr.published_at)
        self.closedAt = iso(pr.closed_at)
        self.mergedAt = iso(pr.merged_at)
        self.lastEditedAt = None
        self.additions = pr.additions
        self.deletions = pr.deletions
        self.changedFiles = len(pr.files)
        self.headRefName = pr.head_ref
        self.baseRefName = pr.base_ref
        self.url = f"{repo.url}/pull/{pr.number}"
        self.permalink = self.url
        self.resourcePath = f"{repo.resourcePath}/pull/{pr.number}"
        self.revertUrl = f"{self.url}/revert"
        self.revertResourcePath = f"{self.resourcePath}/revert"
        self.databaseId = ctx.ix.pr_database_id[(pr.repo, pr.number)]
        self.fullDatabaseId = str(self.databaseId)
        self.mergeable = "MERGEABLE" if pr.state == "OPEN" else "UNKNOWN"
        self.totalCommentsCount = pr.comments + sum(t.comments for t in pr.review_threads)

    # -- scalars that need lookups

    @property
    def author(self) -> object | None:
        return self.ctx.actor(self.pr.author_login, self.pr.author_type)

    @property
    def authorAssociation(self) -> str:
        return _association(self.ctx, self.pr.author_login, self.pr.author_type)

    @property
    def mergedBy(self) -> object | None:
        return self.ctx.actor(self.pr.merged_by)

    @property
    def headRepository(self) -> object | None:
        """The repository the head branch lives in: this one, a fork, or none (deleted fork)."""
        if self.pr.fork_deleted:
            return None
        if self.pr.fork is not None:
            return ForkView(self.ctx, self.pr.fork, self.repository)
        return self.repository

    @property
    def headRepositoryOwner(self) -> object | None:
        if self.pr.fork_deleted:
            return None
        if self.pr.fork is not None:
            return self.ctx.actor(self.pr.fork.split("/", 1)[0])
        return self.repository.owner

    @property
    def mergeCommit(self) -> CommitView | None:
        return self.ctx.commit(self.repository.repo, self.pr.merge_commit)

    @cached_property
    def baseRefOid(self) -> str:
        repo = self.repository.repo
        base = self.ctx.ix.base_commit(repo, self.pr)
        return self.ctx.ix.oid(repo, base) if base else "0" * 40

    @cached_property
    def headRefOid(self) -> str:
        if not self.pr.commits:
            return self.baseRefOid
        return self.ctx.ix.oid(self.repository.repo, self.pr.commits[-1])

    @property
    def baseRef(self) -> RefView:
        return RefView(self.ctx, self.repository, self.pr.base_ref)

    @property
    def headRef(self) -> RefView | None:
        # GitHub deletes head branches on merge/close in most orgs; the ref is then null. A
        # fork's branch is not in this repository.
        if self.pr.state != "OPEN" or self.isCrossRepository:
            return None
        return RefView(self.ctx, self.repository, self.pr.head_ref)

    @property
    def reviewDecision(self) -> str:
        latest: dict[str, str] = {}
        for review in sorted(self.pr.reviews, key=lambda r: r.submitted_at):
            if review.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
                latest[review.author_login] = review.state
        states = set(latest.values())
        if "CHANGES_REQUESTED" in states:
            return "CHANGES_REQUESTED"
        if "APPROVED" in states:
            return "APPROVED"
        return "REVIEW_REQUIRED"

    # -- nested lists (views built once per PR)

    @cached_property
    def commit_views(self) -> list[PullRequestCommitView]:
        return [PullRequestCommitView(self, i, c) for i, c in enumerate(self.pr.commits)]

    @cached_property
    def review_views(self) -> list[ReviewView]:
        return [ReviewView(self, i, r) for i, r in enumerate(self.pr.reviews)]

    @cached_property
    def thread_views(self) -> list[ReviewThreadView]:
        return [ReviewThreadView(self, i, t) for i, t in enumerate(self.pr.review_threads)]

    @cached_property
    def participants(self) -> list[tuple[str, str]]:
        """Reviewers first, then the author: who the synthesised comments are from."""
        seen: dict[str, str] = {}
        for review in self.pr.reviews:
            seen.setdefault(review.author_login, review.author_type)
        seen.setdefault(self.pr.author_login, self.pr.author_type)
        return list(seen.items())

    @cached_property
    def issue_comment_views(self) -> list[IssueCommentView]:
        # The world keeps only a count; comments are spread evenly over the PR's open life.
        n = self.pr.comments
        span = self.pr.updated_at - self.pr.created_at
        views = []
        for i in range(n):
            at = self.pr.created_at + span * (i + 1) / (n + 1)
            login, kind = self.participants[i % len(self.participants)]
            views.append(IssueCommentView(self, i, at, login, kind))
        return views

    @cached_property
    def timeline_views(self) -> list[object]:
        """Timeline items in time order: the world's events, plus commits, reviews and
        comments, as GitHub's timeline interleaves them."""
        entries: list[tuple[datetime, int, object]] = []
        for i, event in enumerate(self.pr.timeline):
            if event.typename in self.ctx.event_types:
                entries.append((event.created_at, len(entries), EventView(self, i, event)))
        for view in self.commit_views:
            entries.append((view.c.committed_at, len(entries), view))
        for review in self.review_views:
            entries.append((review.review.submitted_at, len(entries), review))
        for comment in self.issue_comment_views:
            entries.append((comment.at, len(entries), comment))
        entries.sort(key=lambda e: (e[0], e[1]))
        return [view for _, _, view in entries]

    # -- connections

    def commits(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        # GitHub serves a PR's first 250 commits; totalCount still counts them all.
        page = index_page(self.commit_views[:MAX_PR_COMMITS], connection_args(kwargs))
        page.totalCount = len(self.commit_views)
        return page

    def reviews(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection | None:
        views = self.review_views
        if kwargs.get("author") is not None:
            views = [v for v in views if v.review.author_login == kwargs["author"]]
        if kwargs.get("states") is not None:
            views = [v for v in views if v.review.state in kwargs["states"]]
        return index_page(views, connection_args(kwargs))

    def reviewThreads(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        return index_page(self.thread_views, connection_args(kwargs))

    def comments(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        return index_page(self.issue_comment_views, connection_args(kwargs))

    def labels(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection | None:
        names = list(self.pr.labels)
        order = kwargs.get("orderBy") or {}
        if order.get("field") == "NAME":
            names.sort(key=str.lower)
        if order.get("direction") == "DESC":
            names.reverse()
        return index_page(
            names, connection_args(kwargs), lambda _, n: LabelView(self.ctx, self.repository, n)
        )

    def files(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection | None:
        # GitHub serves a PR's first 3,000 files; totalCount still counts them all.
        page = index_page(
            self.pr.files[:MAX_PR_FILES],
            connection_args(kwargs),
            lambda _, f: {
                "path": f.path,
                "additions": f.additions,
                "deletions": f.deletions,
                "changeType": f.change_type,
                "viewerViewedState": "UNVIEWED",
            },
        )
        page.totalCount = len(self.pr.files)
        return page

    def timelineItems(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        items = self.timeline_views
        item_types = kwargs.get("itemTypes")
        if item_types is not None:
            wanted = set(item_types)
            items = [v for v in items if enum_of_typename(v.typename) in wanted]  # type: ignore[attr-defined]
        since = kwargs.get("since")
        if since is not None:
            moment = parse_datetime(since)
            if moment is None:
                raise GraphQLError(f"Argument 'since' has an invalid DateTime value: {since!r}")
            items = [v for v in items if v.at >= moment]  # type: ignore[attr-defined]
        page = index_page(items, connection_args(kwargs))
        page.updatedAt = self.updatedAt
        return page


def _association(ctx: Ctx, login: str | None, type_hint: str | None) -> str:
    if not login:
        return "NONE"
    if login.lower() == ctx.ix.org.lower():
        return "OWNER"
    if not ctx.ix.is_bot(login, type_hint) and ctx.ix.person_by_login(login) is not None:
        return "MEMBER"
    return "CONTRIBUTOR"


# ---------------------------------------------------------------------------------------- commits


class GitActorView:
    def __init__(
        self, ctx: Ctx, name: str, email: str, at: datetime | None, login: str | None
    ) -> None:
        self.ctx = ctx
        self.name = name
        self.email = email
        self._at = at
        self._login = login

    @property
    def date(self) -> str | None:
        # GitTimestamp keeps the offset git recorded; the sandbox's git writer records +0000.
        return iso(self._at)

    @property
    def user(self) -> UserView | None:
        return self.ctx.user(self._login)

    def avatarUrl(self, info: GraphQLResolveInfo, size: int | None = None) -> str:
        return _avatar(self._login or "ghost", size)


class CommitView:
    typename = "Commit"

    def __init__(self, ctx: Ctx, repo: RepositoryView, commit: Commit) -> None:
        self.ctx = ctx
        self.repository = repo
        self.c = commit
        self.oid = ctx.ix.oid(repo.repo, commit)
        self.abbreviatedOid = self.oid[:7]
        self.id = encode_id("Commit", repo.databaseId, self.oid)
        self.url = f"{repo.url}/commit/{self.oid}"
        self.commitUrl = self.url
        self.resourcePath = f"{repo.resourcePath}/commit/{self.oid}"
        self.commitResourcePath = self.resourcePath
        self.message = commit.message
        self.additions = commit.additions
        self.deletions = commit.deletions
        self.authoredDate = iso(commit.authored_at)
        self.committedDate = iso(commit.committed_at)
        self.committedViaWeb = commit.committer_email == "noreply@github.com"
        self.authoredByCommitter = (
            commit.author_name == commit.committer_name
            and commit.author_email == commit.committer_email
        )
        self.changedFilesIfAvailable = len(commit.files)

    @property
    def messageHeadline(self) -> str:
        return self.c.message.split("\n", 1)[0]

    @property
    def messageBody(self) -> str:
        _, _, rest = self.c.message.partition("\n")
        return rest.strip("\n")

    @property
    def author(self) -> GitActorView:
        c = self.c
        return GitActorView(self.ctx, c.author_name, c.author_email, c.authored_at, c.author_login)

    @property
    def committer(self) -> GitActorView:
        c = self.c
        return GitActorView(
            self.ctx, c.committer_name, c.committer_email, c.committed_at, c.committer_login
        )

    def authors(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        """The git author, then each ``Co-authored-by:`` trailer (GitHub's documented rule)."""
        actors = [self.author]
        for name, email in _CO_AUTHOR.findall(self.c.message):
            person = self.ctx.ix.person_by_email(email)
            login = person.github_login if person else None
            if login is None and (noreply := _NOREPLY.match(email)):
                login = noreply.group(1)
            actors.append(GitActorView(self.ctx, name, email, self.c.authored_at, login))
        return index_page(actors, connection_args(kwargs))

    def parents(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        parent = self.ctx.ix.commits(self.repository.repo).parent_of.get(id(self.c))
        parents = [] if parent is None else [parent]
        return index_page(
            parents,
            connection_args(kwargs),
            lambda _, p: CommitView(self.ctx, self.repository, p),
        )

    def associatedPullRequests(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        prs = self.ctx.ix.commits(self.repository.repo).prs_by_oid.get(self.oid, [])
        order = kwargs.get("orderBy") or {"field": "CREATED_AT", "direction": "ASC"}
        attr = "updated_at" if order["field"] == "UPDATED_AT" else "created_at"
        ordered = sorted(prs, key=lambda p: (getattr(p, attr), p.number))
        if order["direction"] == "DESC":
            ordered.reverse()
        return index_page(ordered, connection_args(kwargs), lambda _, p: self.ctx.pr(p))


class PullRequestCommitView:
    typename = "PullRequestCommit"

    def __init__(self, pr: PullRequestView, i: int, commit: Commit) -> None:
        self.pullRequest = pr
        self.c = commit
        self.at = commit.committed_at
        self.id = encode_id("PullRequestCommit", pr.repository.databaseId, pr.number, i)

    @cached_property
    def commit(self) -> CommitView:
        pr = self.pullRequest
        return CommitView(pr.ctx, pr.repository, self.c)

    @property
    def url(self) -> str:
        return f"{self.pullRequest.url}/commits/{self.commit.oid}"

    @property
    def resourcePath(self) -> str:
        return f"{self.pullRequest.resourcePath}/commits/{self.commit.oid}"


# ------------------------------------------------------------------------------ reviews, comments


class ReviewCommentView:
    typename = "PullRequestReviewComment"

    def __init__(
        self,
        pr: PullRequestView,
        id_parts: tuple[str, int, int],
        at: datetime,
        login: str,
        kind: str,
        path: str,
        review: ReviewView | None,
    ) -> None:
        self.ctx = pr.ctx
        self.pullRequest = pr
        self.repository = pr.repository
        self.pullRequestReview = review
        self._login, self._kind = login, kind
        self.id = encode_id(
            "PullRequestReviewComment", pr.repository.databaseId, pr.number, *id_parts
        )
        self.databaseId = stable_int(self.id)
        self.path = path
        self.body = ""
        self.bodyText = ""
        self.createdAt = self.publishedAt = self.updatedAt = iso(at)
        self.url = f"{pr.url}#discussion_r{self.databaseId}"
        self.resourcePath = f"{pr.resourcePath}#discussion_r{self.databaseId}"

    @property
    def author(self) -> object | None:
        return self.ctx.actor(self._login, self._kind)

    @property
    def authorAssociation(self) -> str:
        return _association(self.ctx, self._login, self._kind)


class ReviewView:
    typename = "PullRequestReview"

    def __init__(self, pr: PullRequestView, i: int, review: Review) -> None:
        self.ctx = pr.ctx
        self.pullRequest = pr
        self.repository = pr.repository
        self.review = review
        self.i = i
        self.at = review.submitted_at
        self.id = encode_id("PullRequestReview", pr.repository.databaseId, pr.number, i)
        self.databaseId = stable_int(self.id)
        self.state = review.state
        self.body = ""
        self.bodyText = ""
        self.submittedAt = self.createdAt = self.publishedAt = self.updatedAt = iso(
            review.submitted_at
        )
        self.url = f"{pr.url}#pullrequestreview-{self.databaseId}"
        self.resourcePath = f"{pr.resourcePath}#pullrequestreview-{self.databaseId}"

    @property
    def author(self) -> object | None:
        return self.ctx.actor(self.review.author_login, self.review.author_type)

    @property
    def authorAssociation(self) -> str:
        return _association(self.ctx, self.review.author_login, self.review.author_type)

    @property
    def commit(self) -> CommitView | None:
        """The PR head when the review was submitted."""
        pr = self.pullRequest.pr
        head = None
        for commit in pr.commits:
            if commit.committed_at <= self.review.submitted_at:
                head = commit
        head = head or (pr.commits[0] if pr.commits else None)
        return self.ctx.commit(self.repository.repo, head)

    @cached_property
    def comment_views(self) -> list[ReviewCommentView]:
        pr = self.pullRequest
        threads = pr.pr.review_threads
        files = pr.pr.files
        views = []
        for j in range(self.review.comments):
            if threads:
                path = threads[(self.i + j) % len(threads)].path
            else:
                path = files[j % len(files)].path if files else ""
            views.append(
                ReviewCommentView(
                    pr,
                    ("r", self.i, j),
                    self.review.submitted_at,
                    self.review.author_login,
                    self.review.author_type,
                    path,
                    self,
                )
            )
        return views

    def comments(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        return index_page(self.comment_views, connection_args(kwargs))


class ReviewThreadView:
    typename = "PullRequestReviewThread"

    def __init__(self, pr: PullRequestView, i: int, thread: ReviewThread) -> None:
        self.ctx = pr.ctx
        self.pullRequest = pr
        self.repository = pr.repository
        self.thread = thread
        self.i = i
        self.id = encode_id("PullRequestReviewThread", pr.repository.databaseId, pr.number, i)
        self.isResolved = thread.is_resolved
        self.isOutdated = thread.is_outdated
        self.isCollapsed = thread.is_resolved
        self.path = thread.path
        self.diffSide = "RIGHT"
        self.originalLine = 1 + (zlib.crc32(f"{thread.path}:{i}".encode()) % 200)
        self.line = None if thread.is_outdated else self.originalLine
        self.startLine = None

    @property
    def resolvedBy(self) -> UserView | None:
        return self.ctx.user(self.pullRequest.pr.author_login) if self.isResolved else None

    @cached_property
    def comment_views(self) -> list[ReviewCommentView]:
        # The first comment is a reviewer's; replies alternate between the author and them.
        pr = self.pullRequest
        reviewers = [p for p in pr.participants if p[0] != pr.pr.author_login] or pr.participants
        reviewer = reviewers[self.i % len(reviewers)]
        author = (pr.pr.author_login, pr.pr.author_type)
        review = next((v for v in pr.review_views if v.review.author_login == reviewer[0]), None)
        views = []
        for j in range(self.thread.comments):
            login, kind = reviewer if j % 2 == 0 else author
            at = self.thread.created_at + timedelta(minutes=7 * j)
            views.append(
                ReviewCommentView(
                    pr, ("t", self.i, j), at, login, kind, self.path, review if j == 0 else None
                )
            )
        return views

    def comments(self, info: GraphQLResolveInfo, **kwargs: Any) -> Connection:
        return index_page(self.comment_views, connection_args(kwargs))


class IssueCommentView:
    typename = "IssueComment"

    def __init__(self, pr: PullRequestView, i: int, at: datetime, login: str, kind: str) -> None:
        self.ctx = pr.ctx
        self.pullRequest = pr
        self.repository = pr.repository
        self.at = at
        self._login, self._kind = login, kind
        self.id = encode_id("IssueComment", pr.repository.databaseId, pr.number, i)
        self.databaseId = stable_int(self.id)
        self.body = ""
        self.bodyText = ""
        self.createdAt = self.publishedAt = self.updatedAt = iso(at)
        self.url = f"{pr.url}#issuecomment-{self.databaseId}"
        self.resourcePath = f"{pr.resourcePath}#issuecomment-{self.databaseId}"

    @property
    def author(self) -> object | None:
        return self.ctx.actor(self._login, self._kind)

    @property
    def authorAssociation(self) -> str:
        return _association(self.ctx, self._login, self._kind)


# -------------------------------------------------------------------------------------- timeline


class EventView:
    """Any timeline event of the world; ``typename`` picks the GraphQL type, and each type reads
    only its own fields (from ``TimelineEvent.data`` where the PR itself does not say)."""

    def __init__(self, pr: PullRequestView, i: int, event: TimelineEvent) -> None:
        self.ctx = pr.ctx
        self.pr_view = pr
        self.pullRequest = pr
        self.closable = pr
        self.e = event
        self.i = i
        self.typename = event.typename
        self.at = event.created_at
        self.id = encode_id("Event", pr.repository.databaseId, pr.number, i)
        self.createdAt = self.referencedAt = iso(event.created_at)
        self.url = f"{pr.url}#event-{stable_int(self.id)}"
        self.resourcePath = f"{pr.resourcePath}#event-{stable_int(self.id)}"
        self.mergeRefName = pr.baseRefName
        self.headRefName = pr.headRefName
        self.willCloseTarget = bool(event.data.get("will_close_target", False))
        self.dismissalMessage = event.data.get("message")
        self.previousReviewState = event.data.get("previous_state", "APPROVED")
        self.currentTitle = str(event.data.get("current_title", pr.title))
        self.previousTitle = str(event.data.get("previous_title", pr.title))
        self.review = None

    @property
    def actor(self) -> object | None:
        return self.ctx.actor(self.e.actor_login, self.e.data.get("actor_type"))  # type: ignore[arg-type]

    @property
    def enabler(self) -> UserView | None:
        return self.ctx.user(self.e.actor_login)

    disabler = enabler

    def _commit_by_oid(self, key: str) -> CommitView | None:
        oid = self.e.data.get(key)
        repo = self.pr_view.repository.repo
        commit = self.ctx.ix.commits(repo).by_oid.get(oid) if isinstance(oid, str) else None
        return self.ctx.commit(repo, commit)

    @property
    def commit(self) -> CommitView | None:
        return self._commit_by_oid("commit_oid") or self.pr_view.mergeCommit

    @property
    def closer(self) -> object | None:
        return self.pr_view.mergeCommit if self.pr_view.merged else None

    @property
    def beforeCommit(self) -> CommitView | None:
        return self._commit_by_oid("before_oid")

    @property
    def afterCommit(self) -> CommitView | None:
        return self._commit_by_oid("after_oid")

    @property
    def mergeRef(self) -> RefView:
        return self.pr_view.baseRef

    @property
    def ref(self) -> RefView:
        return RefView(self.ctx, self.pr_view.repository, self.pr_view.headRefName)

    headRef = ref

    @property
    def requestedReviewer(self) -> object | None:
        reviewer = self.e.data.get("requested_reviewer")
        if isinstance(reviewer, dict):
            slug = reviewer.get("team") or reviewer.get("slug")
            if slug:
                return TeamView(self.ctx, str(slug))
            reviewer = reviewer.get("login")
        if not isinstance(reviewer, str):
            return None
        if reviewer.startswith("team:"):
            return TeamView(self.ctx, reviewer.removeprefix("team:"))
        view = self.ctx.actor(reviewer, self.e.data.get("requested_reviewer_type"))  # type: ignore[arg-type]
        return None if isinstance(view, OrganizationView) else view

    @property
    def assignee(self) -> object | None:
        return self.ctx.actor(self.e.data.get("assignee"))  # type: ignore[arg-type]

    @property
    def label(self) -> LabelView:
        name = str(self.e.data.get("label", ""))
        return LabelView(self.ctx, self.pr_view.repository, name)

    @property
    def source(self) -> object | None:
        ref = self.e.data.get("source_pr") or self.e.data.get("source")
        return self.ctx.pr_by_ref(ref, self.pr_view.pr.repo) or self.pr_view

    @property
    def target(self) -> PullRequestView:
        return self.pr_view

    @property
    def isCrossRepository(self) -> bool:
        source = self.source
        return isinstance(source, PullRequestView) and source.pr.repo != self.pr_view.pr.repo
