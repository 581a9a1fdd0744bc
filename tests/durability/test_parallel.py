"""Several repositories measured in worker processes give exactly the rows of one at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestration.lib.git_durability.lines import load_exclude_patterns
from orchestration.lib.git_durability.parallel import (
    RepositoryJob,
    RepositoryMeasureError,
    measure_repositories,
    worker_count,
)
from orchestration.lib.git_durability.records import DurabilityResult
from sandbox.model import World
from tests.durability.test_sandbox_truth import _merged

AS_OF = datetime(2030, 1, 1, tzinfo=UTC)


def _jobs(world: World, out: Path) -> list[RepositoryJob]:
    """One job per repository of the world, in repository order (as the asset builds them)."""
    patterns = tuple(load_exclude_patterns())
    return [
        RepositoryJob(
            repo=repo.full_name,
            repo_path=str(out / "git" / f"{repo.full_name}.git"),
            default_branch=repo.default_branch,
            prs=tuple(_merged(world, repo.full_name)),
            horizons_days=(7, 30, 90),
            as_of=AS_OF,
            exclude_patterns=patterns,
        )
        for repo in sorted(world.repositories, key=lambda r: r.full_name)
    ]


def _rows(results: list[DurabilityResult]) -> list[tuple[list[object], list[object]]]:
    return [(list(r.survival), list(r.rework)) for r in results]


def test_two_workers_give_the_rows_of_one(tiny_repos: tuple[World, Path]) -> None:
    world, out = tiny_repos
    jobs = _jobs(world, out)
    assert worker_count(2, len(jobs)) == 2, "the tiny world needs two repositories for a pool"

    one = measure_repositories(jobs, workers=1)
    two = measure_repositories(jobs, workers=2)

    # Every row, in the jobs' order: the pool starts the biggest repository first, so its
    # results arrive out of order and must be put back.
    assert [r.survival[0].repo for r in two] == [job.repo for job in jobs]
    assert _rows(two) == _rows(one)
    assert sum(len(r.survival) for r in one) > 0 and sum(len(r.rework) for r in one) > 0
    assert [r.stats.total_blame_invocations for r in two] == [
        r.stats.total_blame_invocations for r in one
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_repository_is_named(
    tiny_repos: tuple[World, Path], tmp_path: Path, workers: int
) -> None:
    world, out = tiny_repos
    good, bad = _jobs(world, out)
    broken = replace(bad, repo_path=str(tmp_path / "no-such-mirror.git"))

    with pytest.raises(RepositoryMeasureError) as failure:
        measure_repositories([good, broken], workers=workers)

    message = str(failure.value)
    assert f"git durability of {bad.repo} ({tmp_path / 'no-such-mirror.git'}) failed" in message
    assert "GitError" in message


def test_worker_count() -> None:
    assert worker_count(4, 2) == 2  # never more processes than repositories
    assert worker_count(1, 40) == 1
    assert worker_count(3, 40) == 3
    assert 1 <= worker_count(None, 40) <= 40  # one per CPU
    assert worker_count(None, 0) == 1
