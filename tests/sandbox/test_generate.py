"""The simulated organisation: deterministic, realistic in the ways the pipeline must handle."""

from __future__ import annotations

import itertools
import json
import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from sandbox.generate import PriceBook, build_world, list_cost
from sandbox.gitrepos import write_repositories
from sandbox.model import World
from sandbox.truth import build_truth, is_effective, is_excluded, load_patterns


def test_same_seed_gives_byte_identical_truth_and_repositories(tmp_path: Path) -> None:
    first, second = build_world("tiny", seed=11), build_world("tiny", seed=11)
    assert json.dumps(build_truth(first), sort_keys=True) == json.dumps(
        build_truth(second), sort_keys=True
    )
    write_repositories(first, tmp_path / "a")
    write_repositories(second, tmp_path / "b")
    for repo in first.repositories:
        refs = [
            subprocess.run(
                ["git", "for-each-ref", "--format=%(refname) %(objectname)"],
                cwd=tmp_path / side / "git" / f"{repo.full_name}.git",
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for side in ("a", "b")
        ]
        assert refs[0] == refs[1]
        assert repo.history[-1].oid in refs[0]


def test_other_seed_gives_another_world() -> None:
    assert build_truth(build_world("tiny", seed=1)) != build_truth(build_world("tiny", seed=2))


def test_people_have_the_identity_mess_of_a_real_org(tiny_world: World) -> None:
    demo = build_world("demo")
    people = demo.people
    assert any(p.commit_email.endswith("@users.noreply.github.com") for p in people)
    assert any(p.commit_email == p.work_email for p in people)
    assert any(not p.platforms for p in people), "some people use no AI at all"
    assert any(len(p.platforms) >= 2 for p in people), "some use several platforms"
    personal = [e for p in people for e in p.vendor_emails.values() if e != p.work_email]
    assert personal, "a few vendor identities no rule can resolve"
    assert len({p.github_login for p in people}) == len(people)
    # Teams of uneven size, some below the privacy cohort size of 5.
    sizes = Counter(p.team for p in tiny_world.people)
    assert min(sizes.values()) < 5 <= max(sizes.values())


def test_sessions_are_separated_by_more_than_the_session_gap(tiny_world: World) -> None:
    by_stream: dict[tuple[str, str], list] = {}
    for s in tiny_world.sessions:
        by_stream.setdefault((s.person_id, s.platform), []).append(s)
    for sessions in by_stream.values():
        sessions.sort(key=lambda s: s.started_at)
        for before, after in itertools.pairwise(sessions):
            assert after.started_at - before.ended_at > timedelta(minutes=30)
        for s in sessions:
            gaps = [b.at - a.at for a, b in zip(s.requests, s.requests[1:], strict=False)]
            assert all(g <= timedelta(minutes=30) for g in gaps)


def test_agentic_sessions_are_cache_heavy() -> None:
    world = build_world("demo")
    for platform in ("claude_code", "cursor"):
        requests = [r for s in world.sessions if s.platform == platform for r in s.requests]
        reads = sum(r.cache_read_tokens for r in requests)
        uncached = sum(r.input_tokens for r in requests)
        assert reads > 20 * uncached, platform
    writes_1h = sum(
        r.cache_write_1h_tokens
        for s in world.sessions
        for r in s.requests
        if s.platform == "claude_code"
    )
    assert writes_1h > 0


def test_list_priced_requests_cost_tokens_times_the_effective_price(tiny_world: World) -> None:
    prices = PriceBook()
    for s in tiny_world.sessions:
        if s.platform not in ("anthropic_api", "openai_api", "claude_code"):
            continue
        for r in s.requests:
            price = prices.price(r.model, r.at.date())
            assert price is not None
            assert r.cost_usd == list_cost(price, r)


def test_every_intent_and_pull_request_fate_occurs() -> None:
    world = build_world("demo")
    assert {s.intent for s in world.sessions} == {
        "productive",
        "exploratory",
        "retry",
        "abandoned",
        "rework",
    }
    prs = [pr for repo in world.repositories for pr in repo.pull_requests]
    states = Counter(pr.state for pr in prs)
    assert states["MERGED"] > states["CLOSED"] > 0 and states["OPEN"] > 0
    assert any(pr.reverts for pr in prs), "reverts"
    assert any(pr.author_type == "Bot" and pr.author_login == "dependabot" for pr in prs)
    assert any(pr.author_login == "copilot-swe-agent" for pr in prs)
    assert any(pr.head_ref.startswith("claude/") for pr in prs)
    assert any(pr.head_ref.startswith("revert-") for pr in prs)
    assert any(pr.platform is None and pr.author_type == "User" for pr in prs), "human-only"
    trailers = [c.message for pr in prs for c in pr.commits if "Co-" in c.message]
    assert any("noreply@anthropic.com" in m for m in trailers)
    assert any("cursoragent@cursor.com" in m for m in trailers)


def test_revert_messages_name_the_reverted_squash_commit() -> None:
    world = build_world("demo")
    for repo in world.repositories:
        numbers = {pr.number: pr for pr in repo.pull_requests}
        for pr in repo.pull_requests:
            if pr.reverts:
                original = numbers[pr.reverts[1]]
                assert original.merge_commit is not None
                assert f"This reverts commit {original.merge_commit.oid}." in pr.commits[0].message


def _blame_counts(repo_dir: Path, snapshot: str, path: str) -> Counter[str]:
    """Effective lines of ``path`` at ``snapshot`` per blamed commit, read with git itself."""
    out = subprocess.run(
        ["git", "blame", "--line-porcelain", snapshot, "--", path],
        cwd=repo_dir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts: Counter[str] = Counter()
    commit = ""
    for line in out.splitlines():
        if line.startswith("\t"):
            if is_effective(line[1:]):
                counts[commit] += 1
        elif len(line) >= 40 and " " in line and all(c in "0123456789abcdef" for c in line[:40]):
            commit = line[:40]
    return counts


def test_git_blame_agrees_with_the_truths_survival(tiny_repos: tuple[World, Path]) -> None:
    world, out = tiny_repos
    truth = build_truth(world)
    patterns = load_patterns()
    checked = 0
    for row in truth["pull_requests"]:
        if not row["merged_at"] or not row["effective_lines_added"]:
            continue
        repo_dir = out / "git" / f"{row['repo']}.git"
        for survival in row["survival"]:
            snapshot = survival["snapshot_oid"]
            files = subprocess.run(
                ["git", "ls-tree", "-r", "--name-only", snapshot],
                cwd=repo_dir,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split("\n")
            alive = sum(
                _blame_counts(repo_dir, snapshot, path)[row["merge_commit_oid"]]
                for path in files
                if path and not is_excluded(path, patterns)
            )
            assert alive == survival["lines_surviving"], (row["repo"], row["number"], survival)
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("profile", ["tiny", "demo"])
def test_truth_is_consistent_with_pull_request_fates(profile: str) -> None:
    truth = build_truth(build_world(profile))
    for row in truth["pull_requests"]:
        if row["merged_at"] is None:
            assert row["survival"] == [] and row["effective_lines_added"] is None
        else:
            assert [s["horizon_days"] for s in row["survival"]] == [7, 30, 90]
    reverted = {link["original"] for link in truth["rework_links"] if link["is_revert"]}
    for row in truth["pull_requests"]:
        if f"{row['repo']}#{row['number']}" in reverted:
            # A revert reworks 100% of the reverted lines.
            assert row["survival"][-1]["lines_surviving"] == 0
    # A rework intent means the revert or rewrite happened in this world: the truth's labels
    # agree with its own git history (a follow-up that merges after the world ends does not).
    reworked = {link["original"] for link in truth["rework_links"]}
    rework_prs = {
        f"{r['repo']}#{r['number']}" for r in truth["pull_requests"] if r["intent"] == "rework"
    }
    assert rework_prs and rework_prs <= reworked
    assert {s["pr"] for s in truth["sessions"] if s["intent"] == "rework"} <= reworked
