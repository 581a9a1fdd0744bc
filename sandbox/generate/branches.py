"""Pass 3, branches and merges: per repository, in time order, every PR's edits are planned
against the default branch as it was when the PR was opened, committed on its branch, and landed
as a squash commit when it merges. This gives real file contents, commits and git object ids."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sandbox.generate.pulls import DEPENDABOT
from sandbox.generate.state import Simulation, Task, seeded, word
from sandbox.history import (
    GITHUB_COMMITTER,
    Edit,
    TreeIndex,
    apply_edits,
    file_stats,
    make_commit,
    randint,
)
from sandbox.model import Commit, Line, PrKey, PullRequest, Repository, TimelineEvent

AGENT_TRAILERS = {
    "claude_code": "Co-Authored-By: Claude Opus 5.5 <noreply@anthropic.com>",
    "cursor": "Co-authored-by: Cursor <cursoragent@cursor.com>",
    "openai_api": "Co-authored-by: Codex <noreply@openai.com>",
    "copilot": "Co-authored-by: Copilot <223556219+Copilot@users.noreply.github.com>",
}
COPILOT_AGENT_COMMITTER = ("copilot-swe-agent[bot]", "198982749+Copilot@users.noreply.github.com")


def write_history(sim: Simulation, repos: list[Repository]) -> None:
    """Plan each PR's edits when it opens, and land them when it merges, in time order."""
    tasks_by_repo: dict[str, list[Task]] = {}
    for task in sim.tasks:
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
                branch_commits(sim, repo, task)
            else:
                land(sim, repo, task)
        repo.pull_requests.sort(key=lambda p: p.number)


def plan_edits(
    sim: Simulation, repo: Repository, task: Task, files: dict[str, list[Line]], rng: random.Random
) -> list[Edit]:
    pr = task.pr
    assert pr is not None
    key: PrKey = (repo.full_name, pr.number)
    if task.plan is not None:
        return task.plan(sim, repo, task, files, rng)
    factory = sim.factories[repo.full_name]
    code_paths = sorted(p for p in files if p.startswith("src/"))
    if task.agent == "dependabot":
        lock = next(
            p for p in sorted(files) if p.endswith(("poetry.lock", "package-lock.json", "go.sum"))
        )
        target = rng.sample(files[lock], min(3, len(files[lock])))
        return [Edit("replace", lock, old=target, new=[factory.line(lock, key) for _ in target])]
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
            Edit("insert", path, anchor=anchor, new=factory.block(path, key, randint(rng, 4, 30)))
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
        new_path = f"src/{rng.choice(('core', 'api', 'jobs'))}/{word(rng)}_{pr.number}.{ext}"
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
            p for p in sorted(files) if p.endswith(("poetry.lock", "package-lock.json", "go.sum"))
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


def branch_commits(sim: Simulation, repo: Repository, task: Task) -> None:
    """The PR's branch commits, on the default branch as it is now."""
    pr = task.pr
    assert pr is not None
    rng = seeded(sim.seed, "branch", repo.full_name, pr.number)
    base_files = sim.files[repo.full_name]
    edits = plan_edits(sim, repo, task, base_files, rng)
    task.edits = edits
    # Copy-on-write: the branch shares the default branch's file lists and copies a list
    # only before an edit changes it (copying every file per PR was quadratic).
    work = dict(base_files)
    copies: dict[int, list[Line]] = {}
    blobs = sim.blobs[repo.full_name].copy()
    parent = repo.history[-1]
    if pr.unfetchable:
        # Branched from a default-branch commit that was later rewritten away: neither it nor
        # the PR's commits are in any clone (gitrepos writes none of them).
        at = min(task.commit_times or [pr.created_at]) - timedelta(hours=1)
        parent = make_commit(
            work,
            {},
            {},
            parent,
            "Prepare release (rewritten later)",
            GITHUB_COMMITTER,
            at,
            GITHUB_COMMITTER,
            at,
            0,
            0,
            blobs=blobs,
        )
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
    elif task.app is not None:
        name, app_id = task.app
        author = (f"{name}[bot]", f"{app_id}+{name}[bot]@users.noreply.github.com")
        login = f"{name}[bot]"
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
                f"{task.work_type}: {task.subject} (part {i + 1})" if len(times) > 1 else pr.title
            )
        trailers = []
        session_trailer = _session_trailer(task, at)
        if task.agent == "copilot_agent":
            trailers.append(f"Co-authored-by: {person.github_login} <{person.commit_email}>")
        elif trailer:
            trailers.append(trailer)
            if task.platform == "cursor" and rng.random() < 0.3:
                trailers.append("Made-with: Cursor")
        if session_trailer:
            trailers.append(session_trailer)
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
        if task.force_push and i == 0:
            force_push(pr, commit, parent, work, blobs)
        pr.commits.append(commit)
        parent = commit
    task.chunks = chunks
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


def _session_trailer(task: Task, at: datetime) -> str | None:
    """``AI-Session: claude_code/<id>`` for a commit a Claude Code session made, when its person
    installed tokenworth's prepare-commit-msg hook (the hook reads CLAUDE_CODE_SESSION_ID, which
    Claude Code exports to the commands it runs; a human's own commits carry nothing)."""
    if task.platform != "claude_code" or not task.person.session_hook or task.agent:
        return None
    for s in task.sessions:
        if s.agent_session_id and s.started_at <= at <= s.ended_at + timedelta(minutes=5):
            return f"AI-Session: claude_code/{s.agent_session_id}"
    return None


def force_push(
    pr: PullRequest,
    first: Commit,
    base: Commit | None,
    work: dict[str, list[Line]],
    blobs: TreeIndex,
) -> None:
    """The branch first held a "WIP" commit of the same tree, then was force-pushed with
    ``first``: the WIP commit is served in the force-push event and exists in no repository."""
    at = first.authored_at - timedelta(minutes=40)
    author = (first.author_name, first.author_email)
    wip = make_commit(
        work,
        {},
        {},
        base,
        f"WIP {first.message}",
        author,
        at,
        author,
        at,
        first.additions,
        first.deletions,
        author_login=first.author_login,
        committer_login=first.committer_login,
        blobs=blobs,
    )
    pr.replaced_commits.append(wip)
    pushed = first.committed_at + timedelta(seconds=30)
    pr.timeline.append(
        TimelineEvent(
            "HeadRefForcePushedEvent",
            pushed,
            first.author_login,
            {"before_oid": wip.oid, "after_oid": first.oid},
        )
    )


def land(sim: Simulation, repo: Repository, task: Task) -> None:
    """Land a merged PR on the default branch as its merge method says."""
    assert task.pr is not None
    if task.pr.merge_method == "REBASE":
        rebase_merge(sim, repo, task)
    else:
        squash_merge(sim, repo, task)


def rebase_merge(sim: Simulation, repo: Repository, task: Task) -> None:
    """Re-create each branch commit on the default branch as it is at merge time (GitHub's
    "Rebase and merge"): same authors and messages, GitHub as committer, new ids."""
    pr = task.pr
    assert pr is not None and pr.merged_at is not None
    files = sim.files[repo.full_name]
    task.merged_into = []
    for original, chunk in zip(pr.commits, task.chunks, strict=True):
        if not chunk:
            continue  # a rebase drops commits that change nothing
        touched, renames, adds, dels = apply_edits(files, chunk)
        task.merged_into += [lines for lines in touched.values() if lines is not None]
        commit = make_commit(
            files,
            touched,
            renames,
            repo.history[-1],
            original.message,
            (original.author_name, original.author_email),
            original.authored_at,
            GITHUB_COMMITTER,
            pr.merged_at,
            adds,
            dels,
            author_login=original.author_login,
            committer_login=None,
            blobs=sim.blobs[repo.full_name],
        )
        repo.history.append(commit)
        pr.landed.append(commit)
    pr.merge_commit = pr.landed[-1] if pr.landed else None
    for event in pr.timeline:
        if event.typename == "MergedEvent" and pr.merge_commit is not None:
            event.data["commit_oid"] = pr.merge_commit.oid


def squash_merge(sim: Simulation, repo: Repository, task: Task) -> None:
    """Squash-merge the PR onto the default branch as it is at merge time."""
    pr = task.pr
    assert pr is not None and pr.merged_at is not None
    files = sim.files[repo.full_name]
    touched, renames, adds, dels = apply_edits(files, task.edits)
    task.merged_into = [lines for lines in touched.values() if lines is not None]
    headlines = [c.message.split("\n", 1)[0] for c in pr.commits]
    trailers: list[str] = []
    for c in pr.commits:
        for line in c.message.splitlines():
            if line.lower().startswith(("co-authored-by:", "made-with:")) and line not in trailers:
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
        blobs=sim.blobs[repo.full_name],
    )
    repo.history.append(commit)
    pr.merge_commit = commit
    pr.landed = [commit]
    for event in pr.timeline:
        if event.typename == "MergedEvent":
            event.data["commit_oid"] = commit.oid
