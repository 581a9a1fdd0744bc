"""``git/mirrors`` and ``raw_git``: the mirrors, then line survival and rework links from them.

One step updates every repository's mirror (``mirrors.py``), then measures the repositories whose
mirror is usable: a repository that cannot be cloned or fetched fails the step loudly, naming
it and git's own error, after the others are measured and loaded.

For the days of a run, every merged PR whose horizon (7, 30, 90 days) has been reached by the end
of the run's last day and is not measured yet is measured with ``git blame`` on its repository's
mirror (``orchestration/lib/git_durability/`` explains the method). Survival rows merge on
(repo, number, horizon); rework rows are replaced per original PR, because the library measures
rework at the largest horizon reached so far and that supersedes the earlier measurement.
Re-running a day recomputes nothing already measured, so runs are idempotent and cheap.
Repositories are measured in parallel processes, ``TOKENWORTH_GIT_WORKERS`` at a time (default
one per CPU), and their rows assembled in repository order, identical to measuring one by one.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
from orchestration.defs.ingest.common import replaced_per
from orchestration.defs.ingest.git.mirrors import (
    GitMirrorError,
    RepositoryNameError,
    check_repository_name,
    mirror_path,
    update_mirror,
)
from orchestration.defs.ingest.github.source import list_repositories
from orchestration.defs.ingest.sources import WAREHOUSE_POOL
from orchestration.defs.ingest.status import (
    DISABLED,
    NOT_CONFIGURED,
    SourceRun,
    run_deadline,
    source_failure,
)
from orchestration.defs.partitions import window_days
from orchestration.defs.resources import (
    GitDurabilityResource,
    GitHubResource,
    SourcesResource,
    WarehouseResource,
)
from orchestration.lib import settings
from orchestration.lib.git_durability.lines import load_exclude_patterns
from orchestration.lib.git_durability.parallel import (
    RepositoryJob,
    measure_repositories,
    worker_count,
)
from orchestration.lib.git_durability.records import MergedPullRequest
from orchestration.lib.http import safe_url
from orchestration.lib.project_vars import read_project_vars
from orchestration.lib.redact import redact

SOURCE = "git"
MIRRORS = dg.AssetKey(["git", "mirrors"])
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


def _current_names(rows: list[tuple[str, str | None, str]]) -> dict[str, str]:
    """Loaded name → current name of every repository renamed or transferred since, from raw
    pull requests' ``(repo, repository_id, _dlt_load_id)``: a repository keeps GitHub's node id
    under a new name, and its name in the latest load is the current one. The rule of dbt's
    ``repository_renames`` macro, so durability measures and keys a renamed repository's pull
    requests under the name its mirror and the warehouse use; a name two repositories have held
    is left as loaded."""
    ids: dict[str, set[str]] = {}
    latest: dict[str, tuple[str, str]] = {}  # repository id -> (load id, name)
    for repo, repository_id, load_id in rows:
        if repository_id is None:
            continue
        ids.setdefault(repo, set()).add(repository_id)
        latest[repository_id] = max(latest.get(repository_id, ("", "")), (load_id or "", repo))
    return {
        repo: latest[next(iter(owners))][1]
        for repo, owners in ids.items()
        if len(owners) == 1 and latest[next(iter(owners))][1] != repo
    }


def _merged_pull_requests(
    warehouse: WarehouseResource,
) -> tuple[dict[str, list[MergedPullRequest]], dict[str, str]]:
    """Merged PRs per repository (under its current name), with their commits, from
    ``raw_github``; and the renamed repositories' loaded → current names."""
    pipeline = warehouse.pipeline("github")
    try:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name("pull_requests")
            names = _current_names(
                client.execute_sql(
                    f"select distinct repo, repository_id, _dlt_load_id from {table}"
                )
            )
            prs = client.execute_sql(
                "select repo, number, merged_at, merge_commit_oid, title, head_ref_name "
                f"from {table} where merged_at is not null and merge_commit_oid is not null"
            )
            commits = client.execute_sql(
                "select repo, pr_number, position, oid "
                f"from {client.make_qualified_table_name('pull_request_commits')}"
            )
    except DatabaseUndefinedRelation:  # no pull request loaded yet (a quiet first night)
        return {}, {}
    oids: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for loaded, number, position, oid in commits:
        repo = names.get(loaded, loaded)
        oids.setdefault((repo, int(number)), []).append((int(position), oid))
    by_repo: dict[str, list[MergedPullRequest]] = {}
    for loaded, number, merged_at, merge_oid, title, head_ref in prs:
        repo = names.get(loaded, loaded)
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
    return by_repo, names


def _already_measured(
    warehouse: WarehouseResource, names: dict[str, str]
) -> dict[str, set[tuple[int, int]]]:
    """(number, horizon) pairs already in ``pr_survival``, per repository under its current
    name (``names``: loaded → current), so a rename never measures a horizon twice."""
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
        by_repo.setdefault(names.get(repo, repo), set()).add((int(number), int(horizon)))
    return by_repo


# Mirrors update a few at a time: each update is mostly waiting on git and the network (one
# after another, 40 repositories took 19 s of a night's 70 s on the large benchmark profile).
_MIRROR_WORKERS = 4


def git_assets(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The git step: ``git/mirrors``, ``raw_git/pr_survival`` and ``raw_git/rework_links``."""

    @dg.multi_asset(
        name="raw_git",
        specs=[
            dg.AssetSpec(
                MIRRORS,
                description="Bare mirrors of every repository (with refs/pull/*), fetched nightly.",
                group_name="ingest_git",
                kinds={"git"},
                skippable=True,
            ),
            dg.AssetSpec(
                SURVIVAL,
                deps=[
                    MIRRORS,
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
                deps=[MIRRORS, dg.AssetKey(["raw_github", "pull_requests"])],
                description="Which later PR removed or changed which merged PR's lines (git "
                "blame --reverse), reverts flagged.",
                group_name="ingest_git",
                kinds={"git", "dlt"},
                skippable=True,
            ),
        ],
        partitions_def=partitions,
        # One run brings the mirrors up to date and measures what fell due, for any range.
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
    )
    def raw_git(
        context: dg.AssetExecutionContext,
        github: GitHubResource,
        warehouse: WarehouseResource,
        git_durability: GitDurabilityResource,
        sources: SourcesResource,
    ) -> Iterator[dg.MaterializeResult]:
        yield from _run(context, github, warehouse, git_durability, sources)

    return raw_git


def _run(
    context: dg.AssetExecutionContext,
    github: GitHubResource,
    warehouse: WarehouseResource,
    git_durability: GitDurabilityResource,
    sources: SourcesResource,
) -> Iterator[dg.MaterializeResult]:
    run = SourceRun.start(context, SOURCE, window_days(context, 0))
    if not sources.is_enabled(SOURCE):
        message = f"git: switched off ({settings.TOKENWORTH_SOURCES} does not name {SOURCE})"
        run.finish_skipped(warehouse, DISABLED, message, context.log)
        return
    deadline = run_deadline(context, sources.run_timeout_seconds)
    try:
        repos, failures = _repositories(context, github, deadline)
    except Exception as exc:
        failure = source_failure(exc)
        run.finish_failed(warehouse, failure.description or str(exc), context.log)
        raise failure from None
    if repos is None:
        message = (
            f"git: skipped — set {settings.GITHUB_TOKEN} and {settings.TOKENWORTH_GITHUB_REPOS} "
            f"(or {settings.TOKENWORTH_GITHUB_ORG}) to mirror repositories"
        )
        run.finish_skipped(warehouse, NOT_CONFIGURED, message, context.log)
        return
    home = warehouse.home_path
    mirrored, mirror_failures = _update_mirrors(context, github, home, repos, deadline)
    failures += mirror_failures
    if not failures:
        yield dg.MaterializeResult(
            asset_key=MIRRORS,
            metadata={
                "repositories": len(mirrored),
                "refs": sum(int(r["refs"]) for r in mirrored.values()),
                "pull_refs": sum(int(r["pull_refs"]) for r in mirrored.values()),
                "path": dg.MetadataValue.path(str(home / "git")),
            },
        )
    # A repository whose mirror failed tonight is not measured: horizons measured on a stale
    # mirror would miss the commits that reached it since, and measurements are never redone.
    yield from _measure(context, warehouse, git_durability, home, set(mirrored))
    if failures:
        message = (
            f"git: {len(failures)} repositor{'y' if len(failures) == 1 else 'ies'} failed: "
            f"{'; '.join(failures)} — check {settings.TOKENWORTH_GIT_CLONE_URL}, "
            f"{settings.TOKENWORTH_GITHUB_REPOS} and {settings.GITHUB_TOKEN}; the other "
            f"{len(mirrored)} were mirrored and measured"
        )
        run.finish_failed(warehouse, message, context.log, partial=bool(mirrored))
        raise dg.Failure(description=redact(message))
    run.finish_loaded(warehouse, context.log)


def _repositories(
    context: dg.AssetExecutionContext, github: GitHubResource, deadline: float
) -> tuple[list[str] | None, list[str]]:
    """The repositories to mirror (None: not configured) and the names refused, with why."""
    if not github.configured:
        return None, []  # durability measures pull requests, and only GitHub's API lists them
    if github.repo_list:
        return github.repo_list, []  # validated when the resource was built
    if not github.org:
        return None, []
    client = github.client(context.log, deadline=deadline)
    try:
        listed = list_repositories(client, github.org)
    finally:
        client.close()
    repos: list[str] = []
    refused: list[str] = []
    for repo in listed:
        try:
            repos.append(check_repository_name(repo, f"GitHub organization {github.org}"))
        except RepositoryNameError as error:
            context.log.error(str(error))
            refused.append(str(error))
    return repos, refused


def _update_mirrors(
    context: dg.AssetExecutionContext,
    github: GitHubResource,
    home: Path,
    repos: list[str],
    deadline: float,
) -> tuple[dict[str, dict[str, int | str]], list[str]]:
    """Bring every mirror up to date, a few at a time; (results per repository, failures)."""

    def update(repo: str) -> dict[str, int | str] | GitMirrorError:
        url = github.clone_url_template.format(repo=repo)
        try:
            return update_mirror(home, repo, url, github.token, deadline)
        except GitMirrorError as exc:
            return exc

    mirrored: dict[str, dict[str, int | str]] = {}
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=_MIRROR_WORKERS) as pool:
        # map() keeps the repositories' order, so the log reads the same on every run.
        for repo, outcome in zip(repos, pool.map(update, repos), strict=True):
            if isinstance(outcome, GitMirrorError):
                failures.append(str(outcome))
                context.log.error(str(outcome))
                continue
            mirrored[repo] = outcome
            url = safe_url(github.clone_url_template.format(repo=repo))
            context.log.info(f"git mirror {repo}: {outcome['action']} from {url}")
    return mirrored, failures


def _measure(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    git_durability: GitDurabilityResource,
    home: Path,
    mirrored: set[str],
) -> Iterator[dg.MaterializeResult]:
    """Measure every (merged PR, horizon) that fell due in the mirrored repositories; load it."""
    window = context.partition_time_window
    # Horizons reached by the end of the run's last day (the window's end is exclusive).
    as_of = datetime.combine(window.end.date(), time(0), tzinfo=UTC)
    by_repo, names = _merged_pull_requests(warehouse)
    if not by_repo:
        context.log.info("git durability: no merged pull requests in raw_github yet")
        return
    measured = _already_measured(warehouse, names)
    patterns = load_exclude_patterns()
    # The horizons and the rework window the marts report (dbt vars), measured as they say.
    contract = read_project_vars()
    jobs: list[RepositoryJob] = []
    for repo, prs in sorted(by_repo.items()):
        if repo not in mirrored:
            context.log.warning(f"git durability: {repo} has no fresh mirror tonight; not measured")
            continue
        path = mirror_path(home, repo)
        jobs.append(
            RepositoryJob(
                repo=repo,
                repo_path=str(path),
                default_branch=_default_branch(path),
                prs=tuple(prs),
                horizons_days=contract.durability_horizons_days,
                as_of=as_of,
                already_measured=frozenset(measured.get(repo, ())),
                exclude_patterns=tuple(patterns),
                rework_window_days=contract.rework_window_days,
            )
        )
    # Repositories in parallel processes (git blame uses one core); results come back in the
    # jobs' sorted order, so the rows and the log are the same whatever finishes first.
    workers = worker_count(git_durability.workers, len(jobs))
    context.log.info(f"git durability: {len(jobs)} repositories, {workers} at a time")
    survival: list[dict[str, Any]] = []
    rework: list[dict[str, Any]] = []
    totals = {"blames": 0, "baseline_blames": 0, "seconds": 0.0, "pairs": 0}
    skipped_files: dict[str, int] = {}
    started = monotonic()
    results = measure_repositories(jobs, workers)
    wall_seconds = monotonic() - started
    for job, result in zip(jobs, results, strict=True):
        stats = result.stats
        totals["blames"] += stats.total_blame_invocations
        totals["baseline_blames"] += stats.baseline_total_blame_invocations
        totals["seconds"] += stats.seconds
        totals["pairs"] += stats.pairs_computed
        for why, count in stats.files_skipped.items():
            skipped_files[why] = skipped_files.get(why, 0) + count
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
        f"{workers} at a time; files left out of blame: "
        f"{skipped_files.get('binary', 0)} binary, {skipped_files.get('excluded', 0)} generated, "
        "vendored or lock files (by the exclude patterns)"
    )
    metadata = {
        "binary_files_skipped": skipped_files.get("binary", 0),
        "excluded_files_skipped": skipped_files.get("excluded", 0),
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
