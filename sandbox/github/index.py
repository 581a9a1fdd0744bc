"""Lookups over a :class:`~sandbox.model.World` that the GraphQL resolvers need, built once.

The world is immutable while it is served, so every ordering and map is computed up front (or on
first use, per repository) and each request only slices lists and reads dicts.
"""

from __future__ import annotations

import bisect
import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime

from sandbox.model import Commit, Person, PullRequest, Repository, World

# The sort keys ``Repository.pullRequests(orderBy:)`` accepts, and how to read them from a PR.
PR_ORDER_FIELDS = ("CREATED_AT", "UPDATED_AT", "COMMENTS")

# Bot accounts whose GraphQL login and numeric id are public (vendor-apis.md §6). GraphQL shows a
# bot's login without the ``[bot]`` suffix that REST and git show.
KNOWN_BOT_IDS: dict[str, int] = {
    "copilot-swe-agent": 198982749,
    "copilot-pull-request-reviewer": 175728472,
    "claude": 209825114,
    "devin-ai-integration": 158243242,
    "google-labs-jules": 161369871,
    "gemini-code-assist": 176961590,
    "amazon-q-developer": 208079219,
    "chatgpt-codex-connector": 199175422,
    "sourcegraph-cody": 150449411,
    "dependabot": 49699333,
    "renovate": 29139614,
    "github-actions": 41898282,
}
# REST shows the Copilot coding agent as ``Copilot``; GraphQL as ``copilot-swe-agent``.
REST_TO_GRAPHQL_BOT = {"Copilot": "copilot-swe-agent"}

# The account the sandbox's token belongs to (``viewer``); GitHub's rate-limit message names it.
VIEWER_LOGIN = "tokenworth-sandbox"
VIEWER_ID = 1


def bot_login(login: str) -> str:
    """A bot's GraphQL login: without ``[bot]``, and REST-only names mapped to GraphQL's."""
    login = login.removesuffix("[bot]")
    return REST_TO_GRAPHQL_BOT.get(login, login)


def stable_int(text: str, low: int = 10_000_000) -> int:
    """A deterministic id in ``[low, 2**31)`` for accounts the world gives no id (GraphQL Int)."""
    return low + zlib.crc32(text.encode()) % (2**31 - 1 - low)


def _ts(moment: datetime) -> float:
    return moment.timestamp()


@dataclass(slots=True)
class PrOrdering:
    """One repository's pull requests in one order, with the sort keys for cursor bisection."""

    prs: list[PullRequest]
    # Ascending keys parallel to ``prs``: (value, number), negated for DESC so bisect works.
    keys: list[tuple[float, int]]


@dataclass(slots=True)
class RepoCommits:
    """Commit lookups of one repository: oids (with stand-ins before git ids exist), parents."""

    oid_of: dict[int, str] = field(default_factory=dict)
    by_oid: dict[str, Commit] = field(default_factory=dict)
    parent_of: dict[int, Commit | None] = field(default_factory=dict)
    prs_by_oid: dict[str, list[PullRequest]] = field(default_factory=dict)
    history_times: list[float] = field(default_factory=list)


class WorldIndex:
    """Every lookup the resolvers use, over one world."""

    def __init__(self, world: World, as_of: date | None = None) -> None:
        self.world = world
        self.org = world.org
        # The day the API answers for: repositories renamed, transferred, archived or deleted by
        # then show so (None: the world's last day).
        self.as_of = as_of
        self.repos: dict[str, Repository] = {r.full_name.lower(): r for r in world.repositories}
        self.repo_by_node_id = {r.node_id: r for r in world.repositories}
        self.prs: dict[tuple[str, int], PullRequest] = {}
        self.pr_by_node_id: dict[str, PullRequest] = {}
        for repo in world.repositories:
            for pr in repo.pull_requests:
                self.prs[(repo.full_name, pr.number)] = pr
                self.pr_by_node_id[pr.node_id] = pr
        # GitHub's PR database ids increase with creation time across the whole site.
        by_creation = sorted(self.prs.values(), key=lambda p: (p.created_at, p.repo, p.number))
        self.pr_database_id = {(p.repo, p.number): 1_000_000 + i for i, p in enumerate(by_creation)}
        # A deleted account resolves to nobody (its PRs, reviews and commits show no user).
        self.people_by_login: dict[str, Person] = {
            p.github_login.lower(): p for p in world.people if not p.github_deleted
        }
        self.people_by_email: dict[str, Person] = {}
        for person in world.people:
            for email in (person.commit_email, person.work_email, *person.vendor_emails.values()):
                self.people_by_email.setdefault(email.lower(), person)
        self.bot_ids: dict[str, int] = dict(KNOWN_BOT_IDS)
        for pr in self.prs.values():
            if pr.author_type == "Bot":
                self.bot_ids[bot_login(pr.author_login)] = pr.author_id
        self.orderings: dict[tuple[str, str, str], PrOrdering] = {}
        for repo in world.repositories:
            for order_field in PR_ORDER_FIELDS:
                for direction in ("ASC", "DESC"):
                    self.orderings[(repo.full_name, order_field, direction)] = self._order(
                        repo, order_field, direction
                    )
        self._commits: dict[str, RepoCommits] = {}
        self._filtered: dict[tuple[object, ...], PrOrdering] = {}

    # ------------------------------------------------------------------------ pull-request order

    @staticmethod
    def sort_value(pr: PullRequest, order_field: str) -> float:
        if order_field == "UPDATED_AT":
            return _ts(pr.updated_at)
        if order_field == "COMMENTS":
            return float(pr.comments)
        return _ts(pr.created_at)

    @staticmethod
    def sort_key(value: float, number: int, direction: str) -> tuple[float, int]:
        # Ties are broken by number in the same direction, so the order is total and stable.
        return (-value, -number) if direction == "DESC" else (value, number)

    def _order(self, repo: Repository, order_field: str, direction: str) -> PrOrdering:
        decorated = sorted(
            (
                self.sort_key(self.sort_value(pr, order_field), pr.number, direction),
                pr,
            )
            for pr in repo.pull_requests
        )
        return PrOrdering([pr for _, pr in decorated], [key for key, _ in decorated])

    def pull_requests(
        self,
        repo: Repository,
        order_field: str,
        direction: str,
        states: frozenset[str] | None,
        labels: frozenset[str] | None,
        base_ref: str | None,
        head_ref: str | None,
    ) -> PrOrdering:
        """The repository's PRs in this order, filtered; filtered lists are cached per filter."""
        full = self.orderings[(repo.full_name, order_field, direction)]
        if states is not None and states >= {"OPEN", "CLOSED", "MERGED"}:
            states = None
        if states is None and labels is None and base_ref is None and head_ref is None:
            return full
        cache_key = (repo.full_name, order_field, direction, states, labels, base_ref, head_ref)
        cached = self._filtered.get(cache_key)
        if cached is not None:
            return cached
        keep = [
            i
            for i, pr in enumerate(full.prs)
            if (states is None or pr.state in states)
            and (labels is None or not labels.isdisjoint(pr.labels))
            and (base_ref is None or pr.base_ref == base_ref)
            and (head_ref is None or pr.head_ref == head_ref)
        ]
        ordering = PrOrdering([full.prs[i] for i in keep], [full.keys[i] for i in keep])
        if len(self._filtered) > 256:  # bound memory when clients vary filters freely
            self._filtered.clear()
        self._filtered[cache_key] = ordering
        return ordering

    # ------------------------------------------------------------------------------- commits

    def commits(self, repo: Repository) -> RepoCommits:
        """Commit lookups of ``repo``, built on first use (the git writer may fill oids late)."""
        built = self._commits.get(repo.full_name)
        if built is None:
            built = self._build_commits(repo)
            self._commits[repo.full_name] = built
        return built

    def _build_commits(self, repo: Repository) -> RepoCommits:
        index = RepoCommits()

        def add(commit: Commit, stand_in: str, parent: Commit | None) -> str:
            # Before ``gitrepos`` has written the repository commits have no oid; serve a stable
            # stand-in so that ``oid: GitObjectID!`` is never null.
            oid = commit.oid or hashlib.sha1(stand_in.encode()).hexdigest()
            index.oid_of[id(commit)] = oid
            index.by_oid.setdefault(oid, commit)
            index.parent_of[id(commit)] = commit.parent or parent
            return oid

        previous: Commit | None = None
        for i, commit in enumerate(repo.history):
            add(commit, f"{repo.full_name}@{i}", previous)
            index.history_times.append(_ts(commit.committed_at))
            previous = commit
        for pr in repo.pull_requests:
            parent = self.base_commit(repo, pr, index)
            for i, commit in enumerate(pr.commits):
                oid = add(commit, f"{repo.full_name}#{pr.number}/{i}", parent)
                index.prs_by_oid.setdefault(oid, []).append(pr)
                parent = commit
            # A force-push's replaced commits: GitHub still serves them, no clone has them.
            for i, commit in enumerate(pr.replaced_commits):
                add(commit, f"{repo.full_name}#{pr.number}/replaced/{i}", commit.parent)
            for commit in pr.landed[:-1]:  # a rebase merge's commits before its last
                index.prs_by_oid.setdefault(index.oid_of[id(commit)], []).append(pr)
            if pr.merge_commit is not None:
                if id(pr.merge_commit) not in index.oid_of:
                    add(pr.merge_commit, f"{repo.full_name}#{pr.number}/merge", None)
                oid = index.oid_of[id(pr.merge_commit)]
                index.prs_by_oid.setdefault(oid, []).append(pr)
        return index

    def base_commit(
        self, repo: Repository, pr: PullRequest, index: RepoCommits | None = None
    ) -> Commit | None:
        """The default-branch commit a PR branched from: its first commit's parent, or else the
        last default-branch commit before the PR was opened."""
        if pr.commits and pr.commits[0].parent is not None:
            return pr.commits[0].parent
        index = index or self.commits(repo)
        position = bisect.bisect_right(index.history_times, _ts(pr.created_at))
        if position > 0:
            return repo.history[position - 1]
        return repo.history[0] if repo.history else None

    def oid(self, repo: Repository, commit: Commit) -> str:
        index = self.commits(repo)
        oid = index.oid_of.get(id(commit))
        if oid is None:  # a commit outside the repository's history and PRs; still serve an id
            oid = commit.oid or hashlib.sha1(repr(id(commit)).encode()).hexdigest()
            index.oid_of[id(commit)] = oid
            index.by_oid.setdefault(oid, commit)
        return oid

    # ------------------------------------------------------------------------------- people

    def person_by_login(self, login: str) -> Person | None:
        return self.people_by_login.get(login.lower())

    def person_by_email(self, email: str) -> Person | None:
        return self.people_by_email.get(email.lower())

    def is_bot(self, login: str, type_hint: str | None = None) -> bool:
        if type_hint == "Bot" or login.endswith("[bot]"):
            return True
        if type_hint is None and self.person_by_login(login) is None:
            return bot_login(login) in self.bot_ids
        return False

    def repo_by_name(self, owner: str, name: str) -> Repository | None:
        """The repository called ``owner/name`` as of :attr:`as_of`, or that was (GitHub
        redirects old names); None when there is none, or it is deleted or not yet created."""
        wanted = f"{owner}/{name}".lower()
        repo = self.repos.get(wanted)
        if repo is None or repo.events:
            repo = next(
                (
                    r
                    for r in self.world.repositories
                    if wanted in (n.lower() for n in r.names_until(self.as_of))
                ),
                None,
            )
        return repo if repo is not None and self.exists(repo) else None

    def exists(self, repo: Repository) -> bool:
        """The repository exists as of :attr:`as_of`: created by then and not deleted."""
        if self.as_of is not None and repo.created_at.date() > self.as_of:
            return False
        return repo.name_on(self.as_of) is not None

    def name_of(self, repo: Repository) -> str:
        """``owner/name`` as of :attr:`as_of` (a deleted repository keeps its last name)."""
        return repo.name_on(self.as_of) or repo.names_until(self.as_of)[-1]
