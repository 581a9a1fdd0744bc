"""Generate a simulated engineering organisation, deterministically from a profile and a seed.

The simulation runs in three passes:

1. **People and places**: engineers in teams and time zones with their identities at each vendor,
   repositories with an initial import, API keys, Copilot seats.
2. **Work**: each engineer works through *tasks* back to back. A task has a hidden intent
   (productive, rework, abandoned) and a platform; it produces AI sessions while it is developed,
   then (usually) a pull request with reviews, and a merge or a close. Rework tasks are later
   reverted or rewritten by a follow-up PR (one whose follow-up does not merge before the world
   ends is productive: its work lasts); exploratory sessions happen between tasks; bots open
   dependency PRs. Timestamps respect working hours in each person's time zone.
3. **History**: per repository, in time order, every PR's edits are planned against the default
   branch as it was when the PR was opened and merged as a squash commit, which gives real file
   contents, commits and git object ids (``history``).

Everything random comes from ``random.Random`` instances seeded with strings derived from the seed,
and nothing iterates over a ``set`` of strings, so the same profile and seed always give the same
world, byte for byte.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from sandbox.history import (
    GITHUB_COMMITTER,
    Edit,
    LineFactory,
    TreeIndex,
    apply_edits,
    file_stats,
    make_commit,
    randint,
)
from sandbox.model import (
    AIRequest,
    AISession,
    ApiKey,
    CopilotSeat,
    Line,
    Person,
    PrKey,
    PullRequest,
    Repository,
    Review,
    ReviewThread,
    TimelineEvent,
    World,
)
from sandbox.profiles import DEFAULT_SEED, Profile, get_profile

ORG = "acme"
PRICES_CSV = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "model_prices.csv"
MICRO = Decimal("0.000001")
COPILOT_CREDIT_USD = Decimal("0.01")

FIRST_NAMES = (
    "Ada Alan Grace Linus Barbara Ken Margaret Dennis Radia Edsger Frances Donald Hedy John "
    "Katherine Tim Sophie Guido Anita Bjarne Yukihiro Lynn Rob Mary Niklaus Jean Shafi Leslie "
    "Fernando Joan Whitfield Adele Brian Evelyn Ward Sandi Vint Marissa Tony Carol Hal Ivan Susan "
    "Ruth Peter Amir Priya Chen Wei Aiko Kwame Olu Ines Mateo Lucia Noor Farah Tomas Elena Yuki "
    "Sven Ingrid"
).split()
LAST_NAMES = (
    "Lovelace Turing Hopper Torvalds Liskov Thompson Hamilton Ritchie Perlman Dijkstra Allen Knuth "
    "Lamarr Backus Johnson Berners Wilson Rossum Borg Stroustrup Matsumoto Conway Pike Shaw Wirth "
    "Sammet Goldwasser Lamport Corbato Clarke Diffie Goldberg Kernighan Berners Cunningham Metz "
    "Cerf Mayer Hoare Shaw Abelson Sutherland Kare Wolf Norvig Pnueli Rao Zhang Li Sato Mensah "
    "Adeyemi Costa Rivera Garcia Haddad Karimi Novak Petrova Tanaka Berg Lund"
).split()
TEAM_NAMES = (
    "payments platform search growth mobile data infra checkout identity billing messaging insights"
).split()
REPO_NAMES = ("api", "web", "payments-service", "mobile-app", "infra", "data-pipeline")
TIMEZONES = (-8, -8, -5, -5, -5, 0, 1, 1, 2, 5, 8)

PLATFORM_WEIGHTS = {
    "claude_code": 0.5,
    "cursor": 0.35,
    "copilot": 0.35,
    "openai_api": 0.18,
    "anthropic_api": 0.12,
}
PLATFORM_MODELS = {
    "claude_code": (
        ("claude-opus-5-5", 0.45),
        ("claude-sonnet-5-5", 0.45),
        ("claude-haiku-4-5", 0.1),
    ),
    "anthropic_api": (("claude-sonnet-5-5", 0.7), ("claude-haiku-4-5", 0.3)),
    "openai_api": (("gpt-6-sol", 0.7), ("gpt-6-luna", 0.3)),
    "cursor": (("claude-4.5-sonnet", 0.5), ("gpt-5.4", 0.3), ("composer-2", 0.2)),
    "copilot": (("copilot", 1.0),),
}
PREDECESSORS = {
    "claude-opus-5-5": "claude-opus-5",
    "claude-opus-5": "claude-sonnet-4-5",
    "claude-sonnet-5-5": "claude-sonnet-4-5",
    "gpt-6-sol": "gpt-5.4",
    "gpt-6-luna": "gpt-5.4",
}
# Cursor's own model has no public per-token price, so no price seed row: Cursor states its cost,
# and the warehouse must price it as unknown (null list price), not as zero.
CURSOR_HOUSE_PRICES = {
    "composer-2": (Decimal("1.25"), Decimal("1.25"), Decimal("0.125"), Decimal("10"))
}

WORK_TYPES = (
    ("feat", 0.38, "feature/", "enhancement"),
    ("fix", 0.27, "fix/", "bug"),
    ("refactor", 0.1, "refactor/", None),
    ("docs", 0.06, "docs/", "documentation"),
    ("test", 0.07, "test/", None),
    ("chore", 0.06, "chore/", None),
    ("perf", 0.03, "perf/", None),
    ("ci", 0.03, "ci/", None),
)
SUBJECTS = (
    "retry budget to payment client",
    "pagination of usage reports",
    "cache warm-up on deploy",
    "invoice rounding",
    "session timeout handling",
    "bulk export of ledgers",
    "rate limiter for webhooks",
    "search ranking for teams",
    "audit log retention",
    "price table loader",
    "review reminders",
    "token refresh race",
    "schema migration for accounts",
    "metrics for queue depth",
    "error messages in the CLI",
    "flaky checkout test",
)
AGENT_TRAILERS = {
    "claude_code": "Co-Authored-By: Claude Opus 5.5 <noreply@anthropic.com>",
    "cursor": "Co-authored-by: Cursor <cursoragent@cursor.com>",
    "openai_api": "Co-authored-by: Codex <noreply@openai.com>",
    "copilot": "Co-authored-by: Copilot <223556219+Copilot@users.noreply.github.com>",
}
COPILOT_AGENT = ("copilot-swe-agent", 198982749)
COPILOT_AGENT_COMMITTER = ("copilot-swe-agent[bot]", "198982749+Copilot@users.noreply.github.com")
DEPENDABOT = ("dependabot", 49699333)


def build_world(profile: str = "tiny", seed: int = DEFAULT_SEED) -> World:
    """The simulated organisation for ``profile`` (tiny, demo, large) and ``seed``."""
    return _Generator(get_profile(profile), seed).run()


def _rng(*parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in parts))


def _hex(*parts: object, n: int = 24) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:n]


def _b62(*parts: object, n: int = 22) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    value = int(_hex(*parts, n=40), 16)
    out = []
    for _ in range(n):
        value, r = divmod(value, 62)
        out.append(alphabet[r])
    return "".join(out)


_CUMULATIVE: dict[tuple[tuple[str, float], ...], tuple[list[str], list[float]]] = {}


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    # rng.choices with cumulative weights draws exactly as with weights; caching them saves
    # rebuilding two lists for each of the large profile's millions of draws.
    cached = _CUMULATIVE.get(options)
    if cached is None:
        cumulative = list(itertools.accumulate(w for _, w in options))
        cached = _CUMULATIVE[options] = ([o for o, _ in options], cumulative)
    return rng.choices(cached[0], cum_weights=cached[1])[0]


@dataclass(frozen=True)
class Price:
    input: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal
    output: Decimal


class PriceBook:
    """The vendors' list prices (the same seed the warehouse prices with), effective-dated."""

    def __init__(self, path: Path = PRICES_CSV) -> None:
        self._rows: dict[str, list[tuple[date, date | None, Price]]] = {}
        self._cache: dict[tuple[str, date], Price | None] = {}
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                price = Price(
                    Decimal(row["input_usd_per_mtok"]),
                    Decimal(row["cache_write_5m_usd_per_mtok"]),
                    Decimal(row["cache_write_1h_usd_per_mtok"]),
                    Decimal(row["cache_read_usd_per_mtok"]),
                    Decimal(row["output_usd_per_mtok"]),
                )
                end = date.fromisoformat(row["effective_to"]) if row["effective_to"] else None
                self._rows.setdefault(row["model"], []).append(
                    (date.fromisoformat(row["effective_from"]), end, price)
                )

    def price(self, model: str, day: date) -> Price | None:
        key = (model, day)
        if key not in self._cache:  # millions of requests, a few hundred (model, day) pairs
            self._cache[key] = next(
                (
                    price
                    for start, end, price in self._rows.get(model, [])
                    if start <= day and (end is None or day < end)
                ),
                None,
            )
        return self._cache[key]


def list_cost(price: Price, r: AIRequest) -> Decimal:
    return (
        r.input_tokens * price.input
        + r.cache_write_5m_tokens * price.cache_write_5m
        + r.cache_write_1h_tokens * price.cache_write_1h
        + r.cache_read_tokens * price.cache_read
        + r.output_tokens * price.output
    ) / Decimal(1_000_000)


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
    sessions: list[AISession] = field(default_factory=list)
    pr: PullRequest | None = None
    # Filled in by the history pass.
    edits_planned: bool = False
    commit_times: list[datetime] = field(default_factory=list)
    changes_requested_at: datetime | None = None
    review_fix_at: datetime | None = None
    edits: list[Edit] = field(default_factory=list)
    # The default branch's file lists this task's merge wrote to. Its lines only ever live in
    # these lists (renames move a list, nothing copies lines), so a follow-up finds them here
    # instead of scanning the whole repository.
    merged_into: list[list[Line]] = field(default_factory=list)


class _Generator:
    def __init__(self, profile: Profile, seed: int) -> None:
        self.profile = profile
        self.seed = seed
        self.prices = PriceBook()
        self.start = datetime.combine(profile.start, time(0), tzinfo=UTC)
        self.end = self.start + timedelta(days=profile.days)
        self.tasks: list[Task] = []
        self.sessions: list[AISession] = []
        self.pr_numbers: dict[str, int] = {}
        self.busy: dict[tuple[str, str], list[tuple[datetime, datetime]]] = {}
        self.busy_until: dict[tuple[str, str], datetime] = {}  # latest end in ``busy``

    # ---------------------------------------------------------------- pass 1: people and places

    def run(self) -> World:
        people = self._people()
        repos = self._repositories(people)
        keys = self._api_keys(people)
        self.keys = {(k.owner_person_id, k.vendor, k.is_claude_code): k for k in keys}
        self._plan_work(people, repos)
        self._dependency_bumps(repos, people)
        self._history(repos)
        seats = [
            CopilotSeat(
                p.person_id,
                self.start
                - timedelta(days=30 + _rng(self.seed, "seat", p.person_id).randint(0, 200)),
                "business",
            )
            for p in people
            if "copilot" in p.platforms
        ]
        world = World(
            seed=self.seed,
            profile=self.profile.name,
            org=ORG,
            start=self.profile.start,
            days=self.profile.days,
            people=people,
            repositories=repos,
            api_keys=keys,
            sessions=sorted(self.sessions, key=lambda s: (s.started_at, s.session_id)),
            copilot_seats=seats,
            anthropic_org_id=f"{_hex(self.seed, 'org', n=8)}-1234-5678-9abc-{_hex(self.seed)[:12]}",
            anthropic_workspaces={
                "wrkspc_" + _b62(self.seed, "ws-default"): "Default",
                "wrkspc_" + _b62(self.seed, "ws-cc"): "Claude Code",
            },
            openai_projects={"proj_" + _b62(self.seed, "proj", n=24): "Engineering agents"},
        )
        for key in keys:
            if key.vendor == "anthropic":
                name = "Claude Code" if key.is_claude_code else "Default"
                key.workspace_id = next(
                    w for w, n in world.anthropic_workspaces.items() if n == name
                )
            else:
                key.project_id = next(iter(world.openai_projects))
        return world

    def _people(self) -> list[Person]:
        rng = _rng(self.seed, self.profile.name, "people")
        n_teams = self.profile.teams
        team_names = [
            TEAM_NAMES[i]
            if i < len(TEAM_NAMES)
            else f"{TEAM_NAMES[i % len(TEAM_NAMES)]}-{i // len(TEAM_NAMES) + 1}"
            for i in range(n_teams)
        ]
        # Uneven team sizes, and the last team always small, so that some teams fall below the
        # privacy cohort size (5) that the marts suppress.
        weights = [1.0 + 1.5 * rng.random() for _ in team_names]
        if n_teams >= 3:
            weights[-1] = 0.3
        sizes = [max(2, int(w / sum(weights) * self.profile.people)) for w in weights]
        while sum(sizes) > self.profile.people:
            sizes[sizes.index(max(sizes))] -= 1
        while sum(sizes) < self.profile.people:
            sizes[sizes.index(max(sizes))] += 1
        team_of = [team for team, size in zip(team_names, sizes, strict=True) for _ in range(size)]
        rng.shuffle(team_of)
        people: list[Person] = []
        logins: set[str] = set()
        for i in range(self.profile.people):
            first = FIRST_NAMES[(i * 7 + randint(rng, 0, 3)) % len(FIRST_NAMES)]
            last = LAST_NAMES[(i * 13 + randint(rng, 0, 5)) % len(LAST_NAMES)]
            login = f"{first[0]}{last}".lower()
            while login in logins:
                login = f"{login}{randint(rng, 1, 99)}"
            logins.add(login)
            person_id = f"p{i + 1:04d}"
            github_id = 1_000_000 + i * 7919
            work_email = f"{first}.{last}{'' if i < len(FIRST_NAMES) else i}@acme.example".lower()
            hides_email = rng.random() < 0.25
            commit_email = (
                f"{github_id}+{login}@users.noreply.github.com" if hides_email else work_email
            )
            roll = rng.random()
            if roll < 0.15:
                platforms: tuple[str, ...] = ()
            else:
                chosen = [p for p, w in PLATFORM_WEIGHTS.items() if rng.random() < w]
                if not chosen:
                    chosen = [_weighted(rng, tuple(PLATFORM_WEIGHTS.items()))]
                platforms = tuple(chosen)
            vendor_emails = {}
            for platform in platforms:
                # A few people sign up at a vendor with a personal address no rule can resolve.
                personal = rng.random() < 0.04
                vendor_emails[platform] = f"{login}.dev@gmail.example" if personal else work_email
            people.append(
                Person(
                    person_id=person_id,
                    name=f"{first} {last}",
                    team=team_of[i],
                    utc_offset_hours=rng.choice(TIMEZONES),
                    work_email=work_email,
                    github_login=login,
                    github_id=github_id,
                    commit_email=commit_email,
                    platforms=platforms,
                    vendor_emails=vendor_emails,
                    vendor_user_ids={
                        "anthropic": "user_01" + _b62(self.seed, "ant", person_id, n=22),
                        "openai": "user-" + _b62(self.seed, "oai", person_id, n=24),
                        "cursor": "user_" + _b62(self.seed, "cur", person_id, n=26),
                        "cursor_numeric": str(40_000 + i),
                    },
                    # Heavy-tailed: most people use AI moderately, a few very heavily.
                    intensity=min(6.0, math.exp(rng.gauss(-0.1, 0.75))),
                    joined_on=self.profile.start - timedelta(days=randint(rng, 30, 900)),
                )
            )
        return people

    def _repositories(self, people: list[Person]) -> list[Repository]:
        repos = []
        for i in range(self.profile.repositories):
            base = REPO_NAMES[i % len(REPO_NAMES)]
            name = base if i < len(REPO_NAMES) else f"{base}-{i // len(REPO_NAMES) + 1}"
            repos.append(
                Repository(
                    full_name=f"{ORG}/{name}",
                    node_id="R_" + _b62(self.seed, "repo", name, n=16),
                    database_id=500_000 + i,
                    default_branch="main",
                    created_at=self.start - timedelta(days=400 - i),
                )
            )
        self.factories = {
            r.full_name: LineFactory(_rng(self.seed, "lines", r.full_name)) for r in repos
        }
        self.files: dict[str, dict[str, list[Line]]] = {}
        self.blobs: dict[str, TreeIndex] = {}
        for repo in repos:
            rng = _rng(self.seed, "import", repo.full_name)
            factory = self.factories[repo.full_name]
            ext = rng.choice((".py", ".ts", ".go"))
            files: dict[str, list[Line]] = {}
            for j in range(randint(rng, 8, 14)):
                pkg = rng.choice(("core", "api", "jobs", "lib"))
                path = f"src/{pkg}/{_WORD(rng)}_{j}{ext}"
                files[path] = factory.block(path, None, randint(rng, 30, 90))
            files["README.md"] = factory.block("README.md", None, 12)
            lock = {".py": "poetry.lock", ".ts": "package-lock.json", ".go": "go.sum"}[ext]
            files[lock] = factory.block(lock, None, 60)
            files["vendor/thirdparty/shim" + ext] = factory.block(
                "vendor/thirdparty/shim" + ext, None, 20
            )
            at = repo.created_at
            commit = make_commit(
                files,
                {p: v for p, v in files.items()},
                {},
                None,
                "Initial import",
                ("Acme Admin", "admin@acme.example"),
                at,
                ("Acme Admin", "admin@acme.example"),
                at,
                sum(len(v) for v in files.values()),
                0,
                blobs=(blobs := TreeIndex()),
            )
            repo.history.append(commit)
            self.files[repo.full_name] = files
            self.blobs[repo.full_name] = blobs
        # Each team works mostly in one or two repositories.
        teams = sorted({p.team for p in people})
        self.team_repos = {
            team: [repos[(k * 3 + j) % len(repos)] for j in range(min(2, len(repos)))]
            for k, team in enumerate(teams)
        }
        return repos

    def _api_keys(self, people: list[Person]) -> list[ApiKey]:
        keys = []
        for p in people:
            rng = _rng(self.seed, "keys", p.person_id)
            created = self.start - timedelta(days=randint(rng, 10, 300))
            if "anthropic_api" in p.platforms:
                keys.append(
                    ApiKey(
                        "apikey_01" + _b62(self.seed, "ak", p.person_id),
                        "anthropic",
                        f"{p.github_login}-agents",
                        p.person_id,
                        created,
                    )
                )
            # About half of Claude Code users log in with the Console and bill through an API key
            # in the "Claude Code" workspace; the others are on a subscription plan.
            if "claude_code" in p.platforms and rng.random() < 0.5:
                keys.append(
                    ApiKey(
                        "apikey_01" + _b62(self.seed, "akcc", p.person_id),
                        "anthropic",
                        f"claude_code_key_{p.github_login}",
                        p.person_id,
                        created,
                        is_claude_code=True,
                    )
                )
            if "openai_api" in p.platforms:
                keys.append(
                    ApiKey(
                        "key_" + _b62(self.seed, "ok", p.person_id, n=16),
                        "openai",
                        f"{p.github_login}-codex",
                        p.person_id,
                        created,
                    )
                )
        return keys

    # ------------------------------------------------------------------------- pass 2: work

    def _local(self, person: Person, day: date, hour: float) -> datetime:
        """A UTC instant for ``hour`` o'clock local time on ``day`` in the person's zone."""
        return datetime.combine(day, time(0), tzinfo=UTC) + timedelta(
            hours=hour - person.utc_offset_hours
        )

    def _workdays(self, person: Person, rng: random.Random) -> list[date]:
        days = []
        for k in range(self.profile.days):
            day = self.profile.start + timedelta(days=k)
            if day.weekday() < 5 or rng.random() < 0.06:
                days.append(day)
        return days

    def _plan_work(self, people: list[Person], repos: list[Repository]) -> None:
        for person in people:
            rng = _rng(self.seed, "work", person.person_id)
            markers = rng.random() >= 0.2
            days = self._workdays(person, rng)
            i = 0
            while i < len(days):
                span = min(len(days) - i, rng.choice((1, 1, 2, 2, 3)))
                task_days = days[i : i + span]
                i += span
                platform = None
                if person.platforms and rng.random() < 0.85:
                    platform = rng.choice(person.platforms)
                repo_choices = self.team_repos[person.team]
                repo = rng.choice(repo_choices) if rng.random() < 0.9 else rng.choice(repos)
                roll = rng.random()
                rework = self.profile.rework_share
                intent = (
                    "productive"
                    if roll < 0.87 - rework
                    else "rework"
                    if roll < 0.87
                    else "abandoned"
                )
                work_type = _weighted(rng, tuple((w[0], w[1]) for w in WORK_TYPES))
                dev_start = self._local(person, task_days[0], rng.uniform(9, 11))
                dev_end = self._local(person, task_days[-1], rng.uniform(15, 18))
                task = Task(
                    task_id=f"t{len(self.tasks) + 1:06d}",
                    person=person,
                    repo=repo,
                    platform=platform,
                    intent=intent,
                    dev_start=dev_start,
                    dev_end=dev_end,
                    work_type=work_type,
                    subject=rng.choice(SUBJECTS),
                    markers=markers,
                )
                if intent == "abandoned" and rng.random() < 0.4:
                    task.has_pr = False
                if intent == "rework":
                    task.rework_by = "revert" if rng.random() < 0.3 else "rewrite"
                if platform == "copilot" and rng.random() < 0.25:
                    task.agent = "copilot_agent"
                elif platform == "cursor" and rng.random() < 0.15:
                    task.agent = "cursor_agent"
                elif platform == "claude_code" and rng.random() < 0.12:
                    task.agent = "claude_web"
                elif platform == "openai_api" and rng.random() < 0.3:
                    task.agent = "codex_cloud"
                self.tasks.append(task)
                if platform:
                    self._task_sessions(task, task_days, rng)
                # Exploratory sessions between tasks: questions, planning, reading code.
                for day in task_days:
                    if person.platforms and rng.random() < 0.45 * min(person.intensity, 2.0):
                        self._session(
                            person,
                            rng.choice(person.platforms),
                            "exploratory",
                            self._local(person, day, rng.uniform(8.5, 9.5)),
                            rng,
                            None,
                        )
            # A few people run agents around the clock with nothing to show for it.
            if person.platforms and rng.random() < 0.03:
                for day in days:
                    for hour in (1, 4, 21, 23):
                        self._session(
                            person,
                            person.platforms[0],
                            "exploratory",
                            self._local(person, day, hour + rng.random() / 2),
                            rng,
                            None,
                        )
        self._pull_requests()

    def _task_sessions(self, task: Task, task_days: list[date], rng: random.Random) -> None:
        per_day = self.profile.sessions_per_day * task.person.intensity
        for day in task_days:
            count = max(1, min(5, int(rng.expovariate(1 / per_day) + 0.5)))
            hours = sorted(rng.uniform(10, 17) for _ in range(count))
            last_end: datetime | None = None
            for hour in hours:
                at = self._local(task.person, day, hour)
                if last_end is not None and at < last_end + timedelta(minutes=45):
                    at = last_end + timedelta(minutes=45 + randint(rng, 0, 30))
                if at >= task.dev_end:
                    break
                # Some sessions go nowhere: most of their edits are rejected.
                rejected = rng.random() < 0.08
                session = self._session(
                    task.person,
                    task.platform or "",
                    "retry" if rejected else task.intent,
                    at,
                    rng,
                    task,
                    rejected_edits=rejected,
                )
                last_end = session.ended_at

    def _session(
        self,
        person: Person,
        platform: str,
        intent: str,
        at: datetime,
        rng: random.Random,
        task: Task | None,
        rejected_edits: bool = False,
    ) -> AISession:
        n = max(1, int(rng.lognormvariate(math.log(self.profile.requests_per_session), 0.6)))
        if platform == "copilot":
            n = max(1, n // 2)
        if intent == "exploratory":
            n = max(1, n // 3)
        offsets = [0]
        for _ in range(n - 1):
            offsets.append(offsets[-1] + randint(rng, 20, 240))
        at = self._place(person.person_id, platform, at, offsets[-1])
        model = _weighted(rng, PLATFORM_MODELS[platform])
        key = None
        if platform == "anthropic_api":
            key = self.keys.get((person.person_id, "anthropic", False))
        elif platform == "openai_api":
            key = self.keys.get((person.person_id, "openai", False))
        elif platform == "claude_code":
            key = self.keys.get((person.person_id, "anthropic", True))
        produces_code = intent != "exploratory"
        requests = []
        t = at
        context = randint(rng, 8_000, 24_000)
        for k in range(n):
            req_model = model
            if platform == "claude_code" and rng.random() < 0.12:
                req_model = "claude-haiku-4-5"  # subagents
            req = self._request(platform, req_model, t, k, context, rng)
            context = min(190_000, context + req.output_tokens + randint(rng, 500, 5_000))
            if context > 170_000:
                context = randint(rng, 20_000, 40_000)  # compaction
            req.api_key_id = key.api_key_id if key else None
            if produces_code and rng.random() < 0.45:
                req.lines_added = randint(rng, 1, 40)
                req.lines_removed = randint(rng, 0, 10)
                if rejected_edits:
                    req.edits_rejected = randint(rng, 1, 3)
                    req.edits_accepted = 1 if rng.random() < 0.2 else 0
                else:
                    req.edits_accepted = randint(rng, 1, 3)
                    req.edits_rejected = 1 if rng.random() < 0.1 else 0
                if req.edits_accepted == 0:
                    req.lines_added = req.lines_removed = 0
            requests.append(req)
            if k + 1 < n:
                t = at + timedelta(seconds=offsets[k + 1])
        session = AISession(
            session_id=f"s{len(self.sessions) + 1:07d}",
            person_id=person.person_id,
            platform=platform,
            intent=intent,
            started_at=requests[0].at,
            ended_at=requests[-1].at,
            requests=requests,
            repo=task.repo.full_name if task else None,
        )
        self.sessions.append(session)
        if task is not None:
            task.sessions.append(session)
        return session

    def _place(self, person_id: str, platform: str, at: datetime, seconds: int) -> datetime:
        """The first start at or after ``at`` that keeps this person's sessions on this platform
        more than the 30-minute session gap apart (so the truth's sessions are sessions)."""
        busy = self.busy.setdefault((person_id, platform), [])
        gap = timedelta(minutes=35)
        # Sessions mostly come in time order: one starting a gap after every earlier session's
        # end cannot overlap any of them, and skips the scan (quadratic in a person's sessions).
        latest = self.busy_until.get((person_id, platform))
        moved = latest is not None and at < latest + gap
        while moved:
            moved = False
            end = at + timedelta(seconds=seconds)
            for start_b, end_b in busy:
                if at < end_b + gap and start_b < end + gap:
                    at = end_b + gap + timedelta(minutes=5)
                    moved = True
                    break
        busy.append((at, at + timedelta(seconds=seconds)))
        latest = self.busy_until.get((person_id, platform))
        if latest is None or busy[-1][1] > latest:
            self.busy_until[(person_id, platform)] = busy[-1][1]
        return at

    def _request(
        self, platform: str, model: str, at: datetime, k: int, context: int, rng: random.Random
    ) -> AIRequest:
        day = at.date()
        if platform == "copilot":
            credits = Decimal(rng.choice((0, 0, 1, 1, 2, 3, 5, 8)))
            cli = rng.random() < 0.1
            return AIRequest(
                at=at,
                model=model,
                input_tokens=randint(rng, 800, 6_000) if cli else 0,
                cache_write_5m_tokens=0,
                cache_write_1h_tokens=0,
                cache_read_tokens=0,
                output_tokens=randint(rng, 100, 1_500) if cli else 0,
                cost_usd=credits * COPILOT_CREDIT_USD,
                ai_credits=credits,
            )
        agentic = platform in ("claude_code", "cursor")
        if k == 0:
            cache_read = 0
            write = context
        else:
            cache_read = context if agentic or rng.random() < 0.7 else 0
            write = randint(rng, 800, 6_000)
        write_1h = write if (k == 0 and platform == "claude_code" and rng.random() < 0.5) else 0
        write_5m = write - write_1h
        if platform == "openai_api":
            write_5m = write_5m if rng.random() < 0.3 else 0
        req = AIRequest(
            at=at,
            model=model,
            input_tokens=randint(rng, 20, 400) if agentic else randint(rng, 300, 4_000),
            cache_write_5m_tokens=write_5m,
            cache_write_1h_tokens=write_1h,
            cache_read_tokens=cache_read,
            output_tokens=int(rng.lognormvariate(math.log(700), 0.8)) + 20,
            cost_usd=Decimal(0),
        )
        price = self.prices.price(model, day)
        while price is None and model in PREDECESSORS:
            # Before a model's release, people used its predecessor.
            model = req.model = PREDECESSORS[model]
            price = self.prices.price(model, day)
        if platform == "cursor":
            req.cache_write_1h_tokens = 0
            req.cache_write_5m_tokens = write
            if price is None:
                i, w, r, o = CURSOR_HOUSE_PRICES[model]
                price = Price(i, w, w, r, o)
            cents = list_cost(price, req) * 100
            if rng.random() < 0.1:
                cents = cents * Decimal("0.9")  # discountPercentOff: 10
            fee = Decimal(0) if model in CURSOR_HOUSE_PRICES else (cents * Decimal("0.06"))
            req.cost_usd = ((cents + fee).quantize(MICRO, ROUND_HALF_EVEN)) / 100
        else:
            assert price is not None, f"no list price for {model} on {day}"
            req.cost_usd = list_cost(price, req)
        return req

    def _pull_requests(self) -> None:
        """Timelines of the tasks' PRs: open, review, respond, merge or close; then follow-ups."""
        by_person: dict[str, list[Person]] = {}
        for task in self.tasks:
            by_person.setdefault(task.person.team, []).append(task.person)
        teammates = {
            t: sorted({p.person_id: p for p in ps}.values(), key=lambda p: p.person_id)
            for t, ps in by_person.items()
        }
        everyone = sorted(
            {t.person.person_id: t.person for t in self.tasks}.values(), key=lambda p: p.person_id
        )
        self.teammates = teammates
        self.everyone = everyone
        for task in list(self.tasks):
            if task.has_pr:
                self._open_pr(task)
        for task in [t for t in self.tasks if t.rework_by and t.pr and t.pr.merged_at]:
            self._follow_up(task)
        self._label_rework_that_never_lands()

    def _reviewer(self, author: Person, rng: random.Random) -> Person:
        pool = [p for p in self.teammates.get(author.team, []) if p.person_id != author.person_id]
        if not pool:
            pool = [p for p in self.everyone if p.person_id != author.person_id]
        return rng.choice(pool)

    def _next_number(self, repo: Repository) -> int:
        self.pr_numbers[repo.full_name] = self.pr_numbers.get(repo.full_name, 100) + 1
        return self.pr_numbers[repo.full_name]

    def _open_pr(self, task: Task, created_at: datetime | None = None) -> None:
        rng = _rng(self.seed, "pr", task.task_id)
        person = task.person
        repo = task.repo
        number = self._next_number(repo)
        created = created_at or task.dev_end + timedelta(minutes=randint(rng, 5, 90))
        created = min(created, self.end - timedelta(minutes=1))
        wt = next(w for w in WORK_TYPES if w[0] == task.work_type)
        slug = task.subject.replace(" ", "-").replace(",", "")[:40]
        style = rng.random()
        labels: list[str] = []
        if task.target is not None and task.rework_by == "revert":
            title = f'Revert "{task.target.pr.title}"' if task.target.pr else "Revert"
            head = (
                f"revert-{task.target.pr.number}-{task.target.pr.head_ref}"
                if task.target.pr
                else "revert"
            )
        else:
            if style < 0.6:
                scope = rng.choice(("", "(api)", "(billing)", "(ui)"))
                title = f"{task.work_type}{scope}: {task.subject}"
            else:
                title = task.subject[0].upper() + task.subject[1:]
                if wt[3] and style < 0.8:
                    labels.append(wt[3])
            head = f"{wt[2]}{slug}" if style >= 0.3 else f"{person.github_login}/{slug}"
        body = f"This PR addresses {task.subject}."
        author_login, author_type, author_id = person.github_login, "User", person.github_id
        if task.agent == "copilot_agent":
            author_login, author_type, author_id = COPILOT_AGENT[0], "Bot", COPILOT_AGENT[1]
            head = f"copilot/{slug}"
        elif task.agent == "cursor_agent":
            head = f"cursor/{slug}-{_hex(task.task_id, n=4)}"
        elif task.agent == "claude_web":
            adjective = rng.choice(("practical", "quiet", "brave"))
            noun = rng.choice(("cannon", "river", "maple"))
            head = f"claude/{adjective}-{noun}-{_hex(task.task_id, n=6)}"
        elif task.agent == "codex_cloud":
            head = f"codex/{slug}"
            labels.append("codex")
            body += f"\n\n[Codex Task](https://chatgpt.com/codex/tasks/task_e_{_hex(task.task_id)})"
        if task.platform == "claude_code" and task.markers:
            body += "\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)"
        is_draft = rng.random() < 0.15
        published = created + timedelta(hours=rng.uniform(1, 6)) if is_draft else created
        pr = PullRequest(
            repo=repo.full_name,
            number=number,
            node_id="PR_" + _b62(self.seed, "pr", repo.full_name, number, n=16),
            title=title,
            body=body,
            author_login=author_login,
            author_type=author_type,
            author_id=author_id,
            head_ref=head,
            base_ref=repo.default_branch,
            created_at=created,
            updated_at=created,
            state="OPEN",
            is_draft=is_draft,
            published_at=published,
            closed_at=None,
            merged_at=None,
            merged_by=None,
            labels=labels,
            commits=[],
            reviews=[],
            review_threads=[],
            comments=0,
            timeline=[],
            files=[],
            additions=0,
            deletions=0,
            person_id=person.person_id,
            intent=task.intent,
            platform=task.platform,
        )
        task.pr = pr
        repo.pull_requests.append(pr)
        for s in task.sessions:
            s.pr = (repo.full_name, number)
            s.branch = head
        # Commits: spread over the task's sessions (agents commit while they work).
        times = [
            s.ended_at - timedelta(minutes=randint(rng, 0, 5))
            for s in task.sessions
            if s.intent != "retry" and rng.random() < 0.8
        ]
        if not times:
            times = [created - timedelta(minutes=randint(rng, 10, 60))]
        task.commit_times = sorted(times)[:6]
        if is_draft:
            pr.timeline.append(TimelineEvent("ReadyForReviewEvent", published, author_login))
        reviewer = self._reviewer(person, rng)
        pr.timeline.append(
            TimelineEvent(
                "ReviewRequestedEvent",
                published,
                author_login,
                {"requested_reviewer": reviewer.github_login},
            )
        )
        first_review = published + timedelta(hours=rng.lognormvariate(math.log(5), 0.9))
        if task.target is not None and task.rework_by == "revert":
            first_review = published + timedelta(minutes=randint(rng, 20, 120))
        if task.intent == "abandoned":
            if rng.random() < 0.5:
                self._review(pr, "COMMENTED", first_review, reviewer, rng)
            closed = created + timedelta(days=rng.uniform(1, 5))
            self._close(pr, closed, person.github_login)
            return
        ai_heavy = task.platform is not None
        changes_requested = rng.random() < (0.3 if ai_heavy else 0.18) and task.target is None
        t = first_review
        if changes_requested:
            self._review(pr, "CHANGES_REQUESTED", t, reviewer, rng)
            task.changes_requested_at = t
            fix_at = t + timedelta(hours=rng.uniform(1, 8))
            task.review_fix_at = fix_at
            if task.platform:
                s = self._session(person, task.platform, "retry", fix_at, rng, task)
                s.pr = (repo.full_name, number)
                s.branch = head
                fix_at = s.ended_at
            task.commit_times.append(fix_at + timedelta(minutes=2))
            t = fix_at + timedelta(hours=rng.lognormvariate(math.log(3), 0.7))
        self._review(pr, "APPROVED", t, reviewer, rng)
        merged = t + timedelta(hours=rng.uniform(0.2, 6))
        if rng.random() < 0.03:
            # Closed by mistake and reopened: sessions after the reopen are retries.
            self._close(pr, merged, person.github_login)
            reopened = merged + timedelta(hours=rng.uniform(1, 20))
            pr.timeline.append(TimelineEvent("ReopenedEvent", reopened, person.github_login))
            pr.state, pr.closed_at = "OPEN", None
            merged = reopened + timedelta(hours=rng.uniform(1, 5))
        if merged >= self.end:
            return  # still open when the world ends
        pr.state = "MERGED"
        pr.merged_at = pr.closed_at = merged
        pr.merged_by = reviewer.github_login if rng.random() < 0.3 else person.github_login
        pr.timeline.append(TimelineEvent("MergedEvent", merged, pr.merged_by))
        pr.updated_at = max(pr.updated_at, merged)

    def _review(
        self, pr: PullRequest, state: str, at: datetime, who: Person, rng: random.Random
    ) -> None:
        if at >= self.end:
            return
        comments = 0 if state == "APPROVED" and rng.random() < 0.7 else randint(rng, 1, 6)
        pr.reviews.append(Review(state, at, who.github_login, "User", comments))
        for _ in range(comments if state != "APPROVED" else 0):
            pr.review_threads.append(
                ReviewThread(
                    path="",
                    is_resolved=rng.random() < 0.8,
                    is_outdated=rng.random() < 0.3,
                    comments=randint(rng, 1, 4),
                    created_at=at,
                )
            )
        pr.comments += randint(rng, 0, 2)
        pr.updated_at = max(pr.updated_at, at)

    def _close(self, pr: PullRequest, at: datetime, who: str) -> None:
        if at >= self.end:
            return
        pr.state = "CLOSED"
        pr.closed_at = at
        pr.timeline.append(TimelineEvent("ClosedEvent", at, who))
        pr.updated_at = max(pr.updated_at, at)

    def _follow_up(self, original: Task) -> None:
        """A revert of, or a PR rewriting, ``original``'s lines within the durability window."""
        rng = _rng(self.seed, "follow", original.task_id)
        pr = original.pr
        assert pr is not None and pr.merged_at is not None
        if original.rework_by == "revert":
            start = pr.merged_at + timedelta(hours=rng.uniform(3, 72))
            author = rng.choice([original.person, self._reviewer(original.person, rng)])
            platform = None
            work_type = "fix"
        else:
            # Within days to a week or so; sooner in short worlds, so the rewrite happens in them.
            start = pr.merged_at + timedelta(days=rng.uniform(0.5, min(9, self.profile.days / 3)))
            author = self._reviewer(original.person, rng) if rng.random() < 0.6 else original.person
            platform = rng.choice(author.platforms) if author.platforms else None
            work_type = rng.choice(("fix", "refactor"))
        end = start + timedelta(hours=rng.uniform(2, 8))
        if end + timedelta(days=1) >= self.end:
            return
        task = Task(
            task_id=f"t{len(self.tasks) + 1:06d}",
            person=author,
            repo=original.repo,
            platform=platform,
            intent="productive",
            dev_start=start,
            dev_end=end,
            work_type=work_type,
            subject=original.subject,
            markers=original.markers,
            rework_by=original.rework_by,
            target=original,
        )
        self.tasks.append(task)
        if platform:
            self._session(author, platform, "productive", start, rng, task)
        self._open_pr(task)
        if task.pr is not None and original.pr is not None and original.rework_by == "revert":
            task.pr.body = f"Reverts {original.repo.full_name}#{original.pr.number}"
            task.pr.reverts = (original.repo.full_name, original.pr.number)
            original.pr.timeline.append(
                TimelineEvent(
                    "CrossReferencedEvent",
                    task.pr.created_at,
                    author.github_login,
                    {"source_pr": task.pr.number, "will_close_target": False},
                )
            )

    def _label_rework_that_never_lands(self) -> None:
        """A rework task whose revert or rewrite does not merge before the world ends is productive.

        The truth's intents must agree with the world's own history: a PR that nothing reverts or
        rewrites lasts, in git and in the truth's survival, so its sessions were productive here.
        Only the labels change (never a random draw), so the world stays the same byte for byte.
        """
        landed = {
            id(t.target)
            for t in self.tasks
            if t.target is not None and t.pr is not None and t.pr.merged_at is not None
        }
        for task in self.tasks:
            if task.intent != "rework" or id(task) in landed:
                continue
            task.intent = "productive"
            if task.pr is not None:
                task.pr.intent = "productive"
            for session in task.sessions:
                if session.intent == "rework":
                    session.intent = "productive"

    def _dependency_bumps(self, repos: list[Repository], people: list[Person]) -> None:
        """Weekly dependency PRs by a bot: bot-only PRs, touching only lock files."""
        for repo in repos:
            rng = _rng(self.seed, "deps", repo.full_name)
            maintainers = [p for p in people if repo in self.team_repos[p.team]] or people
            for week in range(0, self.profile.days, 7):
                created = self.start + timedelta(days=week, hours=rng.uniform(3, 6))
                lib = rng.choice(("lodash", "requests", "grpc", "protobuf", "urllib3"))
                old = f"{randint(rng, 1, 4)}.{randint(rng, 0, 20)}.{randint(rng, 0, 9)}"
                new = old.rsplit(".", 1)[0] + f".{int(old.rsplit('.', 1)[1]) + 1}"
                task = Task(
                    task_id=f"t{len(self.tasks) + 1:06d}",
                    person=rng.choice(maintainers),
                    repo=repo,
                    platform=None,
                    intent="productive",
                    dev_start=created,
                    dev_end=created,
                    work_type="chore",
                    subject=f"bump {lib} from {old} to {new}",
                )
                task.agent = "dependabot"
                self.tasks.append(task)
                self._open_bot_pr(task, lib, created, rng)

    def _open_bot_pr(self, task: Task, lib: str, created: datetime, rng: random.Random) -> None:
        repo = task.repo
        number = self._next_number(repo)
        merged = created + timedelta(hours=rng.uniform(20, 40))
        state = "MERGED" if merged < self.end else "OPEN"
        pr = PullRequest(
            repo=repo.full_name,
            number=number,
            node_id="PR_" + _b62(self.seed, "pr", repo.full_name, number, n=16),
            title=f"chore(deps): {task.subject}",
            body=f"Bumps {lib}.\n\nDependabot will resolve any conflicts with this PR.",
            author_login=DEPENDABOT[0],
            author_type="Bot",
            author_id=DEPENDABOT[1],
            head_ref=f"dependabot/{lib}-{task.task_id}",
            base_ref=repo.default_branch,
            created_at=created,
            updated_at=created,
            state=state,
            is_draft=False,
            published_at=created,
            closed_at=merged if state == "MERGED" else None,
            merged_at=merged if state == "MERGED" else None,
            merged_by=task.person.github_login if state == "MERGED" else None,
            labels=["dependencies"],
            commits=[],
            reviews=[],
            review_threads=[],
            comments=0,
            timeline=[],
            files=[],
            additions=0,
            deletions=0,
            person_id=None,
            intent="productive",
            platform=None,
        )
        if state == "MERGED":
            approve = merged - timedelta(minutes=randint(rng, 5, 60))
            pr.reviews.append(Review("APPROVED", approve, task.person.github_login))
            pr.timeline.append(TimelineEvent("MergedEvent", merged, task.person.github_login))
            pr.updated_at = merged
        task.pr = pr
        task.commit_times = [created - timedelta(minutes=1)]
        repo.pull_requests.append(pr)

    # ----------------------------------------------------------------------- pass 3: history

    def _history(self, repos: list[Repository]) -> None:
        """Plan each PR's edits when it opens, and land them when it merges, in time order."""
        tasks_by_repo: dict[str, list[Task]] = {}
        for task in self.tasks:
            if task.pr is not None:
                tasks_by_repo.setdefault(task.repo.full_name, []).append(task)
        for repo in repos:
            events: list[tuple[datetime, int, str, Task]] = []
            for task in tasks_by_repo.get(repo.full_name, []):
                pr = task.pr
                assert pr is not None
                first_commit = min(task.commit_times) if task.commit_times else pr.created_at
                events.append((first_commit, pr.number, "open", task))
                if pr.merged_at is not None:
                    events.append((pr.merged_at, pr.number, "merge", task))
            events.sort(key=lambda e: (e[0], e[1], e[2] != "open"))
            for _at, _n, kind, task in events:
                if kind == "open":
                    self._branch(repo, task)
                else:
                    self._merge(repo, task)
            repo.pull_requests.sort(key=lambda p: p.number)

    def _plan_edits(
        self, repo: Repository, task: Task, files: dict[str, list[Line]], rng: random.Random
    ) -> list[Edit]:
        pr = task.pr
        assert pr is not None
        key: PrKey = (repo.full_name, pr.number)
        factory = self.factories[repo.full_name]
        code_paths = sorted(p for p in files if p.startswith("src/"))
        if task.agent == "dependabot":
            lock = next(
                p
                for p in sorted(files)
                if p.endswith(("poetry.lock", "package-lock.json", "go.sum"))
            )
            target = rng.sample(files[lock], min(3, len(files[lock])))
            return [
                Edit("replace", lock, old=target, new=[factory.line(lock, key) for _ in target])
            ]
        if task.target is not None and task.target.pr is not None:
            orig_key = (repo.full_name, task.target.pr.number)
            holders = {id(lines) for lines in task.target.merged_into}
            owned = [
                (path, line)
                for path in sorted(files)
                if id(files[path]) in holders
                for line in files[path]
                if line.origin == orig_key
            ]
            if task.rework_by == "revert":
                by_path: dict[str, list[Line]] = {}
                for path, line in owned:
                    by_path.setdefault(path, []).append(line)
                return [Edit("delete", path, old=lines) for path, lines in by_path.items()]
            # A rewrite replaces most of the original's lines: its 30-day survival falls below
            # the durability threshold.
            chosen = [x for x in owned if len(x[1].text.strip()) > 3 and rng.random() < 0.7]
            by_path = {}
            for path, line in chosen:
                by_path.setdefault(path, []).append(line)
            edits = [
                Edit("replace", path, old=lines, new=[factory.line(path, key) for _ in lines])
                for path, lines in by_path.items()
            ]
            return edits
        edits: list[Edit] = []
        if task.work_type == "docs":
            lines = files.get("README.md", [])
            anchor = rng.choice(lines) if lines else None
            return [
                Edit(
                    "insert",
                    "README.md",
                    anchor=anchor,
                    new=factory.block("README.md", key, randint(rng, 3, 15)),
                )
            ]
        n_files = rng.choice((1, 1, 2, 2, 3))
        for path in rng.sample(code_paths, min(n_files, len(code_paths))):
            lines = files[path]
            anchor = rng.choice(lines) if lines else None
            # Lines land mostly away from other PRs' fresh lines: productive work mostly lasts.
            edits.append(
                Edit(
                    "insert", path, anchor=anchor, new=factory.block(path, key, randint(rng, 4, 30))
                )
            )
            if task.rework_by != "revert" and rng.random() < 0.5:
                base_lines = [x for x in lines if x.origin is None and len(x.text.strip()) > 3]
                old = rng.sample(base_lines, min(len(base_lines), randint(rng, 1, 4)))
                if old:
                    edits.append(
                        Edit("replace", path, old=old, new=[factory.line(path, key) for _ in old])
                    )
        if task.rework_by != "revert" and rng.random() < 0.08:
            ext = code_paths[0].rsplit(".", 1)[1] if code_paths else "py"
            new_path = f"src/{rng.choice(('core', 'api', 'jobs'))}/{_WORD(rng)}_{pr.number}.{ext}"
            edits.append(
                Edit("create", new_path, new=factory.block(new_path, key, randint(rng, 10, 40)))
            )
        if task.review_fix_at is not None and edits and edits[0].kind == "insert":
            first = edits[0]
            edits.append(
                Edit(
                    "insert",
                    first.path,
                    anchor=first.new[-1],
                    new=factory.block(first.path, key, randint(rng, 2, 6)),
                )
            )
        if rng.random() < 0.1:
            lock = next(
                p
                for p in sorted(files)
                if p.endswith(("poetry.lock", "package-lock.json", "go.sum"))
            )
            anchor = rng.choice(files[lock])
            edits.append(
                Edit("insert", lock, anchor=anchor, new=[factory.line(lock, key) for _ in range(3)])
            )
        if task.rework_by != "revert" and rng.random() < 0.03 and code_paths:
            old_path = rng.choice(code_paths)
            edits.append(
                Edit(
                    "rename",
                    old_path,
                    new_path=old_path.replace("/", "/moved_", 1)
                    if old_path.count("/")
                    else "moved_" + old_path,
                )
            )
        return edits

    def _branch(self, repo: Repository, task: Task) -> None:
        """The PR's branch commits, on the default branch as it is now."""
        pr = task.pr
        assert pr is not None
        rng = _rng(self.seed, "branch", repo.full_name, pr.number)
        base_files = self.files[repo.full_name]
        edits = self._plan_edits(repo, task, base_files, rng)
        task.edits = edits
        # Copy-on-write: the branch shares the default branch's file lists and copies a list
        # only before an edit changes it (copying every file per PR was quadratic).
        work = dict(base_files)
        copies: dict[int, list[Line]] = {}
        blobs = self.blobs[repo.full_name].copy()
        parent = repo.history[-1]
        times = sorted(task.commit_times) or [pr.created_at]
        chunks: list[list[Edit]] = [[] for _ in times]
        if task.review_fix_at is not None and len(times) > 1 and edits:
            # The commit answering the review holds the last edit; the others share the rest.
            chunks[-1].append(edits[-1])
            for i, edit in enumerate(edits[:-1]):
                chunks[i % (len(times) - 1)].append(edit)
        else:
            for i, edit in enumerate(edits):
                chunks[i % len(times)].append(edit)
        person = task.person
        trailer = AGENT_TRAILERS.get(task.platform or "") if task.markers else None
        if task.agent == "dependabot":
            author = (
                f"{DEPENDABOT[0]}[bot]",
                f"{DEPENDABOT[1]}+dependabot[bot]@users.noreply.github.com",
            )
            login = f"{DEPENDABOT[0]}[bot]"
        elif task.agent == "copilot_agent":
            author, login = COPILOT_AGENT_COMMITTER, "copilot-swe-agent[bot]"
        elif task.agent == "cursor_agent" and task.markers:
            author, login = ("Cursor Agent", "cursoragent@cursor.com"), None
        else:
            author, login = (person.name, person.commit_email), person.github_login
        for i, (at, chunk) in enumerate(zip(times, chunks, strict=True)):
            for edit in chunk:
                for path in (edit.path, edit.new_path):
                    if path is not None and path in work and id(work[path]) not in copies:
                        work[path] = list(work[path])
                        copies[id(work[path])] = work[path]
            touched, renames, adds, dels = apply_edits(work, chunk)
            if task.target is not None and task.rework_by == "revert" and task.target.pr:
                target = task.target.pr
                sha = target.merge_commit.oid if target.merge_commit else ""
                message = f'Revert "{target.title}"\n\nThis reverts commit {sha}.'
            elif task.agent == "copilot_agent" and i == 0:
                message = "Initial plan"
            elif task.review_fix_at is not None and i == len(times) - 1 and len(times) > 1:
                message = "Address review comments"
            else:
                message = (
                    f"{task.work_type}: {task.subject} (part {i + 1})"
                    if len(times) > 1
                    else pr.title
                )
            trailers = []
            if task.agent == "copilot_agent":
                trailers.append(f"Co-authored-by: {person.github_login} <{person.commit_email}>")
            elif trailer:
                trailers.append(trailer)
                if task.platform == "cursor" and rng.random() < 0.3:
                    trailers.append("Made-with: Cursor")
            if trailers:
                message += "\n\n" + "\n".join(trailers)
            commit = make_commit(
                work,
                touched,
                renames,
                parent,
                message,
                author,
                at,
                author,
                at,
                adds,
                dels,
                author_login=login,
                committer_login=login,
                blobs=blobs,
            )
            pr.commits.append(commit)
            parent = commit
        pr.files = file_stats(base_files, work)
        pr.additions = sum(f.additions for f in pr.files)
        pr.deletions = sum(f.deletions for f in pr.files)
        code_files = [f.path for f in pr.files]
        for thread in pr.review_threads:
            thread.path = rng.choice(code_files) if code_files else "README.md"
        # Sessions remember how many of the PR's commits they authored (attribution weights).
        for s in task.sessions:
            s.commits_during = sum(
                1
                for c in pr.commits
                if s.started_at <= c.authored_at <= s.ended_at + timedelta(minutes=5)
            )

    def _merge(self, repo: Repository, task: Task) -> None:
        """Squash-merge the PR onto the default branch as it is at merge time."""
        pr = task.pr
        assert pr is not None and pr.merged_at is not None
        files = self.files[repo.full_name]
        touched, renames, adds, dels = apply_edits(files, task.edits)
        task.merged_into = [lines for lines in touched.values() if lines is not None]
        headlines = [c.message.split("\n", 1)[0] for c in pr.commits]
        trailers: list[str] = []
        for c in pr.commits:
            for line in c.message.splitlines():
                if (
                    line.lower().startswith(("co-authored-by:", "made-with:"))
                    and line not in trailers
                ):
                    trailers.append(line)
        body_parts = []
        if len(pr.commits) > 1:
            body_parts.append("\n\n".join(f"* {h}" for h in headlines))
        elif pr.commits and "\n\n" in pr.commits[0].message:
            first_body = pr.commits[0].message.split("\n\n", 1)[1].strip()
            kept = [x for x in first_body.splitlines() if x not in trailers]
            if kept:
                body_parts.append("\n".join(kept))
        if trailers:
            body_parts.append("\n".join(trailers))
        message = f"{pr.title} (#{pr.number})"
        if body_parts:
            message += "\n\n" + "\n\n".join(body_parts)
        if pr.author_type == "Bot":
            author = (
                f"{pr.author_login}[bot]",
                f"{pr.author_id}+{pr.author_login}[bot]@users.noreply.github.com",
            )
            login = f"{pr.author_login}[bot]"
        else:
            person = task.person
            author, login = (person.name, person.commit_email), person.github_login
        commit = make_commit(
            files,
            touched,
            renames,
            repo.history[-1],
            message,
            author,
            pr.merged_at,
            GITHUB_COMMITTER,
            pr.merged_at,
            adds,
            dels,
            author_login=login,
            committer_login=None,
            blobs=self.blobs[repo.full_name],
        )
        repo.history.append(commit)
        pr.merge_commit = commit
        for event in pr.timeline:
            if event.typename == "MergedEvent":
                event.data["commit_oid"] = commit.oid


def _WORD(rng: random.Random) -> str:
    return rng.choice(
        ("ledger", "invoice", "session", "router", "cache", "quota", "report", "token")
    )
