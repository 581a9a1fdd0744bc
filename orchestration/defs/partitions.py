"""The nightly daily partitions (UTC days) every ingest and transform asset shares."""

from __future__ import annotations

import functools
from datetime import date, timedelta

import dagster as dg

from orchestration.lib import settings


def daily_partitions() -> dg.DailyPartitionsDefinition:
    """Daily UTC partitions from ``TOKENWORTH_START_DATE`` (read when the definitions are built).

    Raises:
        ValueError: the start date is not a day (the message names the variable).
    """
    return _daily_partitions(settings.start_date())


@functools.cache
def _daily_partitions(start: date) -> dg.DailyPartitionsDefinition:
    # One object per start day: every asset of a set of definitions shares the same instance.
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC")


def window_days(context: dg.AssetExecutionContext, lookback_days: int) -> list[date]:
    """The UTC days a run asks for: its partition(s) plus ``lookback_days`` before the first.

    A single-run backfill covers a range of partitions, so this reads the whole time window.
    """
    window = context.partition_time_window
    first = window.start.date() - timedelta(days=lookback_days)
    last = window.end.date()  # exclusive
    return [first + timedelta(days=i) for i in range((last - first).days)]
