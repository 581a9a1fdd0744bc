"""The job over every asset and the nightly schedule (02:00 UTC, yesterday's partition)."""

import dagster as dg

from orchestration.defs.checks import freshness_checks

NIGHTLY_JOB = "tokenworth_nightly"

# Every asset: ingest now; dbt models join the same job as they land (they share the partitions
# or are unpartitioned downstream of them).
tokenworth_nightly = dg.define_asset_job(
    NIGHTLY_JOB,
    # Freshness checks are left to their sensor: inside a backfill of old days they only say
    # that today's partition has not arrived yet.
    selection=dg.AssetSelection.all() - dg.AssetSelection.checks(*freshness_checks),
    description="Extract and load every source for a UTC day (the schedule's and CLI's job).",
    # Warehouse writers run one at a time, in one process: DuckDB allows a single writer
    # process per file (the "warehouse" pool also serialises ad-hoc materialisations).
    executor_def=dg.in_process_executor,
)

# 02:00 UTC: the previous day is complete at every vendor except the documented lags, which the
# per-vendor lookback re-reads on the following nights.
nightly_schedule = dg.build_schedule_from_partitioned_job(
    tokenworth_nightly,
    hour_of_day=2,
    minute_of_hour=0,
    name="tokenworth_nightly_schedule",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
