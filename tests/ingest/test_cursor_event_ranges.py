"""Cursor's usage events: quiet days share requests, and every day still equals the truth."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, date, timedelta
from typing import Any

import pytest

from orchestration.defs.ingest.common import day_bounds_ms_inclusive
from orchestration.defs.ingest.cursor.source import CHUNK_EVENTS, events_by_day, fetch_events
from orchestration.defs.resources import CursorAdminResource
from orchestration.lib.http import Pages

QUIET_DAYS = 20


def test_quiet_days_share_requests_and_every_day_equals_the_truth(make_env: Any) -> None:
    env = make_env()
    days = [env.day(i) for i in range(-QUIET_DAYS, env.world.days)]
    truth = Counter(
        r.at.astimezone(UTC).date()
        for s in env.world.sessions
        if s.platform == "cursor"
        for r in s.requests
    )
    cursor = CursorAdminResource(
        api_key=os.environ["CURSOR_ADMIN_API_KEY"],
        base_url=os.environ["TOKENWORTH_CURSOR_BASE_URL"],
    )
    client = cursor.client(lambda _message: None)

    got = list(events_by_day(client, days))

    assert [day for day, _, _ in got] == days
    assert {day: len(events) for day, events, _ in got} == {day: truth[day] for day in days}
    assert all(total == len(events) for _, events, total in got)
    assert sum(truth[day] for day in days) > 0
    # One request per day would be len(days) (30); the quiet days go 1, 2, 4, 8 days at a time.
    assert client.stats.requests <= 8, client.stats.requests
    client.close()


class _ShiftingEventsApi:
    """Cursor's events endpoint whose multi-day answers can disagree with its pages.

    The sandbox serves a consistent snapshot, so events that change between two pages of one
    request cannot happen there; this stand-in answers from a fixed list of events per day.
    """

    def __init__(self, per_day: dict[date, int], *, range_total_off_by: int = 0) -> None:
        self.events: list[dict[str, Any]] = []
        for day, n in sorted(per_day.items()):
            start, _ = day_bounds_ms_inclusive(day)
            self.events += [{"timestamp": str(start + i), "model": "m"} for i in range(n)]
        self.range_total_off_by = range_total_off_by
        self.ranges: list[tuple[int, int, int]] = []  # (start ms, end ms, page)

    def pages(self, endpoint: str, **kw: Any) -> Pages:
        return Pages("Cursor Admin", endpoint, **kw)  # the real client's paging guard

    def post_json(self, path: str, *, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        start, end, page, size = body["startDate"], body["endDate"], body["page"], body["pageSize"]
        self.ranges.append((start, end, page))
        hits = [e for e in self.events if start <= int(e["timestamp"]) <= end]
        multi_day = end - start >= 86_400_000
        total = len(hits) + (self.range_total_off_by if multi_day else 0)
        page_events = hits[(page - 1) * size : page * size]
        return {
            "totalUsageEventsCount": total,
            "pagination": {"hasNextPage": page * size < len(hits)},
            "usageEvents": page_events,
        }


DAY = date(2026, 10, 1)


def _days(n: int) -> list[date]:
    return [DAY + timedelta(days=i) for i in range(n)]


def test_a_range_whose_pages_do_not_add_up_is_asked_for_day_by_day() -> None:
    per_day = {d: 3 for d in _days(4)}
    api = _ShiftingEventsApi(per_day, range_total_off_by=1)

    got = list(events_by_day(api, _days(4)))  # type: ignore[arg-type]

    assert [(day, len(events), total) for day, events, total in got] == [
        (d, 3, 3) for d in _days(4)
    ]
    # Day 1 alone, days 2-3 as a range (total off by one), then days 2 and 3 singly, then day 4.
    spans = [(end - start + 1) // 86_400_000 for start, end, _ in api.ranges]
    assert spans == [1, 2, 1, 1, 1]


def test_a_range_over_the_chunk_size_is_asked_for_day_by_day() -> None:
    per_day = {DAY: 0, **{d: CHUNK_EVENTS for d in _days(4)[1:]}}
    api = _ShiftingEventsApi(per_day)

    got = list(events_by_day(api, _days(4)))  # type: ignore[arg-type]

    assert [len(events) for _, events, _ in got] == [0, *[CHUNK_EVENTS] * 3]
    first_pages = [(end - start + 1) // 86_400_000 for start, end, page in api.ranges if page == 1]
    # The quiet first day lets the next request span two days; its first page counts 2 x
    # CHUNK_EVENTS, so those days are fetched singly and the next request spans one day again.
    assert first_pages == [1, 2, 1, 1, 1]


def test_fetch_events_gives_up_on_a_range_above_the_limit() -> None:
    api = _ShiftingEventsApi({DAY: 11})
    assert fetch_events(api, DAY, DAY, give_up_above=10) is None  # type: ignore[arg-type]
    assert len(api.ranges) == 1
    fetched = fetch_events(api, DAY, DAY, give_up_above=11)  # type: ignore[arg-type]
    assert fetched is not None and len(fetched[0]) == fetched[1] == 11


@pytest.mark.parametrize("outside", [timedelta(days=-1), timedelta(days=3)])
def test_an_event_outside_its_range_sends_the_range_day_by_day(outside: timedelta) -> None:
    api = _ShiftingEventsApi({d: 1 for d in _days(3)})
    start, _ = day_bounds_ms_inclusive(DAY + outside)
    stray = {"timestamp": str(start + 5), "model": "m"}
    original = api.post_json

    def with_stray(path: str, *, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = original(path, endpoint=endpoint, body=body)
        if body["endDate"] - body["startDate"] >= 86_400_000:  # the multi-day range only
            answer["usageEvents"].append(stray)
            answer["totalUsageEventsCount"] += 1
        return answer

    api.post_json = with_stray  # type: ignore[method-assign]

    got = list(events_by_day(api, _days(3)))  # type: ignore[arg-type]

    assert [(day, len(events), total) for day, events, total in got] == [
        (d, 1, 1) for d in _days(3)
    ]
