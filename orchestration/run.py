"""``tokenworth run``: materialise daily partitions in-process through the same Definitions.

The CLI (``orchestration/cli.py``) parses arguments and calls :func:`run_partitions`; this module
validates the dates, points ``DAGSTER_HOME`` into ``TOKENWORTH_HOME`` when unset, and executes the
nightly job once over the whole range (assets use single-run backfills, so a range is one run per
source, not one per day).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from orchestration.lib import settings
from orchestration.lib.warehouse import warehouse_from_env

TRIGGER_TAG = "tokenworth/trigger"
# Which process runs a `tokenworth run` job, so the next one can tell a crashed run from a live one.
PROCESS_TAG = "tokenworth/process"


@dataclass
class RunSummary:
    """What happened: the partitions, which sources loaded, skipped or failed (and why)."""

    start: date
    end: date
    run_id: str
    success: bool
    materialized: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _as_day(value: date | str, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"--{name} must be a day in the form YYYY-MM-DD (got {value!r})") from None


def validate_range(
    start: date | str, end: date | str | None, *, today: date | None = None
) -> tuple[date, date]:
    """Check a partition range; ``end`` defaults to ``start`` (both inclusive).

    Raises:
        ValueError: malformed day, end before start, a day that is not complete yet, or a day
            before the first partition (``TOKENWORTH_START_DATE``).
    """
    first = _as_day(start, "start")
    last = _as_day(end, "end") if end is not None else first
    if last < first:
        raise ValueError(f"--end {last} is before --start {first}")
    today = today or datetime.now(UTC).date()
    if last >= today:
        what = "in the future" if last > today else "today, which is not complete yet"
        raise ValueError(
            f"{last} is {what}: the last complete UTC day is {today - timedelta(days=1)}"
        )
    earliest = date.fromisoformat(settings.env(settings.TOKENWORTH_START_DATE))
    if first < earliest:
        raise ValueError(
            f"--start {first} is before the first partition {earliest} "
            f"(set {settings.TOKENWORTH_START_DATE} to go further back)"
        )
    return first, last


def _instance() -> dg.DagsterInstance:
    # One "materialisation planned" event per asset for a range run instead of one per asset and
    # day: on SQLite storage each event is a committed transaction, and a 60-day backfill of
    # ~100 assets otherwise spends minutes writing ~6,000 of them before the first step runs.
    # (Dagster's trade-off: a failed range run does not mark its partitions failed; `tokenworth
    # run` reports the failure and a re-run reloads the days.)
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")
    if not os.environ.get("DAGSTER_HOME"):
        home = settings.tokenworth_home() / "dagster"
        home.mkdir(parents=True, exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def fail_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark ``tokenworth run`` jobs whose process died mid-run (kill -9, power cut) as failed.

    An in-process run that is killed never records its end, so Dagster would show it as
    running forever and its partitions as in progress. The data needs no repair — dlt loads
    any package the dead run left pending before extracting again, and loads replace whole
    days — so only the run's status is corrected. Returns the ids of the runs marked failed.
    """
    host = socket.gethostname()
    orphaned = []
    running = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
            tags={TRIGGER_TAG: "tokenworth run"},
        )
    )
    for run in running:
        owner_host, _, pid = run.tags.get(PROCESS_TAG, "").rpartition(":")
        if owner_host != host or not pid.isdigit() or _process_alive(int(pid)):
            continue  # another machine's run, an older run without the tag, or still running
        instance.report_run_failed(
            run,
            message=f"process {pid} on {host} ended without finishing this run (killed or "
            "crashed); a later `tokenworth run` re-loads its days",
        )
        orphaned.append(run.run_id)
    return orphaned


def run_partitions(
    start: date | str,
    end: date | str | None = None,
    *,
    today: date | None = None,
    groups: tuple[str, ...] | None = None,
) -> RunSummary:
    """Materialise every asset for the UTC days ``start``..``end`` (inclusive) in-process.

    ``groups`` restricts the run to those asset groups (e.g. the ``ingest_*`` groups); the CLI
    leaves it unset, so every asset runs.

    Returns:
        A :class:`RunSummary`; ``success`` is False when any source failed (the others still
        loaded — each source is its own step).
    """
    first, last = validate_range(start, end, today=today)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    warehouse_from_env().export_dbt_env()  # dbt steps in the same job read these

    # Parse dbt first: the definitions must describe the models on disk now, not a manifest
    # left by an earlier parse (a stale one names tests that no longer exist).
    from orchestration.defs.transform.project import prepare_manifest

    prepare_manifest(force=True)
    from orchestration.defs import build_definitions
    from orchestration.defs.ingest.common import SKIPPED
    from orchestration.defs.schedules import NIGHTLY_JOB

    defs = build_definitions()
    job = defs.resolve_job_def(NIGHTLY_JOB)
    if groups:
        graph = defs.resolve_asset_graph()
        keys = {k for k in graph.get_all_asset_keys() if graph.get(k).group_name in groups}
        job = job.get_subset(asset_selection=keys)
    instance = _instance()
    fail_orphaned_runs(instance)
    tags = {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": last.isoformat(),
        TRIGGER_TAG: "tokenworth run",
        PROCESS_TAG: f"{socket.gethostname()}:{os.getpid()}",
    }
    result = job.execute_in_process(
        instance=instance,
        tags=tags,
        raise_on_error=False,
    )
    summary = RunSummary(start=first, end=last, run_id=result.run_id, success=result.success)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            key = event.asset_key
            if key is None:
                continue
            metadata = event.step_materialization_data.materialization.metadata
            if SKIPPED in metadata:  # completed without data: no credential, nothing to do yet
                summary.skipped.append(f"{key.to_user_string()}: {metadata[SKIPPED].value}")
            else:
                summary.materialized.append(key.to_user_string())
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            message = data.user_failure_data.description if data.user_failure_data else None
            if not message and data.error is not None:
                message = data.error.message.strip().splitlines()[0]
            summary.failures[event.step_key or "?"] = message or "failed"
    return summary
