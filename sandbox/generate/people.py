"""Pass 1, people and places: engineers in teams and time zones with their identities at each
vendor, repositories with an initial import, API keys and Copilot seats."""

from __future__ import annotations

import math
from datetime import timedelta

from sandbox.generate.state import ORG, Simulation, b62, seeded, weighted, word
from sandbox.history import LineFactory, TreeIndex, make_commit, randint
from sandbox.model import ApiKey, CopilotSeat, Line, Person, Repository

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


def make_people(sim: Simulation) -> list[Person]:
    rng = seeded(sim.seed, sim.profile.name, "people")
    n_teams = sim.profile.teams
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
    sizes = [max(2, int(w / sum(weights) * sim.profile.people)) for w in weights]
    while sum(sizes) > sim.profile.people:
        sizes[sizes.index(max(sizes))] -= 1
    while sum(sizes) < sim.profile.people:
        sizes[sizes.index(max(sizes))] += 1
    team_of = [team for team, size in zip(team_names, sizes, strict=True) for _ in range(size)]
    rng.shuffle(team_of)
    people: list[Person] = []
    logins: set[str] = set()
    for i in range(sim.profile.people):
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
                chosen = [weighted(rng, tuple(PLATFORM_WEIGHTS.items()))]
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
                    "anthropic": "user_01" + b62(sim.seed, "ant", person_id, n=22),
                    "openai": "user-" + b62(sim.seed, "oai", person_id, n=24),
                    "cursor": "user_" + b62(sim.seed, "cur", person_id, n=26),
                    "cursor_numeric": str(40_000 + i),
                },
                # Heavy-tailed: most people use AI moderately, a few very heavily.
                intensity=min(6.0, math.exp(rng.gauss(-0.1, 0.75))),
                joined_on=sim.profile.start - timedelta(days=randint(rng, 30, 900)),
            )
        )
    return people


def make_repositories(sim: Simulation, people: list[Person]) -> list[Repository]:
    repos = []
    for i in range(sim.profile.repositories):
        base = REPO_NAMES[i % len(REPO_NAMES)]
        name = base if i < len(REPO_NAMES) else f"{base}-{i // len(REPO_NAMES) + 1}"
        repos.append(
            Repository(
                full_name=f"{ORG}/{name}",
                node_id="R_" + b62(sim.seed, "repo", name, n=16),
                database_id=500_000 + i,
                default_branch="main",
                created_at=sim.start - timedelta(days=400 - i),
            )
        )
    for repo in repos:
        import_repository(sim, repo)
    # Each team works mostly in one or two repositories.
    teams = sorted({p.team for p in people})
    sim.team_repos = {
        team: [repos[(k * 3 + j) % len(repos)] for j in range(min(2, len(repos)))]
        for k, team in enumerate(teams)
    }
    return repos


def import_repository(sim: Simulation, repo: Repository) -> None:
    """The repository's initial import: some code, a README, a lock file and a vendored shim."""
    factory = sim.factories[repo.full_name] = LineFactory(seeded(sim.seed, "lines", repo.full_name))
    rng = seeded(sim.seed, "import", repo.full_name)
    ext = rng.choice((".py", ".ts", ".go"))
    files: dict[str, list[Line]] = {}
    for j in range(randint(rng, 8, 14)):
        pkg = rng.choice(("core", "api", "jobs", "lib"))
        path = f"src/{pkg}/{word(rng)}_{j}{ext}"
        files[path] = factory.block(path, None, randint(rng, 30, 90))
    files["README.md"] = factory.block("README.md", None, 12)
    lock = {".py": "poetry.lock", ".ts": "package-lock.json", ".go": "go.sum"}[ext]
    files[lock] = factory.block(lock, None, 60)
    files["vendor/thirdparty/shim" + ext] = factory.block("vendor/thirdparty/shim" + ext, None, 20)
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
    sim.files[repo.full_name] = files
    sim.blobs[repo.full_name] = blobs


def make_api_keys(sim: Simulation, people: list[Person]) -> list[ApiKey]:
    keys = []
    for p in people:
        rng = seeded(sim.seed, "keys", p.person_id)
        created = sim.start - timedelta(days=randint(rng, 10, 300))
        if "anthropic_api" in p.platforms:
            keys.append(
                ApiKey(
                    "apikey_01" + b62(sim.seed, "ak", p.person_id),
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
                    "apikey_01" + b62(sim.seed, "akcc", p.person_id),
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
                    "key_" + b62(sim.seed, "ok", p.person_id, n=16),
                    "openai",
                    f"{p.github_login}-codex",
                    p.person_id,
                    created,
                )
            )
    return keys


def copilot_seats(sim: Simulation, people: list[Person]) -> list[CopilotSeat]:
    """A Business seat for everyone who uses Copilot, granted some months before the world."""
    return [
        CopilotSeat(
            p.person_id,
            sim.start - timedelta(days=30 + seeded(sim.seed, "seat", p.person_id).randint(0, 200)),
            "business",
        )
        for p in people
        if "copilot" in p.platforms
    ]
