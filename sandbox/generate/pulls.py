"""Pass 2b, pull requests and reviews: each task's PR is opened, reviewed, answered, merged or
closed; rework is later reverted or rewritten by a follow-up PR; a bot opens weekly dependency
bumps."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from sandbox.generate.state import Simulation, Task, b62, hex_id, seeded
from sandbox.generate.work import WORK_TYPES, new_session
from sandbox.history import randint
from sandbox.model import Person, PullRequest, Repository, Review, ReviewThread, TimelineEvent

COPILOT_AGENT = ("copilot-swe-agent", 198982749)
DEPENDABOT = ("dependabot", 49699333)


def open_pull_requests(sim: Simulation) -> None:
    """Timelines of the tasks' PRs: open, review, respond, merge or close; then follow-ups."""
    by_person: dict[str, list[Person]] = {}
    for task in sim.tasks:
        by_person.setdefault(task.person.team, []).append(task.person)
    teammates = {
        t: sorted({p.person_id: p for p in ps}.values(), key=lambda p: p.person_id)
        for t, ps in by_person.items()
    }
    everyone = sorted(
        {t.person.person_id: t.person for t in sim.tasks}.values(), key=lambda p: p.person_id
    )
    sim.teammates = teammates
    sim.everyone = everyone
    for task in list(sim.tasks):
        if task.has_pr:
            open_pr(sim, task)
    for task in [t for t in sim.tasks if t.rework_by and t.pr and t.pr.merged_at]:
        follow_up(sim, task)
    label_rework_that_never_lands(sim)


def pick_reviewer(sim: Simulation, author: Person, rng: random.Random) -> Person:
    pool = [p for p in sim.teammates.get(author.team, []) if p.person_id != author.person_id]
    if not pool:
        pool = [p for p in sim.everyone if p.person_id != author.person_id]
    return rng.choice(pool)


def next_number(sim: Simulation, repo: Repository) -> int:
    sim.pr_numbers[repo.full_name] = sim.pr_numbers.get(repo.full_name, 100) + 1
    return sim.pr_numbers[repo.full_name]


def open_pr(sim: Simulation, task: Task, created_at: datetime | None = None) -> None:
    rng = seeded(sim.seed, "pr", task.task_id)
    person = task.person
    repo = task.repo
    number = next_number(sim, repo)
    created = created_at or task.dev_end + timedelta(minutes=randint(rng, 5, 90))
    created = min(created, sim.end - timedelta(minutes=1))
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
        head = f"cursor/{slug}-{hex_id(task.task_id, n=4)}"
    elif task.agent == "claude_web":
        adjective = rng.choice(("practical", "quiet", "brave"))
        noun = rng.choice(("cannon", "river", "maple"))
        head = f"claude/{adjective}-{noun}-{hex_id(task.task_id, n=6)}"
    elif task.agent == "codex_cloud":
        head = f"codex/{slug}"
        labels.append("codex")
        body += f"\n\n[Codex Task](https://chatgpt.com/codex/tasks/task_e_{hex_id(task.task_id)})"
    if task.platform == "claude_code" and task.markers:
        body += "\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)"
    is_draft = rng.random() < 0.15
    published = created + timedelta(hours=rng.uniform(1, 6)) if is_draft else created
    pr = PullRequest(
        repo=repo.full_name,
        number=number,
        node_id="PR_" + b62(sim.seed, "pr", repo.full_name, number, n=16),
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
    reviewer = pick_reviewer(sim, person, rng)
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
            add_review(sim, pr, "COMMENTED", first_review, reviewer, rng)
        closed = created + timedelta(days=rng.uniform(1, 5))
        close_pr(sim, pr, closed, person.github_login)
        return
    ai_heavy = task.platform is not None
    changes_requested = rng.random() < (0.3 if ai_heavy else 0.18) and task.target is None
    t = first_review
    if changes_requested:
        add_review(sim, pr, "CHANGES_REQUESTED", t, reviewer, rng)
        fix_at = t + timedelta(hours=rng.uniform(1, 8))
        task.review_fix_at = fix_at
        if task.platform:
            s = new_session(sim, person, task.platform, "retry", fix_at, rng, task)
            s.pr = (repo.full_name, number)
            s.branch = head
            fix_at = s.ended_at
        task.commit_times.append(fix_at + timedelta(minutes=2))
        t = fix_at + timedelta(hours=rng.lognormvariate(math.log(3), 0.7))
    add_review(sim, pr, "APPROVED", t, reviewer, rng)
    merged = t + timedelta(hours=rng.uniform(0.2, 6))
    if rng.random() < 0.03:
        # Closed by mistake and reopened: sessions after the reopen are retries.
        close_pr(sim, pr, merged, person.github_login)
        reopened = merged + timedelta(hours=rng.uniform(1, 20))
        pr.timeline.append(TimelineEvent("ReopenedEvent", reopened, person.github_login))
        pr.state, pr.closed_at = "OPEN", None
        merged = reopened + timedelta(hours=rng.uniform(1, 5))
    if merged >= sim.end:
        return  # still open when the world ends
    pr.state = "MERGED"
    pr.merged_at = pr.closed_at = merged
    pr.merged_by = reviewer.github_login if rng.random() < 0.3 else person.github_login
    pr.timeline.append(TimelineEvent("MergedEvent", merged, pr.merged_by))
    pr.updated_at = max(pr.updated_at, merged)


def add_review(
    sim: Simulation, pr: PullRequest, state: str, at: datetime, who: Person, rng: random.Random
) -> None:
    if at >= sim.end:
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


def close_pr(sim: Simulation, pr: PullRequest, at: datetime, who: str) -> None:
    if at >= sim.end:
        return
    pr.state = "CLOSED"
    pr.closed_at = at
    pr.timeline.append(TimelineEvent("ClosedEvent", at, who))
    pr.updated_at = max(pr.updated_at, at)


def follow_up(sim: Simulation, original: Task) -> None:
    """A revert of, or a PR rewriting, ``original``'s lines within the durability window."""
    rng = seeded(sim.seed, "follow", original.task_id)
    pr = original.pr
    assert pr is not None and pr.merged_at is not None
    if original.rework_by == "revert":
        start = pr.merged_at + timedelta(hours=rng.uniform(3, 72))
        author = rng.choice([original.person, pick_reviewer(sim, original.person, rng)])
        platform = None
        work_type = "fix"
    else:
        # Within days to a week or so; sooner in short worlds, so the rewrite happens in them.
        start = pr.merged_at + timedelta(days=rng.uniform(0.5, min(9, sim.profile.days / 3)))
        author = pick_reviewer(sim, original.person, rng) if rng.random() < 0.6 else original.person
        platform = rng.choice(author.platforms) if author.platforms else None
        work_type = rng.choice(("fix", "refactor"))
    end = start + timedelta(hours=rng.uniform(2, 8))
    if end + timedelta(days=1) >= sim.end:
        return
    task = Task(
        task_id=f"t{len(sim.tasks) + 1:06d}",
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
    sim.tasks.append(task)
    if platform:
        new_session(sim, author, platform, "productive", start, rng, task)
    open_pr(sim, task)
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


def label_rework_that_never_lands(sim: Simulation) -> None:
    """A rework task whose revert or rewrite does not merge before the world ends is productive.

    The truth's intents must agree with the world's own history: a PR that nothing reverts or
    rewrites lasts, in git and in the truth's survival, so its sessions were productive here.
    Only the labels change (never a random draw), so the world stays the same byte for byte.
    """
    landed = {
        id(t.target)
        for t in sim.tasks
        if t.target is not None and t.pr is not None and t.pr.merged_at is not None
    }
    for task in sim.tasks:
        if task.intent != "rework" or id(task) in landed:
            continue
        task.intent = "productive"
        if task.pr is not None:
            task.pr.intent = "productive"
        for session in task.sessions:
            if session.intent == "rework":
                session.intent = "productive"


def dependency_bumps(sim: Simulation, repos: list[Repository], people: list[Person]) -> None:
    """Weekly dependency PRs by a bot: bot-only PRs, touching only lock files."""
    for repo in repos:
        rng = seeded(sim.seed, "deps", repo.full_name)
        maintainers = [p for p in people if repo in sim.team_repos[p.team]] or people
        for week in range(0, sim.profile.days, 7):
            created = sim.start + timedelta(days=week, hours=rng.uniform(3, 6))
            lib = rng.choice(("lodash", "requests", "grpc", "protobuf", "urllib3"))
            old = f"{randint(rng, 1, 4)}.{randint(rng, 0, 20)}.{randint(rng, 0, 9)}"
            new = old.rsplit(".", 1)[0] + f".{int(old.rsplit('.', 1)[1]) + 1}"
            task = Task(
                task_id=f"t{len(sim.tasks) + 1:06d}",
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
            sim.tasks.append(task)
            open_bot_pr(sim, task, lib, created, rng)


def open_bot_pr(
    sim: Simulation,
    task: Task,
    lib: str,
    created: datetime,
    rng: random.Random,
    *,
    app: tuple[str, int] = DEPENDABOT,
    title: str | None = None,
    body: str | None = None,
    head: str | None = None,
    labels: tuple[str, ...] = ("dependencies",),
) -> None:
    """A PR by a GitHub App (Dependabot unless ``app`` says otherwise), approved and merged by a
    maintainer a day or so later."""
    repo = task.repo
    number = next_number(sim, repo)
    merged = created + timedelta(hours=rng.uniform(20, 40))
    state = "MERGED" if merged < sim.end else "OPEN"
    pr = PullRequest(
        repo=repo.full_name,
        number=number,
        node_id="PR_" + b62(sim.seed, "pr", repo.full_name, number, n=16),
        title=title or f"chore(deps): {task.subject}",
        body=body or f"Bumps {lib}.\n\nDependabot will resolve any conflicts with this PR.",
        author_login=app[0],
        author_type="Bot",
        author_id=app[1],
        head_ref=head or f"dependabot/{lib}-{task.task_id}",
        base_ref=repo.default_branch,
        created_at=created,
        updated_at=created,
        state=state,
        is_draft=False,
        published_at=created,
        closed_at=merged if state == "MERGED" else None,
        merged_at=merged if state == "MERGED" else None,
        merged_by=task.person.github_login if state == "MERGED" else None,
        labels=list(labels),
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
