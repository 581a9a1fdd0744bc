"""The nightly: an extraction job, then a transform job whatever the extraction's outcome.

Two jobs, not one, because Dagster skips every step downstream of a failed one
(dagster-io/dagster#15761): in one job, one source answering 404 would leave the whole
warehouse unbuilt and analysts reading yesterday's marts with no sign of it. So:

* ``tokenworth_extract`` loads every source, the git mirrors and durability; each source is
  its own step and fails alone, keeping its last good rows;
* ``tokenworth_transform`` runs ``dbt build`` over everything that loaded. The schedule starts
  the extraction at 02:00 UTC; :func:`transform_after_extract` starts the transform for the same
  days when the extraction ends, successful or not. ``tokenworth run`` runs the two in turn.
"""

from __future__ import annotations

import dagster as dg

EXTRACT_JOB = "tokenworth_extract"
TRANSFORM_JOB = "tokenworth_transform"
SCHEDULE = "tokenworth_nightly_schedule"
# Tags that carry a run's days (a single partition or a range) from one job to the next.
_PARTITION_TAGS = (
    "dagster/partition",
    "dagster/asset_partition_range_start",
    "dagster/asset_partition_range_end",
)
# Which extraction run a transform run follows.
AFTER_TAG = "tokenworth/after_run"


def build_jobs(extract_groups: list[str]) -> dg.Definitions:
    """The two jobs, the nightly schedule and the sensors that chain them.

    Args:
        extract_groups: the asset groups of the extraction (``ingest_<source>``).
    """
    extract = dg.AssetSelection.groups(*extract_groups)
    extract_job = dg.define_asset_job(
        EXTRACT_JOB,
        selection=extract,
        description="Extract and load every source for UTC days (each source its own step).",
        # Warehouse writers run one at a time, in one process: DuckDB allows a single writer
        # process per file (the "warehouse" pool also serialises ad-hoc materialisations).
        # A step starts once the tables it reads were loaded, even if their step then failed:
        # GitHub loads every readable repository before failing for the one that is not, and
        # git durability must still measure those.
        executor_def=dg.in_process_executor.configured(
            {"step_dependency_config": {"require_upstream_step_success": False}}
        ),
    )
    transform_job = dg.define_asset_job(
        TRANSFORM_JOB,
        selection=dg.AssetSelection.all() - extract,
        description="dbt build of the warehouse over everything that loaded (after extraction).",
        executor_def=dg.in_process_executor,
    )
    # 02:00 UTC: the previous day is complete at every vendor except the documented lags, which
    # the per-source lookback re-reads on the following nights.
    schedule = dg.build_schedule_from_partitioned_job(
        extract_job,
        hour_of_day=2,
        minute_of_hour=0,
        name=SCHEDULE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[extract_job],
        request_job=transform_job,
        name="transform_after_extract",
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Builds the warehouse after each extraction run that succeeded.",
    )
    def transform_after_extract(context: dg.RunStatusSensorContext) -> dg.RunRequest:
        return _transform_request(context.dagster_run)

    @dg.run_failure_sensor(
        monitored_jobs=[extract_job],
        request_job=transform_job,
        name="transform_after_failed_extract",
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Builds the warehouse after an extraction run in which a source failed: "
        "the other sources' data is published, the failed one keeps its last good rows.",
    )
    def transform_after_failed_extract(context: dg.RunFailureSensorContext) -> dg.RunRequest:
        return _transform_request(context.dagster_run)

    return dg.Definitions(
        jobs=[extract_job, transform_job],
        schedules=[schedule],
        sensors=[transform_after_extract, transform_after_failed_extract],
    )


def _transform_request(extract_run: dg.DagsterRun) -> dg.RunRequest:
    tags = {k: v for k, v in extract_run.tags.items() if k in _PARTITION_TAGS}
    return dg.RunRequest(
        run_key=f"transform-after-{extract_run.run_id}",
        tags={**tags, AFTER_TAG: extract_run.run_id},
    )
