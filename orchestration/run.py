"""``tokenworth run``: the nightly's two jobs, in-process, over a range of UTC days.

The CLI (``orchestration/cli.py``) parses arguments and calls :func:`run_partitions`; this module
validates the dates, takes the home's run lock, points ``DAGSTER_HOME`` into ``TOKENWORTH_HOME``
when unset, and executes the extraction job, then the transform job whatever the extraction's
outcome (``orchestration/defs/jobs.py`` explains why two), each once over the whole range.

Exit codes (:attr:`RunSummary.exit_code`, documented in the README): 0 everything loaded and
built; 1 some input failed, or a vendor's answer was held back from the raw archive
(``orchestration/defs/ingest/archive.py``), but the warehouse was built from the rest; 2 bad
configuration or command line (raised as ``ValueError`` before anything runs); 3 the warehouse
build failed.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.lib import settings

TRIGGER_TAG = "tokenworth/trigger"
# Which process runs a `tokenworth run` job, so the next one can tell a crashed run from a live one.
PROCESS_TAG = "tokenworth/process"

EXIT_OK = 0
EXIT_INPUT_FAILED = 1
EXIT_BAD_CONFIGURATION = 2
EXIT_BUILD_FAILED = 3


@dataclass
class RunSummary:
    """What happened: the days, each source's outcome, and whether the warehouse was built."""

    start: date
    end: date
    run_id: str
    success: bool = True
    transform_run_id: str | None = None
    # Asset keys materialised ("raw_cursor/usage_events", "marts/mart_platform_efficiency").
    materialized: list[str] = field(default_factory=list)
    # Failed steps of either job, with the reason (a source's own one-line message).
    failures: dict[str, str] = field(default_factory=dict)
    # "<source>: <why>" for sources not configured or switched off.
    skipped: list[str] = field(default_factory=list)
    # "<source>/<product>: <why>" for products the organisation does not have.
    not_available: list[str] = field(default_factory=list)
    # Why the warehouse build failed (dbt's failing tests with their first rows), if it did.
    build_failure: str | None = None
    # raw_tokenworth.source_runs rows of this run (source, product, status, message).
    sources: list[dict[str, Any]] = field(default_factory=list)
    # One line per (source, table, day) this run held back from the archive (drops too much).
    held: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.build_failure is not None:
            return EXIT_BUILD_FAILED
        return EXIT_OK if not self.failures and not self.held else EXIT_INPUT_FAILED


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
    earliest = settings.start_date()
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
    install_dagster_yaml(Path(os.environ["DAGSTER_HOME"]))
    return dg.DagsterInstance.get()


def install_dagster_yaml(dagster_home: Path) -> None:
    """Put the project's ``dagster.yaml`` (one warehouse writer at a time, no telemetry) into
    ``dagster_home`` unless it has one: an operator's own settings are never replaced."""
    target = dagster_home / "dagster.yaml"
    if not target.exists():
        dagster_home.mkdir(parents=True, exist_ok=True)
        target.write_text((files("orchestration") / "dagster.yaml").read_text(encoding="utf-8"))


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
    running forever, its partitions as in progress and its slots in the warehouse pool as taken.
    The data needs no repair — loads replace whole days, and dlt discards the dead run's pending
    package — so only the run's status and slots are corrected. Returns the ids of the runs
    marked failed.
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
        # Its steps' slots in the warehouse pool stay claimed until freed: the next run's
        # warehouse steps would wait for them forever.
        storage = instance.event_log_storage
        if storage.supports_global_concurrency_limits:
            storage.free_concurrency_slots_for_run(run.run_id)
        orphaned.append(run.run_id)
    return orphaned


def run_partitions(
    start: date | str,
    end: date | str | None = None,
    *,
    today: date | None = None,
    groups: tuple[str, ...] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunSummary:
    """Extract every source for the UTC days ``start``..``end`` (inclusive), then build the
    warehouse, in-process, holding the home's run lock.

    ``groups`` restricts the run to those asset groups (e.g. the ``ingest_*`` groups, which
    skips the build); the CLI leaves it unset. ``progress`` receives one line per stage.

    Raises:
        ValueError: bad dates or settings (exit code 2); ``RunLockedError`` when another run
            holds the home; ``WarehouseUnreachableError`` when the warehouse cannot be written.
    """
    from orchestration.lib.lock import run_lock
    from orchestration.lib.warehouse import warehouse_from_env

    first, last = check_can_start(start, end, today=today)
    home = settings.tokenworth_home()
    say = progress or (lambda line: None)
    with run_lock(home, on_stale=say):
        warehouse_from_env().check_writable()
        return _run(first, last, groups, say)


def check_can_start(
    start: date | str, end: date | str | None = None, *, today: date | None = None
) -> tuple[date, date]:
    """Everything that can be refused before a run writes anything: the days, the settings,
    and whether any source is configured. Returns the days.

    Raises:
        ValueError: naming the argument or variable to fix (exit code 2).
    """
    from orchestration.lib.lock import raise_if_locked

    first, last = validate_range(start, end, today=today)
    home = settings.tokenworth_home(create=False)
    _require_a_source()
    # Refused here, before the command line writes its log file: the run takes the lock itself.
    raise_if_locked(home)
    return first, last


def _require_a_source() -> None:
    """Refuse a run with nothing to load: every source lacks its credential or is switched off.

    Raises:
        ValueError: naming the variables that would configure a source.
    """
    from orchestration.defs.ingest.sources import SOURCES, enabled_sources
    from orchestration.defs.resources import build_resources

    resources = build_resources()
    enabled = enabled_sources()
    configured = [
        s.name
        for s in SOURCES
        if (not enabled or s.name in enabled)
        and not s.missing(resources[s.resource_key].process_config_and_initialize())
    ]
    if not configured:
        raise ValueError(
            "no source is configured, so there is nothing to load: set at least one of "
            f"{settings.ANTHROPIC_ADMIN_API_KEY}, {settings.OPENAI_ADMIN_API_KEY}, "
            f"{settings.CURSOR_ADMIN_API_KEY}, {settings.TOKENWORTH_OTEL_PATH}, or "
            f"{settings.GITHUB_TOKEN} with {settings.TOKENWORTH_GITHUB_ORG} (see .env.example)"
            + (f"; {settings.TOKENWORTH_SOURCES} switches some off" if enabled else "")
        )


def _run(
    first: date, last: date, groups: tuple[str, ...] | None, say: Callable[[str], None]
) -> RunSummary:
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    # Parse dbt first: the definitions must describe the models on disk now, not a manifest
    # left by an earlier parse (a stale one names tests that no longer exist).
    from orchestration.defs.transform.project import prepare_manifest

    prepare_manifest(force=True)
    from orchestration.defs import build_definitions
    from orchestration.defs.ingest.archive import held_days
    from orchestration.defs.ingest.status import DISABLED, NOT_CONFIGURED, run_rows
    from orchestration.defs.jobs import EXTRACT_JOB, TRANSFORM_JOB

    defs = build_definitions()
    instance = _instance()
    fail_orphaned_runs(instance)
    days = (last - first).days + 1
    say(f"extracting {days} day(s), {first}..{last}")
    extract_id, extract_events = _execute(defs, EXTRACT_JOB, first, last, groups, instance)
    summary = RunSummary(start=first, end=last, run_id=extract_id)
    _collect(summary, extract_events)
    _collect_not_run(summary, defs, EXTRACT_JOB, groups, extract_events)
    warehouse = defs.resources["warehouse"].process_config_and_initialize()
    summary.sources = run_rows(warehouse, extract_id)
    summary.held = [held.message for held in held_days(warehouse, extract_id)]
    for row in summary.sources:
        name = row["source"] + (f"/{row['product']}" if row["product"] else "")
        if row["status"] in (NOT_CONFIGURED, DISABLED):
            summary.skipped.append(f"{name}: {row['message']}")
        elif row["status"] == "not_available":
            summary.not_available.append(f"{name}: {row['message']}")
    transform_job = defs.resolve_job_def(TRANSFORM_JOB)
    if groups is None or _selects_any(defs, transform_job, groups):
        say("building the warehouse (dbt)")
        transform_id, transform_events = _execute(
            defs, TRANSFORM_JOB, first, last, groups, instance, after=extract_id
        )
        summary.transform_run_id = transform_id
        failures_before = set(summary.failures)
        _collect(summary, transform_events)
        build_steps = set(summary.failures) - failures_before
        if build_steps:
            summary.build_failure = "; ".join(summary.failures[s] for s in sorted(build_steps))
    summary.success = summary.exit_code == 0
    return summary


def _selects_any(defs: dg.Definitions, job: Any, groups: tuple[str, ...]) -> bool:
    graph = defs.resolve_asset_graph()
    return any(graph.get(k).group_name in groups for k in job.asset_layer.executable_asset_keys)


def extract_job() -> dg.JobDefinition:
    """The extraction job, rebuilt from the environment (``dg.reconstructable`` needs a function
    at module level)."""
    from orchestration.defs import build_definitions
    from orchestration.defs.jobs import EXTRACT_JOB

    return build_definitions().resolve_job_def(EXTRACT_JOB)


def transform_job() -> dg.JobDefinition:
    """The transform job, rebuilt from the environment (see :func:`extract_job`)."""
    from orchestration.defs import build_definitions
    from orchestration.defs.jobs import TRANSFORM_JOB

    return build_definitions().resolve_job_def(TRANSFORM_JOB)


def _execute(
    defs: dg.Definitions,
    job_name: str,
    first: date,
    last: date,
    groups: tuple[str, ...] | None,
    instance: dg.DagsterInstance,
    after: str | None = None,
) -> tuple[str, list[dg.DagsterEvent]]:
    """Run one job over the days with its own executor (not ``execute_in_process``, which
    replaces the executor and so its step-dependency setting); (run id, events)."""
    from orchestration.defs.jobs import AFTER_TAG, EXTRACT_JOB

    job = defs.resolve_job_def(job_name)
    ops = None
    if groups:
        # By step, not by asset key: an asset selection would bring in every check on those
        # assets, the freshness checks that the job leaves out among them.
        graph = defs.resolve_asset_graph()
        in_job = {node.name for node in job.graph.nodes}
        ops = sorted(
            definition.node_def.name
            for definition in [*(defs.assets or []), *(defs.asset_checks or [])]
            if isinstance(definition, dg.AssetsDefinition)
            and definition.node_def.name in in_job
            and any(
                graph.get(key).group_name in groups
                for key in (*definition.keys, *(c.asset_key for c in definition.check_keys))
            )
        )
    tags = {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": last.isoformat(),
        TRIGGER_TAG: "tokenworth run",
        PROCESS_TAG: f"{socket.gethostname()}:{os.getpid()}",
        **({AFTER_TAG: after} if after else {}),
    }
    target = extract_job if job_name == EXTRACT_JOB else transform_job
    with dg.execute_job(
        dg.reconstructable(target),
        instance=instance,
        tags=tags,
        op_selection=ops,
        raise_on_error=False,
    ) as result:
        return result.run_id, list(result.all_events)


def _collect_not_run(
    summary: RunSummary,
    defs: dg.Definitions,
    job_name: str,
    groups: tuple[str, ...] | None,
    events: list[dg.DagsterEvent],
) -> None:
    """Assets Dagster did not start because an asset they read failed (git durability when
    GitHub fails): Dagster only logs that, so name them as failures too — a source that silently
    did not run would leave its tables a night behind with an exit code of 0."""
    started = {e.step_key for e in events if e.event_type == dg.DagsterEventType.STEP_START}
    if not started:
        return
    for event in events:
        if event.event_type == dg.DagsterEventType.STEP_SKIPPED and event.step_key:
            # Skipped because what it reads was skipped (git durability without GitHub).
            summary.skipped.append(
                f"{event.step_key.removeprefix('raw_')}: skipped — what it reads was not loaded"
            )
    failed = set(summary.failures)
    graph = defs.resolve_asset_graph()
    in_job = {node.name for node in defs.resolve_job_def(job_name).graph.nodes}
    for definition in defs.assets or []:
        if not isinstance(definition, dg.AssetsDefinition) or not definition.keys:
            continue  # asset checks run with their asset
        step = definition.node_def.name
        if step not in in_job or step in started or step in failed:
            continue
        if groups and not any(graph.get(key).group_name in groups for key in definition.keys):
            continue  # not selected
        upstream = sorted(
            {
                graph.get(parent).assets_def.node_def.name
                for key in definition.keys
                for parent in graph.get(key).parent_keys
                if graph.has(parent) and graph.get(parent).is_materializable
            }
            & failed
        )
        if upstream:
            summary.failures[step] = (
                f"not run: it reads {', '.join(upstream)}, which failed tonight; "
                "it runs again with the next run"
            )


def _collect(summary: RunSummary, events: list[dg.DagsterEvent]) -> None:
    """Materialised assets and failed steps (with their one-line reasons) of a run's events."""
    for event in events:
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            if event.asset_key is not None:
                summary.materialized.append(event.asset_key.to_user_string())
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            message = data.user_failure_data.description if data.user_failure_data else None
            if not message and data.error is not None:
                message = data.error.message.strip().splitlines()[0]
            summary.failures[event.step_key or "?"] = message or "failed"
