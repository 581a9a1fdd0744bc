"""GitHub as it really is (issue 22 §3), added to a generated world when its options ask.

Two steps around the branches pass:

* :func:`before_history` adds what changes git: PRs by GitHub Apps, oversized PRs, PRs with odd
  files, repositories with a lifecycle; and marks tidy PRs to be force-pushed, rebase-merged or
  made unfetchable. New tasks get ids of their own (``x…``) and PR numbers after every tidy PR,
  and draw from random streams of their own, so every tidy PR keeps its content.
* :func:`after_history` changes only what GitHub says about PRs: deleted accounts (ghosts),
  forks, Copilot's reviews.

Which PRs a case picks is a seeded draw over the PRs sorted by repository and number.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sandbox.generate.people import import_repository
from sandbox.generate.pulls import open_bot_pr, open_pr
from sandbox.generate.state import EditPlan, Simulation, Task, b62, hex_id, seeded
from sandbox.history import Edit, randint
from sandbox.model import (
    MAX_PR_COMMITS,
    MAX_PR_FILES,
    Commit,
    Gitlink,
    Line,
    Person,
    PrKey,
    PullRequest,
    RawLine,
    RepoEvent,
    Repository,
    Review,
)
from sandbox.reality import RealityOptions

RENOVATE = ("renovate", 29139614)
GITHUB_ACTIONS = ("github-actions", 41898282)
COPILOT_REVIEWER = "copilot-pull-request-reviewer"
LOCK_FILES = ("poetry.lock", "package-lock.json", "go.sum")


def before_history(
    sim: Simulation, people: list[Person], repos: list[Repository], options: RealityOptions
) -> tuple[list[Repository], Person | None]:
    """Add and mark what git must hold; returns the added repositories and the ghost-to-be."""
    ghost = _choose_ghost(sim, people) if options.ghosts else None
    authors = [p for p in people if p is not ghost]
    if options.bots:
        for repo in repos:
            _app_prs(sim, repo, authors)
    if options.oversized_prs:
        _oversized_prs(sim, repos[0], authors)
    if options.odd_files:
        _odd_file_prs(sim, repos[0], authors)
    marks = options.force_pushes or options.rebase_merges or options.unfetchable_refs
    tidy = _tidy_human_tasks(sim) if marks else []
    if options.force_pushes:
        for task in _pick(sim, "force", tidy, 2, lambda t: t.pr.state in ("MERGED", "OPEN")):
            task.force_push = True
    if options.rebase_merges:
        for task in _pick(
            sim,
            "rebase",
            tidy,
            2,
            lambda t: t.pr.state == "MERGED" and t.target is None and len(t.commit_times) >= 2,
        ):
            task.pr.merge_method = "REBASE"
    if options.unfetchable_refs:
        for task in _pick(sim, "unfetchable", tidy, 1, lambda t: t.pr.state == "CLOSED"):
            task.pr.unfetchable = True
    extra = _lifecycle_repositories(sim, authors, repos) if options.repo_lifecycle else []
    return extra, ghost


def after_history(
    sim: Simulation,
    repos: list[Repository],
    options: RealityOptions,
    ghost: Person | None,
) -> None:
    """Change what GitHub shows about PRs that git does not record."""
    if ghost is not None:
        _delete_account(repos, ghost)
    tidy = _tidy_human_tasks(sim) if options.forks or options.bots else []
    if options.forks:
        forked = _pick(sim, "fork", tidy, 2, lambda t: t.pr.author_login is not None)
        for i, task in enumerate(forked):
            pr = task.pr
            assert pr is not None and pr.author_login is not None
            pr.fork = f"{pr.author_login}/{task.repo.name}"
            # The second fork of each repository has since been deleted.
            pr.fork_deleted = i % 2 == 1
    if options.bots:
        for task in _pick(sim, "copilot-review", tidy, 3, lambda t: t.pr.state == "MERGED"):
            pr = task.pr
            assert pr is not None
            at = pr.created_at + timedelta(minutes=12)
            pr.reviews.append(Review("COMMENTED", at, COPILOT_REVIEWER, "Bot", 2))
            pr.reviews.sort(key=lambda r: r.submitted_at)


# ------------------------------------------------------------------------------------ choosing


def _tidy_human_tasks(sim: Simulation) -> list[Task]:
    """The tidy world's human-authored PRs (no bots, no added tasks), by repository and number."""
    tasks = [
        t
        for t in sim.tasks
        if t.pr is not None
        and t.task_id.startswith("t")
        and t.pr.author_type == "User"
        and not t.pr.unfetchable
    ]
    return sorted(tasks, key=lambda t: (t.repo.full_name, t.pr.number))


def _pick(
    sim: Simulation, label: str, tasks: list[Task], per_repo: int, keep: Callable[[Task], bool]
) -> list[Task]:
    """``per_repo`` tasks of each repository that ``keep`` accepts, drawn with a seeded stream.

    A PR carries at most one of the cases that change git (force-push, rebase), so what each
    case's test sees is that case alone."""
    rng = seeded(sim.seed, "reality", label)
    chosen: list[Task] = []
    by_repo: dict[str, list[Task]] = {}
    for task in tasks:
        by_repo.setdefault(task.repo.full_name, []).append(task)
    for name in sorted(by_repo):
        candidates = [
            t
            for t in by_repo[name]
            if keep(t) and not t.force_push and t.pr.merge_method == "SQUASH"
        ]
        chosen += rng.sample(candidates, min(per_repo, len(candidates)))
    return sorted(chosen, key=lambda t: (t.repo.full_name, t.pr.number))


def _choose_ghost(sim: Simulation, people: list[Person]) -> Person | None:
    """Who deleted their account: an author of PRs who uses no AI (or the least), so that the
    truth's sessions and attribution stay as they were."""
    authored = {
        t.person.person_id for t in sim.tasks if t.pr is not None and t.pr.author_type == "User"
    }
    sessions: dict[str, int] = {}
    for s in sim.sessions:
        sessions[s.person_id] = sessions.get(s.person_id, 0) + 1
    candidates = [p for p in people if p.person_id in authored]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (sessions.get(p.person_id, 0), p.person_id))


def _day(sim: Simulation, share: float, hours: float = 10.0) -> datetime:
    """A moment ``share`` of the way through the world (never its first or last day)."""
    day = max(1, min(sim.profile.days - 2, round(sim.profile.days * share)))
    return sim.start + timedelta(days=day, hours=hours)


def _author(sim: Simulation, label: str, people: list[Person]) -> Person:
    return seeded(sim.seed, "reality-author", label).choice(
        sorted(people, key=lambda p: p.person_id)
    )


def extra_task(
    sim: Simulation,
    repo: Repository,
    person: Person,
    at: datetime,
    subject: str,
    work_type: str,
    *,
    plan: EditPlan | None = None,
    intent: str = "productive",
    commits: int = 0,
) -> Task:
    """A PR added for a case: developed for two hours from ``at``, then reviewed and (for a
    productive intent) merged like any other; ``commits`` spreads that many commits over the
    development time."""
    n = sum(1 for t in sim.tasks if t.task_id.startswith("x")) + 1
    task = Task(
        task_id=f"x{n:05d}",
        person=person,
        repo=repo,
        platform=None,
        intent=intent,
        dev_start=at,
        dev_end=at + timedelta(hours=2),
        work_type=work_type,
        subject=subject,
        plan=plan,
    )
    sim.tasks.append(task)
    open_pr(sim, task)
    if commits:
        task.commit_times = [at + timedelta(seconds=20 * k) for k in range(commits)]
    return task


# ------------------------------------------------------------------------------------ the cases


def _lockfile_bump(
    sim: Simulation, repo: Repository, task: Task, files: dict[str, list[Line]], rng: random.Random
) -> list[Edit]:
    """What a dependency bot changes: three lines of the lock file."""
    assert task.pr is not None
    key = (repo.full_name, task.pr.number)
    lock = next(p for p in sorted(files) if p.endswith(LOCK_FILES))
    old = rng.sample(files[lock], min(3, len(files[lock])))
    factory = sim.factories[repo.full_name]
    return [Edit("replace", lock, old=old, new=[factory.line(lock, key) for _ in old])]


def _release_notes(
    sim: Simulation, repo: Repository, task: Task, files: dict[str, list[Line]], rng: random.Random
) -> list[Edit]:
    """What a release bot changes: a new section at the top of the changelog."""
    assert task.pr is not None
    key = (repo.full_name, task.pr.number)
    factory = sim.factories[repo.full_name]
    kind = "insert" if "CHANGELOG.md" in files else "create"
    return [Edit(kind, "CHANGELOG.md", new=factory.block("CHANGELOG.md", key, 6))]


def _app_prs(sim: Simulation, repo: Repository, people: list[Person]) -> None:
    """One Renovate update and one GitHub Actions release PR, each by a GitHub App."""
    rng = seeded(sim.seed, "reality-apps", repo.full_name)
    n = sum(1 for t in sim.tasks if t.task_id.startswith("x")) + 1
    lib = rng.choice(("fastapi", "react", "zod", "pydantic"))
    for app, share, subject in (
        (RENOVATE, 0.3, f"update dependency {lib} to v{randint(rng, 2, 9)}"),
        (GITHUB_ACTIONS, 0.6, f"release 1.{randint(rng, 2, 20)}.0"),
    ):
        created = _day(sim, share, hours=rng.uniform(2, 6))
        task = Task(
            task_id=f"x{n:05d}",
            person=_author(sim, f"app-{repo.full_name}-{app[0]}", people),
            repo=repo,
            platform=None,
            intent="productive",
            dev_start=created,
            dev_end=created,
            work_type="chore",
            subject=subject,
            app=app,
            plan=_lockfile_bump if app is RENOVATE else _release_notes,
        )
        n += 1
        sim.tasks.append(task)
        if app is RENOVATE:
            open_bot_pr(
                sim,
                task,
                lib,
                created,
                rng,
                app=app,
                title=f"chore(deps): {subject}",
                body="This PR contains the following updates: "
                f"{lib}.\n\n---\n\nThis PR was generated by [Renovate Bot]"
                "(https://github.com/renovatebot/renovate).",
                head=f"renovate/{lib}-{task.task_id}",
                labels=("dependencies", "renovate"),
            )
        else:
            open_bot_pr(
                sim,
                task,
                lib,
                created,
                rng,
                app=app,
                title=f"chore(main): {subject}",
                body=":robot: I have created a release *beep* *boop*",
                head="release-please--branches--main",
                labels=("autorelease: pending",),
            )


def _migration_log(
    sim: Simulation, repo: Repository, task: Task, files: dict[str, list[Line]], rng: random.Random
) -> list[Edit]:
    """One line per commit, 300 commits: more than GitHub serves of a PR."""
    assert task.pr is not None
    key = (repo.full_name, task.pr.number)
    factory = sim.factories[repo.full_name]
    path = "docs/migration-log.md"
    first = factory.line(path, key)
    edits = [Edit("create", path, new=[first])]
    previous = first
    for _ in range(len(task.commit_times) - 1):
        line = factory.line(path, key)
        edits.append(Edit("insert", path, anchor=previous, new=[line]))
        previous = line
    return edits


def _generated_client(
    sim: Simulation, repo: Repository, task: Task, files: dict[str, list[Line]], rng: random.Random
) -> list[Edit]:
    """3,100 generated files: more than GitHub serves of a PR (and excluded from durability by
    the ``**/__generated__/**`` pattern)."""
    assert task.pr is not None
    key = (repo.full_name, task.pr.number)
    factory = sim.factories[repo.full_name]
    edits = []
    for i in range(MAX_PR_FILES + 100):
        path = f"client/__generated__/model_{i:04d}.ts"
        edits.append(Edit("create", path, new=[factory.line(path, key), factory.line(path, key)]))
    return edits


def _oversized_prs(sim: Simulation, repo: Repository, people: list[Person]) -> None:
    extra_task(
        sim,
        repo,
        _author(sim, "commits", people),
        _day(sim, 0.2),
        "migration log",
        "docs",
        plan=_migration_log,
        commits=MAX_PR_COMMITS + 50,
    )
    extra_task(
        sim,
        repo,
        _author(sim, "files", people),
        _day(sim, 0.3),
        "regenerate the API client",
        "chore",
        plan=_generated_client,
    )


def _raw(data: bytes) -> str:
    """Bytes as the text of a line (``surrogateescape`` gives them back exactly)."""
    return data.decode("utf-8", "surrogateescape")


def _png(rng: random.Random) -> str:
    header = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x40\x00\x00\x00\x40\x08\x06"
    return _raw(header + rng.randbytes(700))


def _code_insert(
    sim: Simulation, repo: Repository, key: tuple[str, int], files: dict[str, list[Line]], n: int
) -> Edit:
    """A few lines of build code (outside ``src/``, where the tidy PRs work)."""
    path = "tools/build_assets.py"
    lines = files.get(path)
    anchor = lines[-1] if lines else None
    return Edit(
        "insert", path, anchor=anchor, new=sim.factories[repo.full_name].block(path, key, n)
    )


def _logo(
    sim: Simulation, repo: Repository, task: Task, files: dict[str, list[Line]], rng: random.Random
) -> list[Edit]:
    """A binary image beside a few lines of code that use it."""
    assert task.pr is not None
    key = (repo.full_name, task.pr.number)
    return [
        Edit("create", "assets/logo.png", new=[RawLine(_png(rng), key)]),
        _code_insert(sim, repo, key, files, 6),
    ]


def _latin1_notes(
    sim: Simulation, repo: Repository, task: Task, files: dict[str, list[Line]], rng: random.Random
) -> list[Edit]:
    """Notes saved in Latin-1, as an old editor would: not UTF-8, still text to git."""
    assert task.pr is not None
    key = (repo.full_name, task.pr.number)
    factory = sim.factories[repo.full_name]
    lines = []
    for k in range(12):
        words = factory.line("notes.txt", key).text
        text = f"Étape {k + 1} : vérifier {words} (déjà payé, reçu n° {k})"
        lines.append(Line(_raw(text.encode("latin-1")), key))
    return [Edit("create", "docs/legacy/notes-fr.txt", new=lines)]


def _lfs_pointer(size: int, rng: random.Random) -> list[str]:
    return [
        "version https://git-lfs.github.com/spec/v1",
        f"oid sha256:{rng.randbytes(32).hex()}",
        f"size {size}",
    ]


def _lfs_design(
    sim: Simulation, repo: Repository, task: Task, files: dict[str, list[Line]], rng: random.Random
) -> list[Edit]:
    """A design file tracked by Git LFS: git holds the attributes and a pointer, not the file."""
    assert task.pr is not None
    key = (repo.full_name, task.pr.number)
    attributes = "*.psd filter=lfs diff=lfs merge=lfs -text"
    pointer = _lfs_pointer(randint(rng, 2_000_000, 9_000_000), rng)
    return [
        Edit("create", ".gitattributes", new=[Line(attributes, key)]),
        Edit("create", "design/mockup.psd", new=[Line(text, key) for text in pointer]),
    ]


def _lock_entry(i: int, version: int, key: PrKey) -> Line:
    """One resolved package of a lock file: unique, no random draws (50,000 of them)."""
    return Line(f'  "pkg-{i:05d}@^{i % 9}.{i % 17}.{version}": "sha512-{i * 7919:x}",', key)


def _frontend_build(
    sim: Simulation, repo: Repository, task: Task, files: dict[str, list[Line]], rng: random.Random
) -> list[Edit]:
    """A 50,000-line lock file and a minified bundle of one enormous line (both excluded from
    durability by pattern), plus the few lines of code that wire the front end up."""
    assert task.pr is not None
    key = (repo.full_name, task.pr.number)
    factory = sim.factories[repo.full_name]
    lock = [_lock_entry(i, 0, key) for i in range(50_000)]
    statements = [factory.line("app.js", key).text.strip() for _ in range(4_000)]
    bundle = Line("".join(statements), key)
    return [
        Edit("create", "frontend/yarn.lock", new=lock),
        Edit("create", "static/app.min.js", new=[bundle]),
        _code_insert(sim, repo, key, files, 5),
    ]


def _submodule(
    sim: Simulation, repo: Repository, task: Task, files: dict[str, list[Line]], rng: random.Random
) -> list[Edit]:
    """Shared protobufs as a submodule: ``.gitmodules`` and a gitlink."""
    assert task.pr is not None
    key = (repo.full_name, task.pr.number)
    modules = [
        '[submodule "libs/shared-protos"]',
        "\tpath = libs/shared-protos",
        "\turl = https://github.com/acme/shared-protos.git",
    ]
    return [
        Edit("create", ".gitmodules", new=[Line(text, key) for text in modules]),
        Edit(
            "create", "libs/shared-protos", new=[Gitlink(hex_id(sim.seed, "protos", 1, n=40), key)]
        ),
    ]


def _bump_submodule_and_logo(
    sim: Simulation, repo: Repository, task: Task, files: dict[str, list[Line]], rng: random.Random
) -> list[Edit]:
    """A later PR: the submodule moves on, the logo is redrawn, the lock file is refreshed."""
    assert task.pr is not None
    key = (repo.full_name, task.pr.number)
    edits = []
    if "libs/shared-protos" in files:
        new = Gitlink(hex_id(sim.seed, "protos", 2, n=40), key)
        edits.append(
            Edit("replace", "libs/shared-protos", old=files["libs/shared-protos"], new=[new])
        )
    if "assets/logo.png" in files:
        logo = files["assets/logo.png"]
        edits.append(Edit("replace", "assets/logo.png", old=logo, new=[RawLine(_png(rng), key)]))
    if "frontend/yarn.lock" in files:
        lock = files["frontend/yarn.lock"]
        old = lock[100:2100:100]
        new = [_lock_entry(100 + 100 * k, 1, key) for k in range(len(old))]
        edits.append(Edit("replace", "frontend/yarn.lock", old=old, new=new))
    edits.append(_code_insert(sim, repo, key, files, 3))
    return edits


def _odd_file_prs(sim: Simulation, repo: Repository, people: list[Person]) -> None:
    plans: list[tuple[float, str, str, EditPlan]] = [
        (0.1, "add the new logo", "feat", _logo),
        (0.15, "import the legacy deployment notes", "docs", _latin1_notes),
        (0.2, "track design files with Git LFS", "chore", _lfs_design),
        (0.25, "add the front-end build", "chore", _frontend_build),
        (0.3, "add shared protos as a submodule", "chore", _submodule),
        (0.5, "bump shared protos, redraw the logo", "chore", _bump_submodule_and_logo),
    ]
    for share, subject, work_type, plan in plans:
        extra_task(
            sim,
            repo,
            _author(sim, subject, people),
            _day(sim, share),
            subject,
            work_type,
            plan=plan,
        )


def _lifecycle_repositories(
    sim: Simulation, people: list[Person], repos: list[Repository]
) -> list[Repository]:
    """Repositories that are renamed, transferred, archived, created empty and deleted."""
    org = repos[0].owner
    first_id = max(r.database_id for r in repos) + 1
    specs: list[tuple[str, list[tuple[float, str, str | None]], bool]] = [
        (
            "legacy-billing",
            [(0.3, "renamed", f"{org}/billing-archive"), (0.6, "archived", None)],
            False,
        ),
        ("sdk-python", [(0.5, "transferred", f"{org}-labs/sdk-python")], False),
        ("scratch-empty", [], True),
        ("hackweek-2026", [(0.7, "deleted", None)], False),
    ]
    added = []
    for i, (name, events, empty) in enumerate(specs):
        created = _day(sim, 0.2, hours=8) if empty else sim.start - timedelta(days=300 - i)
        repo = Repository(
            full_name=f"{org}/{name}",
            node_id="R_" + b62(sim.seed, "repo", name, n=16),
            database_id=first_id + i,
            default_branch="main",
            created_at=created,
            events=[RepoEvent(_day(sim, share).date(), kind, to) for share, kind, to in events],
        )
        added.append(repo)
        if empty:
            continue
        import_repository(sim, repo)
        # A PR before and after each event (none after a deletion).
        moves = (share + 0.1 for share, kind, _ in events if kind in ("renamed", "transferred"))
        shares = sorted({0.15, *moves})
        for share in shares:
            extra_task(
                sim,
                repo,
                _author(sim, f"{name}-{share}", people),
                _day(sim, share),
                f"maintain {name}",
                "fix",
            )
    return added


def _delete_account(repos: list[Repository], ghost: Person) -> None:
    """GitHub after ``ghost`` deleted their account: their PRs, reviews, merges, events and
    commits show no user (git keeps their name and email)."""
    login = ghost.github_login
    ghost.github_deleted = True
    for repo in repos:
        for commit in repo.history:
            _unlink(commit, login)
        for pr in repo.pull_requests:
            _forget(pr, login)


def _forget(pr: PullRequest, login: str) -> None:
    if pr.author_login == login:
        pr.author_login = None
    if pr.merged_by == login:
        pr.merged_by = None
    for review in pr.reviews:
        if review.author_login == login:
            review.author_login = None
    for event in pr.timeline:
        if event.actor_login == login:
            event.actor_login = None
        if event.data.get("requested_reviewer") == login:
            event.data["requested_reviewer"] = None
    for commit in (*pr.commits, *pr.replaced_commits):
        _unlink(commit, login)


def _unlink(commit: Commit, login: str) -> None:
    if commit.author_login == login:
        commit.author_login = None
    if commit.committer_login == login:
        commit.committer_login = None
