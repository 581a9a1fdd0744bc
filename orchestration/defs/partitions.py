"""The nightly daily partitions (UTC days) every ingest asset shares."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import dagster as dg

from orchestration.lib import settings


def partitions_start() -> str:
    """First partition day (``TOKENWORTH_START_DATE``), validated early with a clear message."""
    raw = settings.env(settings.TOKENWORTH_START_DATE)
    try:
        date.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{settings.TOKENWORTH_START_DATE} must be a day like 2026-01-31 (got {raw!r})"
        ) from None
    return raw


daily_partitions = dg.DailyPartitionsDefinition(start_date=partitions_start(), timezone="UTC")


def window_days(context: dg.AssetExecutionContext, lookback_days: int) -> list[date]:
    """The UTC days a run asks for: its partition(s) plus ``lookback_days`` before the first.

    A single-run backfill covers a range of partitions, so this reads the whole time window.
    """
    window = context.partition_time_window
    first = window.start.date() - timedelta(days=lookback_days)
    last = window.end.date()  # exclusive
    return [first + timedelta(days=i) for i in range((last - first).days)]


def utc_midnight(day: date) -> datetime:
    from datetime import UTC

    return datetime(day.year, day.month, day.day, tzinfo=UTC)
