"""``raw_git``: line survival of merged pull requests and rework links, from the git mirrors.

For the days of a run, every merged PR whose horizon (7, 30, 90 days) has been reached by the end
of the run's last day and is not measured yet is measured with ``git blame`` on its repository's
mirror (``orchestration/lib/git_durability.py`` explains the method). Survival rows merge on
(repo, number, horizon); rework rows are replaced per original PR, because the library measures
rework at the largest horizon reached so far and that supersedes the earlier measurement.
Re-running a day recomputes nothing already measured, so runs are idempotent and cheap.
Repositories are measured in parallel processes, ``TOKENWORTH_GIT_WORKERS`` at a time (default
one per CPU), and their rows assembled in repository order, identical to measuring one by one.
"""

from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, time
from pathlib import Path
from time import monotonic
from typing import Any

import dagster as dg
import dlt
import pyarrow as pa
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from orchestration.defs.ingest.arrow import (
    BIGINT,
    BOOL,
    DATE,
    TEXT,
    TIMESTAMP_UTC,
    arrow_schema,
    key_field,
)
from orchestration.defs.ingest.common import (
    WAREHOUSE_POOL,
    completed_without_data,
    replaced_per,
)
from orchestration.defs.ingest.git.assets import mirror_path
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import GitDurabilityResource, WarehouseResource
from orchestration.lib.git_durability import (
    MergedPullRequest,
    RepositoryJob,
    load_exclude_patterns,
    measure_repositories,
    worker_count,
)

HORIZONS_DAYS = (7, 30, 90)
REWORK_WINDOW_DAYS = 30
SURVIVAL = dg.AssetKey(["raw_git", "pr_survival"])
REWORK = dg.AssetKey(["raw_git", "rework_links"])

# Explicit types, so the tables exist (and dbt's sources resolve) even before any PR has a
# measured horizon or any line was reworked.
# Key columns NOT NULL, as dlt makes them (else it warns on every load that the hints differ).
SURVIVAL_SCHEMA = arrow_schema(
    key_field("repo"),
    key_field("number", BIGINT),
    key_field("horizon_days", BIGINT),
    ("snapshot_oid", TEXT),
    ("snapshot_at", TIMESTAMP_UTC),
    ("effective_lines_added", BIGINT),
    ("lines_surviving", BIGINT),
    ("survival_rate", pa.float64()),
    ("computed_for_date", DATE),
    ("measured_as_of", TIMESTAMP_UTC),
)
REWORK_SCHEMA = arrow_schema(
    key_field("repo"),
    key_field("original_number", BIGINT),
    ("later_number", BIGINT),
    key_field("later_commit_oid"),
    ("lines_reworked", BIGINT),
    ("first_reworked_at", TIMESTAMP_UTC),
    ("days_after_merge", pa.float64()),
    ("is_revert", BOOL),
    ("horizon_days", BIGINT),
    ("measured_as_of", TIMESTAMP_UTC),
)


def _merged_pull_requests(warehouse: WarehouseResource) -> dict[str, list[MergedPullRequest]]:
    """Merged PRs per repository, with their commits, from ``raw_github``."""
    pipeline = warehouse.pipeline("github")
    try:
        with pipeline.sql_client() as client:
            prs = client.execute_sql(
                "select repo, number, merged_at, merge_commit_oid, title, head_ref_name "
                f"from {client.make_qualified_table_name('pull_requests')} "
                "where merged_at is not null and merge_commit_oid is not null"
            )
            commits = client.execute_sql(
                "select repo, pr_number, position, oid "
                f"from {client.make_qualified_table_name('pull_request_commits')}"
            )
    except DatabaseUndefinedRelation:  # no pull request loaded yet (a quiet first night)
        return {}
    oids: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for repo, number, position, oid in commits:
        oids.setdefault((repo, int(number)), []).append((int(position), oid))
    by_repo: dict[str, list[MergedPullRequest]] = {}
    for repo, number, merged_at, merge_oid, title, head_ref in prs:
        merged = merged_at if merged_at.tzinfo else merged_at.replace(tzinfo=UTC)
        by_repo.setdefault(repo, []).append(
            MergedPullRequest(
                repo=repo,
                number=int(number),
                merged_at=merged,
                merge_commit_oid=merge_oid,
                commit_oids=tuple(o for _, o in sorted(oids.get((repo, int(number)), []))),
                title=title or "",
                head_ref=head_ref or "",
            )
        )
    return by_repo


def _already_measured(warehouse: WarehouseResource) -> dict[str, set[tuple[int, int]]]:
    """(number, horizon) pairs already in ``pr_survival``, per repository."""
    pipeline = warehouse.pipeline("git")
    try:
        with pipeline.sql_client() as client:
            rows = client.execute_sql(
                "select repo, number, horizon_days "
                f"from {client.make_qualified_table_name('pr_survival')}"
            )
    except DatabaseUndefinedRelation:  # the first run: nothing measured yet
        return {}
    by_repo: dict[str, set[tuple[int, int]]] = {}
    for repo, number, horizon in rows:
        by_repo.setdefault(repo, set()).add((int(number), int(horizon)))
    return by_repo


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            SURVIVAL,
            deps=[
                dg.AssetKey(["git", "mirrors"]),
                dg.AssetKey(["raw_github", "pull_requests"]),
                dg.AssetKey(["raw_github", "pull_request_commits"]),
            ],
            description="Effective lines of each merged PR still blamed to it at each horizon.",
            group_name="ingest_git",
            kinds={"git", "dlt"},
            skippable=True,
        ),
        dg.AssetSpec(
            REWORK,
            deps=[dg.AssetKey(["git", "mirrors"]), dg.AssetKey(["raw_github", "pull_requests"])],
            description="Which later PR removed or changed which merged PR's lines (git blame "
            "--reverse), reverts flagged.",
            group_name="ingest_git",
            kinds={"git", "dlt"},
            skippable=True,
        ),
    ],
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def raw_git_durability(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    git_durability: GitDurabilityResource,
) -> Iterator[dg.MaterializeResult]:
    window = context.partition_time_window
    # Horizons reached by the end of the run's last day (the window's end is exclusive).
    as_of = datetime.combine(window.end.date(), time(0), tzinfo=UTC)
    home = warehouse.home_path
    by_repo = _merged_pull_requests(warehouse)
    if not by_repo:
        reason = "git durability: skipped — no merged pull requests in raw_github yet"
        yield from completed_without_data(context, reason)
        return
    measured = _already_measured(warehouse)
    patterns = load_exclude_patterns()
    jobs: list[RepositoryJob] = []
    for repo, prs in sorted(by_repo.items()):
        path = mirror_path(home, repo)
        if not (path / "HEAD").exists():
            context.log.warning(f"git durability: no mirror of {repo} at {path}; skipped")
            continue
        jobs.append(
            RepositoryJob(
                repo=repo,
                repo_path=str(path),
                default_branch=_default_branch(path),
                prs=tuple(prs),
                horizons_days=HORIZONS_DAYS,
                as_of=as_of,
                already_measured=frozenset(measured.get(repo, ())),
                exclude_patterns=tuple(patterns),
                rework_window_days=REWORK_WINDOW_DAYS,
            )
        )
    # Repositories in parallel processes (git blame uses one core); results come back in the
    # jobs' sorted order, so the rows and the log are the same whatever finishes first.
    workers = worker_count(git_durability.workers, len(jobs))
    context.log.info(f"git durability: {len(jobs)} repositories, {workers} at a time")
    survival: list[dict[str, Any]] = []
    rework: list[dict[str, Any]] = []
    totals = {"blames": 0, "baseline_blames": 0, "seconds": 0.0, "pairs": 0}
    started = monotonic()
    results = measure_repositories(jobs, workers)
    wall_seconds = monotonic() - started
    for job, result in zip(jobs, results, strict=True):
        stats = result.stats
        totals["blames"] += stats.total_blame_invocations
        totals["baseline_blames"] += stats.baseline_total_blame_invocations
        totals["seconds"] += stats.seconds
        totals["pairs"] += stats.pairs_computed
        for skipped, why in stats.prs_skipped:
            context.log.warning(f"git durability: {job.repo}#{skipped} not measured: {why}")
        survival += [{**asdict(row), "measured_as_of": as_of} for row in result.survival]
        rework += [{**asdict(row), "measured_as_of": as_of} for row in result.rework]
    pipeline = warehouse.pipeline("git")
    pipeline.run(
        [
            dlt.resource(
                pa.Table.from_pylist(survival, schema=SURVIVAL_SCHEMA),
                name="pr_survival",
                primary_key=("repo", "number", "horizon_days"),
                write_disposition="merge",
            ),
            dlt.resource(
                pa.Table.from_pylist(rework, schema=REWORK_SCHEMA),
                name="rework_links",
                # Replace every row of an original PR measured again at a larger horizon.
                **replaced_per(
                    ("repo", "original_number"), ("repo", "original_number", "later_commit_oid")
                ),
            ),
        ]
    )
    context.log.info(
        f"git durability: {totals['pairs']} (PR, horizon) pairs as of {as_of:%Y-%m-%d}, "
        f"{totals['blames']} blames (one-per-PR-per-file baseline: {totals['baseline_blames']}), "
        f"{totals['seconds']:.1f}s over the repositories, {wall_seconds:.1f}s wall with "
        f"{workers} at a time"
    )
    metadata = {
        "pairs_measured": totals["pairs"],
        "blame_invocations": totals["blames"],
        "baseline_blame_invocations": totals["baseline_blames"],
        "seconds": round(totals["seconds"], 2),
        "wall_seconds": round(wall_seconds, 2),
        "workers": workers,
    }
    yield dg.MaterializeResult(asset_key=SURVIVAL, metadata={**metadata, "rows": len(survival)})
    yield dg.MaterializeResult(asset_key=REWORK, metadata={"rows": len(rework)})


def _default_branch(path: Path) -> str:
    """The mirror's HEAD branch (GitHub's default branch), e.g. ``main``."""
    head = (path / "HEAD").read_text().strip()
    prefix = "ref: refs/heads/"
    return head[len(prefix) :] if head.startswith(prefix) else "main"
