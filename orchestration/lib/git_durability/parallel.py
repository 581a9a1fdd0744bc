"""``measure_repositories``: ``measure`` for several repositories at once, in worker processes."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime

from orchestration.lib.git_durability.measure import measure
from orchestration.lib.git_durability.records import DurabilityResult, MergedPullRequest


@dataclass(frozen=True)
class RepositoryJob:
    """The arguments of one ``measure`` call as plain data, so it pickles to a worker process."""

    repo: str  # owner/name, for error messages
    repo_path: str
    default_branch: str
    prs: tuple[MergedPullRequest, ...]
    horizons_days: tuple[int, ...]
    as_of: datetime
    already_measured: frozenset[tuple[int, int]] = frozenset()
    # The glob strings, not a compiled ``PathExcluder``: ``measure`` compiles them where it runs.
    exclude_patterns: tuple[str, ...] | None = None
    rework_window_days: int = 30


class RepositoryMeasureError(RuntimeError):
    """``measure`` failed for one repository; the message names it."""


def worker_count(requested: int | None, jobs: int) -> int:
    """Processes ``measure_repositories`` uses: ``requested`` (None: one per CPU), at most one
    per job, at least one."""
    return max(1, min(requested or os.cpu_count() or 1, jobs))


def _measure_job(job: RepositoryJob) -> DurabilityResult:
    return measure(
        job.repo_path,
        job.default_branch,
        job.prs,
        job.horizons_days,
        job.as_of,
        already_measured=job.already_measured,
        exclude_patterns=job.exclude_patterns,
        rework_window_days=job.rework_window_days,
    )


def _failure(job: RepositoryJob, exc: BaseException) -> RepositoryMeasureError:
    return RepositoryMeasureError(
        f"git durability of {job.repo} ({job.repo_path}) failed: {type(exc).__name__}: {exc}"
    )


def measure_repositories(
    jobs: Sequence[RepositoryJob], workers: int | None = None
) -> list[DurabilityResult]:
    """``measure`` for every job, ``worker_count(workers, len(jobs))`` repositories at a time.

    Results come back in the order of ``jobs``, whatever order the repositories finish in, and
    each equals what ``measure`` returns in this process. Repositories are the unit of work
    because a repository's blames build on each other in chain order, and ``git blame`` itself
    uses one core. With one worker (or one job) everything runs here, without starting a pool.
    """
    count = worker_count(workers, len(jobs))
    if count == 1:
        results = []
        for job in jobs:
            try:
                results.append(_measure_job(job))
            except Exception as exc:
                raise _failure(job, exc) from exc
        return results
    # spawn, not fork: the callers run inside Dagster (and the demo's sandbox server), whose
    # other threads may hold locks that a forked child would inherit, held forever.
    context = multiprocessing.get_context("spawn")
    # The biggest repositories first, so that the longest job does not start last and leave
    # the other workers idle at the end.
    order = sorted(range(len(jobs)), key=lambda i: len(jobs[i].prs), reverse=True)
    done: dict[int, DurabilityResult] = {}
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        futures = {pool.submit(_measure_job, jobs[i]): i for i in order}
        for future in as_completed(futures):
            index = futures[future]
            try:
                done[index] = future.result()
            except Exception as exc:
                # Start no further repository; let the running ones finish, so no worker or
                # git process outlives the error.
                pool.shutdown(wait=True, cancel_futures=True)
                raise _failure(jobs[index], exc) from exc
    return [done[i] for i in range(len(jobs))]
