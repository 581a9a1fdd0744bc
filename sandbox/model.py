"""The simulated organisation as plain data.

``generate.build_world`` produces a :class:`World`; ``gitrepos`` writes its repositories and fills
in commit ids; the vendor views and the GitHub GraphQL API read it; ``truth`` writes the ground
truth from it. Nothing here talks to the network or the disk.

Conventions (the same as the warehouse's, so the truth compares directly):

* timestamps are timezone-aware UTC ``datetime``; days are ``date`` in UTC;
* money is ``Decimal`` USD; tokens are ``int`` and always kept apart by type:
  ``input_tokens`` is *uncached* input (Anthropic's convention), cache writes are split into
  5-minute and 1-hour, cache reads and output are separate;
* a pull request is identified by ``(repo, number)`` where ``repo`` is ``owner/name``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

from sandbox.reality import RealityOptions

# GitHub serves at most this many commits and files of one pull request (``totalCount`` and
# ``changedFiles`` still count them all).
MAX_PR_COMMITS = 250
MAX_PR_FILES = 3000

PrKey = tuple[str, int]


@dataclass(slots=True)
class Person:
    """An engineer (or an account that no rule can tie to one)."""

    person_id: str
    name: str
    team: str
    utc_offset_hours: int
    work_email: str
    github_login: str
    github_id: int
    # The email on this person's git commits: the work email, or GitHub's
    # ``NNN+login@users.noreply.github.com`` for people who hide theirs.
    commit_email: str
    # Platforms this person uses; empty for people who use no AI at all.
    platforms: tuple[str, ...]
    # The email each vendor knows this person by (platform -> email). Usually the work email; a few
    # people sign up with a personal address that no rule can resolve.
    vendor_emails: dict[str, str] = field(default_factory=dict)
    # Vendor-side user ids (vendor -> id): "anthropic" ``user_01…``, "openai" ``user-…``,
    # "cursor" ``user_…``, "cursor_numeric" (daily-usage-data's number, as a string).
    vendor_user_ids: dict[str, str] = field(default_factory=dict)
    # Relative activity; heavy-tailed across people.
    intensity: float = 1.0
    joined_on: date | None = None
    # The person deleted their GitHub account (``sandbox.reality`` ghosts): GitHub shows their
    # PRs, reviews and commits without a user.
    github_deleted: bool = False
    # The person's agents export OpenTelemetry to the organisation's Collector (Claude Code and
    # Codex sessions appear in its files), and the person installed tokenworth's
    # prepare-commit-msg hook (commits an agent makes carry ``AI-Session: <agent>/<id>``).
    telemetry: bool = False
    session_hook: bool = False


@dataclass(slots=True)
class ApiKey:
    """An Anthropic or OpenAI API key; usage by key is how those vendors attribute spend."""

    api_key_id: str
    vendor: str  # "anthropic" | "openai"
    name: str
    owner_person_id: str
    created_at: datetime
    # Anthropic: workspace; the "Claude Code" workspace holds keys that Claude Code bills through,
    # whose usage is also in the Claude Code report (reconciliation only, never counted twice).
    workspace_id: str | None = None
    # OpenAI: project.
    project_id: str | None = None
    is_claude_code: bool = False
    # Keys no person owns (``owner_person_id`` is ""): who created them, as the vendor names the
    # creator (``("service_account", "svac_…")``, or a user who has since left), and the service
    # account whose key it is.
    created_by: tuple[str, str] | None = None
    service_account_id: str | None = None


@dataclass(slots=True)
class AIRequest:
    """One model request inside a session: the finest grain of the truth."""

    at: datetime
    model: str
    input_tokens: int
    cache_write_5m_tokens: int
    cache_write_1h_tokens: int
    cache_read_tokens: int
    output_tokens: int
    # What the vendor charges for this request (its stated cost where it states one, else
    # tokens x list price); the truth that conservation tests compare against.
    cost_usd: Decimal
    api_key_id: str | None = None
    # Code output of this request, as the vendor's tools count it.
    lines_added: int = 0
    lines_removed: int = 0
    edits_accepted: int = 0
    edits_rejected: int = 0
    # Copilot only: AI credits this request used (cost_usd = credits x unit price).
    ai_credits: Decimal = Decimal(0)


@dataclass(slots=True)
class AISession:
    """A burst of AI work by one person on one platform, with its hidden intent."""

    session_id: str
    person_id: str
    platform: str  # claude_code | anthropic_api | openai_api | cursor | copilot
    intent: str  # productive | exploratory | retry | abandoned | rework
    started_at: datetime
    ended_at: datetime
    requests: list[AIRequest]
    # The pull request this session truly worked towards, if any.
    pr: PrKey | None = None
    repo: str | None = None
    branch: str | None = None
    # Commits of ``pr`` authored during this session (attribution weights use them).
    commits_during: int = 0
    # The agent's own session id (Claude Code's ``session.id`` / CLAUDE_CODE_SESSION_ID, Codex's
    # ``conversation.id``); None for platforms without one.
    agent_session_id: str | None = None

    @property
    def cost_usd(self) -> Decimal:
        return sum((r.cost_usd for r in self.requests), Decimal(0))


@dataclass(slots=True)
class Line:
    """One line of a file. Lines are objects so that identity survives edits elsewhere."""

    text: str
    # The pull request whose merge put this line on the default branch (None: initial import
    # or a direct commit).
    origin: PrKey | None


@dataclass(slots=True)
class RawLine(Line):
    """The whole content of a binary file (``text`` holds its bytes, ``surrogateescape``-decoded,
    with a NUL among the first 8,000, so git treats the file as binary). Never an effective line."""


@dataclass(slots=True)
class Gitlink(Line):
    """A submodule: the path is a gitlink (mode 160000) to commit ``text`` of another repository.
    It has no lines at all in git; never an effective line."""


@dataclass(slots=True)
class Commit:
    """A git commit: on a PR branch, or on the default branch (squash merges)."""

    message: str
    author_name: str
    author_email: str
    authored_at: datetime
    committer_name: str
    committer_email: str
    committed_at: datetime
    # New content of every file this commit touches; ``None`` deletes the file.
    files: dict[str, tuple[Line, ...] | None]
    # old path -> new path, for renames (the new path's content is in ``files``).
    renames: dict[str, str] = field(default_factory=dict)
    additions: int = 0
    deletions: int = 0
    # GitHub login of the author when GitHub can resolve it (None for unknown emails).
    author_login: str | None = None
    committer_login: str | None = None
    # Filled in by gitrepos.write_repositories.
    oid: str | None = None
    parent: Commit | None = None


@dataclass(slots=True)
class Review:
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED
    submitted_at: datetime
    author_login: str | None  # None: a deleted account
    author_type: str = "User"
    comments: int = 0


@dataclass(slots=True)
class ReviewThread:
    path: str
    is_resolved: bool
    is_outdated: bool
    comments: int
    created_at: datetime


@dataclass(slots=True)
class TimelineEvent:
    """A pull-request timeline item, named by its GraphQL ``__typename``."""

    typename: str  # ReadyForReviewEvent, ReviewRequestedEvent, MergedEvent, ClosedEvent, …
    created_at: datetime
    actor_login: str | None
    # Type-specific fields (e.g. ``requested_reviewer``, ``commit_oid``, ``source_pr``).
    data: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class FileStat:
    path: str
    additions: int
    deletions: int
    change_type: str  # ADDED | MODIFIED | DELETED | RENAMED


@dataclass(slots=True)
class PullRequest:
    repo: str
    number: int
    node_id: str
    title: str
    body: str
    # None when the author deleted their account (GitHub's "ghost"; GraphQL's ``author: null``).
    author_login: str | None
    author_type: str  # "User" | "Bot"
    author_id: int
    head_ref: str
    base_ref: str
    created_at: datetime
    updated_at: datetime
    state: str  # OPEN | CLOSED | MERGED
    is_draft: bool
    published_at: datetime | None
    closed_at: datetime | None
    merged_at: datetime | None
    merged_by: str | None
    labels: list[str]
    commits: list[Commit]
    reviews: list[Review]
    review_threads: list[ReviewThread]
    comments: int
    timeline: list[TimelineEvent]
    files: list[FileStat]
    additions: int
    deletions: int
    # The squash commit on the default branch (merged PRs only).
    merge_commit: Commit | None = None
    # Truth only, never served: the human behind the PR (for bot-authored agent PRs, the person
    # who started the agent), the task intent, and what this PR reverts.
    person_id: str | None = None
    intent: str | None = None
    reverts: PrKey | None = None
    platform: str | None = None
    # How the PR landed: SQUASH (one commit) or REBASE (its commits re-created on the default
    # branch); ``landed`` lists the default-branch commits it made (``merge_commit`` is the last).
    merge_method: str = "SQUASH"
    landed: list[Commit] = field(default_factory=list)
    # A PR from a fork: the fork's ``owner/name`` (``fork_deleted``: the fork is gone, GitHub
    # shows no head repository). Its commits live in the base repository under refs/pull only.
    fork: str | None = None
    fork_deleted: bool = False
    # Commits the branch held before a force-push replaced them: served by the API in the
    # force-push event, present in no git repository.
    replaced_commits: list[Commit] = field(default_factory=list)
    # The PR's base and head commits were never fetchable (not written to git at all).
    unfetchable: bool = False


@dataclass(slots=True)
class RepoEvent:
    """Something that happened to a repository at the start of ``day`` (UTC)."""

    day: date
    kind: str  # renamed | transferred | archived | deleted
    to: str | None = None  # the new owner/name (renamed, transferred)


@dataclass(slots=True)
class Repository:
    full_name: str  # owner/name
    node_id: str
    database_id: int
    default_branch: str
    created_at: datetime
    # Default-branch history in order: the initial import, then squash merges.
    history: list[Commit] = field(default_factory=list)
    pull_requests: list[PullRequest] = field(default_factory=list)
    # Set by gitrepos.write_repositories: path of the bare repository on disk.
    path: str | None = None
    # What happened to the repository during the world, in day order (renamed, transferred,
    # archived, deleted); an empty repository has no history at all.
    events: list[RepoEvent] = field(default_factory=list)

    def name_on(self, day: date | None) -> str | None:
        """``owner/name`` as of ``day`` (None: the end of the world); None once deleted."""
        name: str | None = self.full_name
        for event in self.events:
            if day is not None and event.day > day:
                break
            if event.kind in ("renamed", "transferred"):
                name = event.to
            elif event.kind == "deleted":
                name = None
        return name

    def names_until(self, day: date | None) -> list[str]:
        """Every name the repository had up to ``day``, the current one last (GitHub redirects
        the old ones)."""
        names = [self.full_name]
        for event in self.events:
            if day is not None and event.day > day:
                break
            if event.kind in ("renamed", "transferred") and event.to:
                names.append(event.to)
        return names

    def archived_on(self, day: date | None) -> bool:
        return any(e.kind == "archived" and (day is None or e.day <= day) for e in self.events)

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]


@dataclass(slots=True)
class CopilotSeat:
    person_id: str
    created_at: datetime
    plan_type: str  # business | enterprise
    pending_cancellation_date: date | None = None


@dataclass(slots=True)
class UnassignedUsage:
    """Usage that belongs to nobody in the roster (issue 22 §2), with what a warehouse should show.

    ``kind`` says why nobody owns it: ``service_account_key``, ``no_key`` (Console or Playground
    usage in a workspace or project), ``ungrouped`` (user, key, project and model all null),
    ``orphaned_key`` (a key whose creator left), ``api_actor`` (a Claude Code key no person
    holds), ``removed_member`` (Cursor), ``departed_user`` (Copilot). ``owner`` is what the
    warehouse should state, raw: ``("key", id)``, ``("project", id)``, ``("workspace", id)``,
    ``("org", None)`` or ``("user", email or login)``.
    """

    usage_id: str
    platform: str
    kind: str
    owner: tuple[str, str | None]
    # The requests, grouped as bursts of work; ``person_id`` is the former person's, or "".
    sessions: list[AISession]
    api_key: ApiKey | None = None
    project_id: str | None = None
    workspace_id: str | None = None
    # False: the vendor reports the model as null.
    model_reported: bool = True
    # Removed members and departed users: who they were (not in the roster or the people list).
    former: Person | None = None

    @property
    def cost_usd(self) -> Decimal:
        return sum((s.cost_usd for s in self.sessions), Decimal(0))


@dataclass  # no slots: the lookups below are cached on the instance
class World:
    seed: int
    profile: str
    org: str  # GitHub organisation login
    start: date  # first simulated day (UTC)
    days: int  # number of simulated days
    people: list[Person]
    repositories: list[Repository]
    api_keys: list[ApiKey]
    sessions: list[AISession]
    copilot_seats: list[CopilotSeat]
    # Anthropic organisation id and workspace ids (workspace_id -> display name).
    anthropic_org_id: str = ""
    anthropic_workspaces: dict[str, str] = field(default_factory=dict)
    # OpenAI projects (project_id -> name).
    openai_projects: dict[str, str] = field(default_factory=dict)
    # Which real-world cases this world holds (all off: the tidy world; see Profile.reality).
    reality: RealityOptions = field(default_factory=RealityOptions)
    # Usage nobody in the roster owns (only with ``reality``'s usage cases).
    unassigned: list[UnassignedUsage] = field(default_factory=list)

    @property
    def end(self) -> date:
        """The day after the last simulated day (exclusive end)."""
        return self.start + timedelta(days=self.days)

    def person(self, person_id: str) -> Person:
        return self.people_by_id[person_id]

    @cached_property
    def people_by_id(self) -> dict[str, Person]:
        return {p.person_id: p for p in self.people}

    def repository(self, full_name: str) -> Repository:
        return next(r for r in self.repositories if r.full_name == full_name)
