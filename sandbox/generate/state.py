"""What the generator's passes share: the simulation's state, tasks, and seeded randomness.

Everything random comes from ``random.Random`` instances seeded with strings derived from the
world's seed (``seeded``), never from shared state, so a pass can be read on its own and the same
profile and seed always give the same world, byte for byte.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sandbox.generate.pricing import PriceBook
from sandbox.history import Edit, LineFactory, TreeIndex
from sandbox.model import AISession, ApiKey, Line, Person, PullRequest, Repository
from sandbox.profiles import Profile

ORG = "acme"


def seeded(*parts: object) -> random.Random:
    """A random stream of its own for one decision site (e.g. one person's work)."""
    return random.Random(":".join(str(p) for p in parts))


def hex_id(*parts: object, n: int = 24) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:n]


def b62(*parts: object, n: int = 22) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    value = int(hex_id(*parts, n=40), 16)
    out = []
    for _ in range(n):
        value, r = divmod(value, 62)
        out.append(alphabet[r])
    return "".join(out)


_CUMULATIVE: dict[tuple[tuple[str, float], ...], tuple[list[str], list[float]]] = {}


def weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    # rng.choices with cumulative weights draws exactly as with weights; caching them saves
    # rebuilding two lists for each of the large profile's millions of draws.
    cached = _CUMULATIVE.get(options)
    if cached is None:
        cumulative = list(itertools.accumulate(w for _, w in options))
        cached = _CUMULATIVE[options] = ([o for o, _ in options], cumulative)
    return rng.choices(cached[0], cum_weights=cached[1])[0]


def word(rng: random.Random) -> str:
    """A noun for file names."""
    return rng.choice(
        ("ledger", "invoice", "session", "router", "cache", "quota", "report", "token")
    )


# Plans a task's edits against the default branch's files as the PR opens.
EditPlan = Callable[
    ["Simulation", Repository, "Task", dict[str, list[Line]], random.Random], list[Edit]
]


@dataclass
class Task:
    """A unit of work by one person; usually becomes one pull request."""

    task_id: str
    person: Person
    repo: Repository
    platform: str | None
    intent: str  # productive | rework | abandoned
    dev_start: datetime
    dev_end: datetime
    work_type: str
    subject: str
    has_pr: bool = True
    agent: str | None = None  # copilot_agent | cursor_agent | claude_web | codex_cloud
    markers: bool = True
    rework_by: str | None = None  # revert | rewrite
    # Follow-ups: the task whose PR this one reverts or rewrites.
    target: Task | None = None
    # Real-world cases (``sandbox.reality``): a GitHub App authoring the PR (login, id), an edit
    # plan of its own (odd files, oversized PRs), a force-pushed branch.
    app: tuple[str, int] | None = None
    plan: EditPlan | None = None
    force_push: bool = False
    sessions: list[AISession] = field(default_factory=list)
    pr: PullRequest | None = None
    # Filled in by the pull-request pass and the branches pass.
    commit_times: list[datetime] = field(default_factory=list)
    review_fix_at: datetime | None = None
    edits: list[Edit] = field(default_factory=list)
    # The edits of each branch commit, in order (a rebase merge lands them one by one).
    chunks: list[list[Edit]] = field(default_factory=list)
    # The default branch's file lists this task's merge wrote to. Its lines only ever live in
    # these lists (renames move a list, nothing copies lines), so a follow-up finds them here
    # instead of scanning the whole repository.
    merged_into: list[list[Line]] = field(default_factory=list)


@dataclass
class Simulation:
    """The state the passes build up, in the order they run."""

    profile: Profile
    seed: int
    prices: PriceBook = field(default_factory=PriceBook)
    start: datetime = field(init=False)
    end: datetime = field(init=False)
    tasks: list[Task] = field(default_factory=list)
    sessions: list[AISession] = field(default_factory=list)
    # People and places: each person's API keys by (person, vendor, is Claude Code); each
    # repository's line factory, default-branch files and their git tree; the repositories each
    # team mostly works in.
    keys: dict[tuple[str, str, bool], ApiKey] = field(default_factory=dict)
    factories: dict[str, LineFactory] = field(default_factory=dict)
    files: dict[str, dict[str, list[Line]]] = field(default_factory=dict)
    blobs: dict[str, TreeIndex] = field(default_factory=dict)
    team_repos: dict[str, list[Repository]] = field(default_factory=dict)
    # Work: the last PR number per repository; each (person, platform)'s busy spans, and the
    # latest end among them.
    pr_numbers: dict[str, int] = field(default_factory=dict)
    busy: dict[tuple[str, str], list[tuple[datetime, datetime]]] = field(default_factory=dict)
    busy_until: dict[tuple[str, str], datetime] = field(default_factory=dict)
    # Pull requests: reviewers by team, and everyone who has a task.
    teammates: dict[str, list[Person]] = field(default_factory=dict)
    everyone: list[Person] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Midnight UTC of the first simulated day, and after the last (exclusive).
        self.start = datetime.combine(self.profile.start, time(0), tzinfo=UTC)
        self.end = self.start + timedelta(days=self.profile.days)
