"""Cursor Admin API → ``raw_cursor``.

Quirks handled here: HTTP Basic auth (key as user name, empty password); epoch-millisecond bounds
that are *both inclusive* (a day is ``T00:00:00.000`` … ``T23:59:59.999``); ranges of at most 30
days; ``timestamp`` is a string of epoch milliseconds; money is in cents (fractional numbers);
``/teams/spend`` only knows the current billing cycle, so it is snapshotted by date. The AI Code
Tracking API (``/analytics/ai-code/commits``) is an Enterprise feature: on other plans it is
refused, which leaves its table empty rather than failing the source.

Per-request events are the largest table of any vendor (millions of rows on a large team), so they
are built as Arrow tables: dlt writes those straight to parquet instead of normalising row dicts
one by one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.defs.ingest.arrow import as_json_text, infer_type
from orchestration.defs.ingest.common import (
    LoggedNotes,
    SourceNotes,
    archived_per,
    chunks,
    columns,
    day_bounds_ms_inclusive,
    first_per_key,
    prefetched,
    today_utc,
    yields_lists,
)
from orchestration.lib.http import HttpClient, MissingFieldError, require

VENDOR = "Cursor Admin"
PAGE_SIZE = 1000
MAX_RANGE_DAYS = 30
EVENTS = "teams/filtered-usage-events"
DAILY = "teams/daily-usage-data"
AI_COMMITS = "analytics/ai-code/commits"
# Events a multi-day request aims at (see events_by_day): five pages.
CHUNK_EVENTS = 5 * PAGE_SIZE
_EPOCH = date(1970, 1, 1)
ONE_DAY = timedelta(days=1)

# Event fields with a fixed Arrow type; anything else the API adds becomes an extra column.
_FIELDS: dict[str, pa.DataType] = {
    "timestamp": pa.string(),  # epoch milliseconds, as a string
    "userEmail": pa.string(),
    "serviceAccountId": pa.string(),
    "serviceAccountName": pa.string(),
    "cloudAgentId": pa.string(),
    "automationId": pa.string(),
    "conversationId": pa.string(),
    "model": pa.string(),
    "kind": pa.string(),
    "maxMode": pa.bool_(),
    "requestsCosts": pa.float64(),
    "isTokenBasedCall": pa.bool_(),
    "isChargeable": pa.bool_(),
    "isHeadless": pa.bool_(),
    "isFreeBugbot": pa.bool_(),
    "chargedCents": pa.float64(),
    "cursorTokenFee": pa.float64(),
}
_TOKEN_FIELDS: dict[str, pa.DataType] = {
    "inputTokens": pa.int64(),
    "outputTokens": pa.int64(),
    "cacheWriteTokens": pa.int64(),
    "cacheReadTokens": pa.int64(),
    "totalCents": pa.float64(),
    "discountPercentOff": pa.float64(),
}
_MONEY = ("chargedCents", "cursorTokenFee", "tokenUsage__totalCents")
_REQUIRED = ("timestamp", "model", "chargedCents")
# Cents with up to 10 decimals (fractional cents since 2026-06). JSON numbers arrive as floats;
# the float→decimal cast rounds at the scale, which restores the decimal text exactly.
CENTS = pa.decimal128(38, 10)


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def events_to_arrow(events: list[dict[str, Any]], day: date, day_total: int) -> pa.Table:
    """Usage events as one Arrow table, converted in C++ (``from_pylist`` with a schema).

    Raises:
        MissingFieldError: when an event lacks ``timestamp``, ``model`` or ``chargedCents``.
    """
    keys: set[str] = set().union(*events)
    token_keys: set[str] = set().union(
        *(e["tokenUsage"] for e in events if isinstance(e.get("tokenUsage"), dict))
    )
    token_fields = dict(_TOKEN_FIELDS)
    for key in sorted(token_keys - _TOKEN_FIELDS.keys()):
        values = [(e.get("tokenUsage") or {}).get(key) for e in events]
        token_fields[key] = infer_type(values)
        if token_fields[key] == pa.string():
            as_json_text(events, key, "tokenUsage")
    fields = [pa.field(name, kind) for name, kind in _FIELDS.items()]
    for key in sorted(keys - _FIELDS.keys() - {"tokenUsage"}):
        kind = infer_type([e.get(key) for e in events])
        if kind == pa.string():
            as_json_text(events, key)
        fields.append(pa.field(key, kind))
    fields.append(pa.field("tokenUsage", pa.struct(list(token_fields.items()))))
    try:
        table = pa.Table.from_pylist(events, schema=pa.schema(fields))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # A documented field with an unexpected type: keep its values as text.
        table = pa.Table.from_pylist(
            [{k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in e.items()}
             for e in events]
        )  # fmt: skip
    table = table.flatten()  # tokenUsage.inputTokens → its own column
    table = table.rename_columns([c.replace(".", "__") for c in table.column_names])
    for name in _REQUIRED:
        if name not in keys or table.column(name).null_count:
            raise MissingFieldError(VENDOR, EVENTS, name)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in table.column_names:
        column = table.column(name)
        if name in _MONEY:
            column = column.cast(CENTS)
        columns[_snake(name).replace("token_usage___", "token_usage__")] = column
    n = table.num_rows
    millis = pc.cast(table.column("timestamp"), pa.int64())
    columns["event_at"] = pc.cast(pc.multiply(millis, 1000), pa.timestamp("us", tz="UTC"))
    columns["day_total_events"] = pa.repeat(pa.scalar(day_total, pa.int64()), n)
    out = pa.table(columns)
    # The merge key is NOT NULL in dlt's schema; saying so here avoids a hint mismatch per load.
    return out.append_column(
        pa.field("event_date", pa.date32(), nullable=False),
        pa.repeat(pa.scalar(day, pa.date32()), n),
    )


def _with_event_key(table: pa.Table, day: date) -> pa.Table:
    # Events have no id. The whole day is replaced on each load (merge_key event_date), so a
    # key only has to be unique within the day: the position in the API's stable order.
    # Built in Arrow (no Python string per row): "2026-11-01#00000042".
    positions = pc.utf8_lpad(pc.cast(pa.array(range(table.num_rows), pa.int64()), pa.string()),
                             8, "0")  # fmt: skip
    keys = pc.binary_join_element_wise(day.isoformat() + "#", positions, "")
    return table.append_column(pa.field("event_key", pa.string(), nullable=False), keys)


def fetch_events(
    client: HttpClient, first: date, last: date, give_up_above: int | None = None
) -> tuple[list[dict[str, Any]], int] | None:
    """Every usage event of the UTC days ``first``..``last`` (all pages) and the API's total.

    ``None`` when the first page says the range holds more than ``give_up_above`` events.
    """
    start_ms, _ = day_bounds_ms_inclusive(first)
    _, end_ms = day_bounds_ms_inclusive(last)
    events: list[dict[str, Any]] = []
    pages = client.pages(EVENTS, limit=PAGE_SIZE, numbered=True)
    page, total = 1, 0
    while True:
        body = client.post_json(
            "/teams/filtered-usage-events",
            endpoint=EVENTS,
            body={"startDate": start_ms, "endDate": end_ms, "page": page, "pageSize": PAGE_SIZE},
        )
        page_events = pages.received(require(body, "usageEvents", VENDOR, EVENTS))
        total = int(body.get("totalUsageEventsCount") or 0)
        if page == 1 and give_up_above is not None and total > give_up_above:
            return None
        events.extend(page_events)
        pagination = body.get("pagination") or {}
        if not pagination.get("hasNextPage") or not page_events:
            return events, total
        page += 1


def _split_by_day(events: list[dict[str, Any]]) -> dict[date, list[dict[str, Any]]]:
    by_day: dict[date, list[dict[str, Any]]] = {}
    for event in events:
        millis = int(require(event, "timestamp", VENDOR, EVENTS))
        day = _EPOCH + timedelta(days=millis // 86_400_000)
        by_day.setdefault(day, []).append(event)
    return by_day


def events_by_day(
    client: HttpClient, days: Sequence[date]
) -> Iterator[tuple[date, list[dict[str, Any]], int]]:
    """Each day's usage events (in the API's order) and how many the API counts for the day.

    Cursor allows 60 event requests a minute and a day with few events still costs one, so
    quiet days are asked for together: after a day of ``n`` events the next request spans about
    ``CHUNK_EVENTS / n`` days (at most doubling, at most ``MAX_RANGE_DAYS``). A range whose first
    page counts more than ``CHUNK_EVENTS`` events (busy days again) is asked for day by day
    instead, which keeps memory to a few pages. A range's events must add up to the API's total
    for it (and fall in it); each of its days then counts what it received. If they do not
    (events changed while paging), its days are asked for one by one, and their totals are the
    API's own.
    """
    i, span = 0, 1
    while i < len(days):
        chunk = [days[i]]
        while len(chunk) < span and days[i + len(chunk) :][:1] == [chunk[-1] + ONE_DAY]:
            chunk.append(chunk[-1] + ONE_DAY)
        fetched = None
        if len(chunk) > 1:
            fetched = fetch_events(client, chunk[0], chunk[-1], give_up_above=CHUNK_EVENTS)
        by_day = _split_by_day(fetched[0]) if fetched is not None else {}
        if fetched is not None and len(fetched[0]) == fetched[1] and by_day.keys() <= set(chunk):
            for day in chunk:
                yield day, by_day.get(day, []), len(by_day.get(day, []))
            count = fetched[1]
        else:
            count = 0
            for day in chunk:
                events, total = _fetch_day(client, day)
                yield day, events, total
                count += len(events)
        i += len(chunk)
        per_day = max(count / len(chunk), 1.0)
        span = max(1, min(2 * len(chunk), MAX_RANGE_DAYS, int(CHUNK_EVENTS / per_day)))


def _fetch_day(client: HttpClient, day: date) -> tuple[list[dict[str, Any]], int]:
    fetched = fetch_events(client, day, day)
    assert fetched is not None  # no limit given
    return fetched


@dlt.source(name="cursor")
def cursor_source(
    client: HttpClient,
    days: list[date],
    snapshot_day: date | None = None,
    notes: SourceNotes | None = None,
) -> Any:
    """Cursor Admin API for ``days`` (UTC), plus today's spend snapshot.

    Args:
        client: an authenticated client for the Cursor base URL.
        days: the UTC days to load (partition plus lookback).
        snapshot_day: key of the ``/teams/spend`` snapshot (defaults to today, UTC).
        notes: where a plan without AI Code Tracking (403/404) is reported.
    """
    snapshot = snapshot_day or today_utc()
    noted = notes or LoggedNotes(client.log if client else None)

    @dlt.resource(name="members", primary_key="email", write_disposition="merge")
    @yields_lists
    def members() -> Iterator[dict[str, Any]]:
        """Team members (GET /teams/members); email is the join key to the other tables."""
        yield from _members(client)

    @dlt.resource(
        name="daily_usage",
        **archived_per(
            "day",
            ("day", "user_id"),
            columns=columns(
                text=(
                    "most_used_model",
                    "apply_most_used_extension",
                    "tab_most_used_extension",
                    "client_version",
                ),
                boolean=("is_active",),
            ),
        ),
    )
    @yields_lists
    def daily_usage() -> Iterator[dict[str, Any]]:
        """Per user per day activity (POST /teams/daily-usage-data), all members incl. inactive."""
        yield from first_per_key(_daily_usage(client, days), ("day", "userId"))

    # Appended as a day's version (`archived_per`), never merged on event_key: as a primary key,
    # one night's load on the large profile took 65 s and 7.5 GiB against 1.1M stored events.
    # event_key (the day and a position within it) cannot repeat across days.
    @dlt.resource(name="usage_events", **archived_per("event_date", ("event_key",)))
    def usage_events() -> Iterator[pa.Table]:
        """Per-request usage (POST /teams/filtered-usage-events): tokens incl. cache, cents."""
        # The next pages download on a second connection while dlt writes this day's table,
        # so extraction overlaps the network instead of waiting for it.
        fetcher = client.clone()
        try:
            for day, events, total in prefetched(events_by_day(fetcher, days)):
                if events:
                    # One table per day: dlt's per-item overhead is paid once, not once a page.
                    yield _with_event_key(events_to_arrow(events, day, total), day)
        finally:
            fetcher.close()

    @dlt.resource(
        name="spend",
        **archived_per(
            "snapshot_date",
            ("snapshot_date", "user_id"),
            columns=columns(
                decimal=(
                    "spend_cents",
                    "overall_spend_cents",
                    "hard_limit_override_dollars",
                    "monthly_limit_dollars",
                    "effective_per_user_limit_dollars",
                ),
            ),
        ),
    )
    @yields_lists
    def spend() -> Iterator[dict[str, Any]]:
        """Current billing cycle spend per member (POST /teams/spend), snapshotted by date."""
        yield from first_per_key(_spend(client, snapshot), ("userId",))

    @dlt.resource(
        name="ai_code_commits",
        **archived_per(
            "commit_date",
            ("commit_hash",),
            columns=columns(
                text=("user_id", "user_email", "repo_name", "branch_name", "message"),
                boolean=("is_primary_branch",),
                timestamp=("commit_ts", "created_at"),
                bigint=tuple(
                    f"{kind}_lines_{change}"
                    for kind in ("total", "tab", "composer", "non_ai")
                    for change in ("added", "deleted")
                ),
            ),
        ),
    )
    @yields_lists
    def ai_code_commits() -> Iterator[dict[str, Any]]:
        """Commits made with Cursor's AI (GET /analytics/ai-code/commits, Enterprise): the
        repository and branch of each, and its lines by source (tab, composer, not AI)."""
        yield from first_per_key(_ai_code_commits(client, days, noted), ("commitHash",))

    return [members, daily_usage, usage_events, spend, ai_code_commits]


def _members(client: HttpClient) -> Iterator[dict[str, Any]]:
    """Rows of GET /teams/members (one answer, not paginated)."""
    body = client.get_json("/teams/members", endpoint="teams/members")
    members = require(body, "teamMembers", VENDOR, "teams/members")
    for member in client.pages("teams/members").received(members):
        require(member, "email", VENDOR, "teams/members")
        yield member


def _daily_usage(client: HttpClient, days: Sequence[date]) -> Iterator[dict[str, Any]]:
    """Rows of POST /teams/daily-usage-data for ``days``, page by page (a row may repeat).

    ``pageSize`` counts users, and a page holds a row per user and day: no row limit applies.
    """
    for first, last in chunks(days, MAX_RANGE_DAYS):
        start_ms, _ = day_bounds_ms_inclusive(first)
        _, end_ms = day_bounds_ms_inclusive(last)
        pages = client.pages(DAILY, numbered=True)
        page = 1
        while True:
            body = client.post_json(
                "/teams/daily-usage-data",
                endpoint=DAILY,
                body={
                    "startDate": start_ms,
                    "endDate": end_ms,
                    "page": page,
                    "pageSize": PAGE_SIZE,
                },
                decimals=True,
            )
            rows = pages.received(require(body, "data", VENDOR, DAILY))
            for row in rows:
                require(row, "userId", VENDOR, DAILY)
                require(row, "day", VENDOR, DAILY)
                yield row
            pagination = body.get("pagination") or {}
            if not pagination.get("hasNextPage") or not rows:
                break
            page += 1


def _spend(client: HttpClient, snapshot: date) -> Iterator[dict[str, Any]]:
    """Rows of POST /teams/spend, page by page (a row may repeat)."""
    page_size = 100
    pages = client.pages("teams/spend", limit=page_size, numbered=True)
    page = 1
    while True:
        body = client.post_json(
            "/teams/spend",
            endpoint="teams/spend",
            body={"page": page, "pageSize": page_size},
            decimals=True,
        )
        cycle_start = body.get("subscriptionCycleStart")
        rows = pages.received(require(body, "teamMemberSpend", VENDOR, "teams/spend"))
        for row in rows:
            require(row, "userId", VENDOR, "teams/spend")
            yield {
                "snapshot_date": snapshot,
                "subscription_cycle_start_ms": cycle_start,
                **row,
            }
        if page >= int(body.get("totalPages") or 1) or not rows:
            break
        page += 1


def _ai_code_commits(
    client: HttpClient, days: Sequence[date], notes: SourceNotes
) -> Iterator[dict[str, Any]]:
    """Every AI code commit of ``days`` by commit time, or none if the plan lacks the API."""
    wanted = set(days)
    for first, last in chunks(days, MAX_RANGE_DAYS):
        pages = client.pages(AI_COMMITS, limit=PAGE_SIZE, numbered=True)
        page = 1
        while True:
            status, _, body = client.request(
                "GET",
                "/analytics/ai-code/commits",
                endpoint=AI_COMMITS,
                # Whole UTC days as instants: no reliance on how a bare date's end is read.
                params={
                    "startDate": f"{first.isoformat()}T00:00:00.000Z",
                    "endDate": f"{last.isoformat()}T23:59:59.999Z",
                    "page": page,
                    "pageSize": PAGE_SIZE,
                },
                allow_statuses=(403, 404),
            )
            if status in (403, 404):
                notes.product_not_available(
                    "ai_code_tracking",
                    f"{VENDOR}: {AI_COMMITS} answered {status} (AI Code Tracking is an "
                    "Enterprise feature): raw_cursor.ai_code_commits stays empty and Cursor "
                    "sessions get no repository or branch, so none is attributed by branch",
                )
                return
            items = pages.received(require(body, "items", VENDOR, AI_COMMITS))
            for item in items:
                require(item, "commitHash", VENDOR, AI_COMMITS)
                committed = str(require(item, "commitTs", VENDOR, AI_COMMITS))
                day = date.fromisoformat(committed[:10])
                # A row outside the window would become a version of a day not asked for.
                if day in wanted:
                    yield {**item, "commit_date": day}
            if not items or page * PAGE_SIZE >= int(body.get("totalCount") or 0):
                break
            page += 1
