"""Small hand-built worlds for the GitHub GraphQL API tests.

Built by hand rather than by ``sandbox.generate`` so that each test knows exactly what is there:
ties in ``updatedAt`` (pagination must break them by number), a PR with more commits than one
page holds, a Copilot-agent PR (bot author), every PR state, labels, reviews, review threads,
comments and the timeline events of vendor-apis.md §5.2.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

from sandbox.model import (
    Commit,
    FileStat,
    Line,
    Person,
    PullRequest,
    Repository,
    Review,
    ReviewThread,
    TimelineEvent,
    World,
)

ORG = "acme"
T0 = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)
BIG_PR = 7  # the PR in acme/api with more commits than one page of 100
BIG_PR_COMMITS = 130
BOT_PR = 3  # authored by the Copilot coding agent


def fake_oid(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


def _people() -> list[Person]:
    rows = [
        ("p1", "Alice Ng", "alice", 5001, -5),
        ("p2", "Bob Stone", "bob", 5002, 1),
        ("p3", "Carol Diaz", "carol", 5003, 0),
    ]
    return [
        Person(
            person_id=pid,
            name=name,
            team="platform",
            utc_offset_hours=offset,
            work_email=f"{login}@acme.example",
            github_login=login,
            github_id=gid,
            commit_email=f"{login}@acme.example",
            platforms=("claude_code",),
        )
        for pid, name, login, gid, offset in rows
    ]


def _commit(repo: str, key: object, at: datetime, login: str, message: str) -> Commit:
    return Commit(
        message=message,
        author_name=login.title(),
        author_email=f"{login}@acme.example",
        authored_at=at,
        committer_name=login.title(),
        committer_email=f"{login}@acme.example",
        committed_at=at,
        files={f"src/{login}.py": (Line("x = 1", None),)},
        additions=3,
        deletions=1,
        author_login=login,
        committer_login=login,
        oid=fake_oid(repo, key),
    )


def _pr(repo: Repository, number: int, people: list[Person]) -> PullRequest:
    """PR ``number`` of ``repo``: its shape is a pure function of the number."""
    author = people[number % 3]
    reviewer = people[(number + 1) % 3]
    created = T0 + timedelta(hours=3 * number)
    # Pairs of PRs share an updatedAt so that ordering has ties to break.
    updated = T0 + timedelta(days=5, hours=(number // 2) * 5)
    state = ("MERGED", "OPEN", "CLOSED")[number % 3] if number != BIG_PR else "MERGED"
    n_commits = BIG_PR_COMMITS if (repo.name == "api" and number == BIG_PR) else 1 + number % 4
    commits = [
        _commit(
            repo.full_name,
            (number, i),
            created - timedelta(minutes=n_commits - i),
            author.github_login,
            f"Change {number}.{i}\n\nDetails of change {i}.\n\n"
            "Co-Authored-By: Claude <noreply@anthropic.com>",
        )
        for i in range(n_commits)
    ]
    is_bot = repo.name == "api" and number == BOT_PR
    pr = PullRequest(
        repo=repo.full_name,
        number=number,
        node_id=f"PR_{repo.name}{number:04d}",
        title=f"Change {number}",
        body=f"Body of change {number}",
        author_login="copilot-swe-agent" if is_bot else author.github_login,
        author_type="Bot" if is_bot else "User",
        author_id=198982749 if is_bot else author.github_id,
        head_ref=f"copilot/change-{number}" if is_bot else f"feature/change-{number}",
        base_ref="main",
        created_at=created,
        updated_at=updated,
        state=state,
        is_draft=False,
        published_at=created,
        closed_at=updated if state != "OPEN" else None,
        merged_at=updated if state == "MERGED" else None,
        merged_by=reviewer.github_login if state == "MERGED" else None,
        labels=["backend", "ai"] if number % 2 == 0 else [],
        commits=commits,
        reviews=[
            Review("COMMENTED", created + timedelta(hours=1), reviewer.github_login, comments=2),
            Review("APPROVED", created + timedelta(hours=2), reviewer.github_login),
        ],
        review_threads=[
            ReviewThread("src/a.py", True, False, 3, created + timedelta(hours=1)),
            ReviewThread("src/b.py", False, True, 1, created + timedelta(hours=1)),
        ],
        comments=number % 3,
        timeline=[
            TimelineEvent(
                "ReviewRequestedEvent",
                created,
                author.github_login,
                {"requested_reviewer": reviewer.github_login},
            ),
        ],
        files=[
            FileStat("src/a.py", 10, 2, "MODIFIED"),
            FileStat("src/new.py", 5, 0, "ADDED"),
        ],
        additions=15,
        deletions=2,
    )
    if state == "MERGED":
        pr.merge_commit = _commit(
            repo.full_name, ("merge", number), updated, reviewer.github_login, f"Change {number}"
        )
        pr.timeline.append(
            TimelineEvent(
                "MergedEvent",
                updated,
                reviewer.github_login,
                {"commit_oid": pr.merge_commit.oid},
            )
        )
    elif state == "CLOSED":
        pr.timeline.append(TimelineEvent("ClosedEvent", updated, author.github_login))
    if number == 2:
        pr.timeline.insert(0, TimelineEvent("ConvertToDraftEvent", created, author.github_login))
        pr.timeline.insert(
            1,
            TimelineEvent(
                "ReadyForReviewEvent", created + timedelta(minutes=5), author.github_login
            ),
        )
        pr.timeline.append(
            TimelineEvent(
                "CrossReferencedEvent",
                updated,
                author.github_login,
                {"source_pr": 4, "will_close_target": False},
            )
        )
    return pr


def _repository(name: str, dbid: int, n_prs: int, people: list[Person]) -> Repository:
    repo = Repository(
        full_name=f"{ORG}/{name}",
        node_id=f"R_{name}",
        database_id=dbid,
        default_branch="main",
        created_at=T0 - timedelta(days=30),
    )
    previous = None
    for i in range(3):
        commit = _commit(
            repo.full_name, ("history", i), T0 - timedelta(days=3 - i), "carol", "init"
        )
        commit.parent = previous
        repo.history.append(commit)
        previous = commit
    repo.pull_requests = [_pr(repo, number, people) for number in range(1, n_prs + 1)]
    return repo


def small_world() -> World:
    """Two repositories: ``acme/api`` with 30 PRs (one with 130 commits), ``acme/web`` with 4."""
    people = _people()
    return World(
        seed=1,
        profile="handmade",
        org=ORG,
        start=date(2026, 10, 2),
        days=10,
        people=people,
        repositories=[
            _repository("api", 7001, 30, people),
            _repository("web", 7002, 4, people),
        ],
        api_keys=[],
        sessions=[],
        copilot_seats=[],
    )
