"""The durability library on the sandbox's repositories recovers the ground truth exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestration.lib.git_durability.measure import measure
from orchestration.lib.git_durability.records import MergedPullRequest
from sandbox.generate import build_world
from sandbox.gitrepos import write_repositories
from sandbox.model import World
from sandbox.truth import build_truth

FAR_FUTURE = datetime(2030, 1, 1, tzinfo=UTC)


def _merged(world: World, repo_name: str) -> list[MergedPullRequest]:
    repo = world.repository(repo_name)
    return [
        MergedPullRequest(
            repo=repo.full_name,
            number=pr.number,
            merged_at=pr.merged_at,
            merge_commit_oid=pr.merge_commit.oid or "",
            commit_oids=tuple(c.oid or "" for c in pr.commits),
            title=pr.title,
            head_ref=pr.head_ref,
        )
        for pr in repo.pull_requests
        if pr.merged_at is not None and pr.merge_commit is not None
    ]


@pytest.fixture(scope="module")
def demo_repos(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    world = build_world("demo")
    out = tmp_path_factory.mktemp("demo")
    # Two repositories keep the test fast while covering reverts, rewrites and renames.
    world.repositories = world.repositories[:2]
    write_repositories(world, out)
    return world, out


@pytest.mark.parametrize("profile_fixture", ["tiny_repos", "demo_repos"])
def test_survival_and_rework_equal_the_truth(
    profile_fixture: str, request: pytest.FixtureRequest
) -> None:
    world, out = request.getfixturevalue(profile_fixture)
    truth = build_truth(world)
    expected_survival = {
        (row["repo"], row["number"], s["horizon_days"]): (
            row["effective_lines_added"],
            s["lines_surviving"],
            s["snapshot_oid"],
        )
        for row in truth["pull_requests"]
        for s in row["survival"]
    }
    expected_rework = {
        (link["original"], link["later"]): (link["lines_reworked"], link["is_revert"])
        for link in truth["rework_links"]
    }
    got_survival = {}
    got_rework = {}
    for repo in world.repositories:
        result = measure(
            str(out / "git" / f"{repo.full_name}.git"),
            repo.default_branch,
            _merged(world, repo.full_name),
            (7, 30, 90),
            as_of=FAR_FUTURE,
        )
        assert not result.stats.prs_skipped
        for row in result.survival:
            got_survival[(row.repo, row.number, row.horizon_days)] = (
                row.effective_lines_added,
                row.lines_surviving,
                row.snapshot_oid,
            )
        for row in result.rework:
            key = (f"{row.repo}#{row.original_number}", f"{row.repo}#{row.later_number}")
            got_rework[key] = (row.lines_reworked, row.is_revert)
    wanted = {k: v for k, v in expected_survival.items() if k[0] in got_survival_repos(world)}
    assert got_survival == wanted
    wanted_rework = {
        k: v for k, v in expected_rework.items() if k[0].split("#")[0] in got_survival_repos(world)
    }
    assert got_rework == wanted_rework
    assert (
        any(is_revert for _, is_revert in wanted_rework.values()) or profile_fixture == "tiny_repos"
    )


def got_survival_repos(world: World) -> set[str]:
    return {repo.full_name for repo in world.repositories}
