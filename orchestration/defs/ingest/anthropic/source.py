"""Anthropic Admin API → ``raw_anthropic``.

Quirks handled here: RFC 3339 ``starting_at`` (inclusive) / ``ending_at`` (exclusive) for the
bucketed reports, but a bare ``YYYY-MM-DD`` day for the Claude Code report (one request per day);
``group_by[]`` arrays; ``cost_report.amount`` is a decimal *string* of cents (kept as sent, plus
exact USD); Claude Code ``estimated_cost.amount`` is a JSON *number* of cents; opaque ``next_page``
cursors; id cursors (``after_id``) for users and API keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import dlt
import pyarrow as pa

from orchestration.defs.ingest.arrow import (
    BIGINT,
    BOOL,
    DATE,
    DLT_DECIMAL,
    TEXT,
    TIMESTAMP_UTC,
    USD,
    arrow_schema,
    flatten,
    json_text,
    json_text_columns_expected,
    key_field,
)
from orchestration.defs.ingest.common import (
    archived_per,
    cents_to_usd,
    columns,
    day_start,
    in_lists,
    rfc3339,
    row_key,
    usd,
    yields_lists,
    yields_tables,
)
from orchestration.lib.http import HttpClient, require

VENDOR = "Anthropic Admin"
ROOT = "/v1/organizations"
MESSAGES_GROUPS = ("api_key_id", "model", "workspace_id", "account_id", "service_tier")
COST_GROUPS = ("workspace_id", "description")


def _bucketed(
    client: HttpClient, path: str, endpoint: str, params: list[tuple[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Every time bucket of a report, following ``next_page`` (floats parsed exactly)."""
    pages = client.pages(endpoint, limit=dict(params).get("limit"))
    page: str | None = None
    while True:
        query = params + ([("page", page)] if page else [])
        body = client.get_json(f"{ROOT}{path}", endpoint=endpoint, params=query, decimals=True)
        yield from pages.received(require(body, "data", VENDOR, endpoint))
        if not body.get("has_more"):
            return
        page = pages.follow(require(body, "next_page", VENDOR, endpoint))


def _listed(client: HttpClient, path: str, endpoint: str) -> Iterator[dict[str, Any]]:
    """Every item of an id-cursor list endpoint (``after_id`` = previous ``last_id``)."""
    limit = 1000
    pages = client.pages(endpoint, limit=limit)
    after: str | None = None
    while True:
        params: list[tuple[str, Any]] = [("limit", limit)]
        if after:
            params.append(("after_id", after))
        body = client.get_json(f"{ROOT}{path}", endpoint=endpoint, params=params)
        items = pages.received(require(body, "data", VENDOR, endpoint))
        for item in items:
            require(item, "id", VENDOR, endpoint)
            yield item
        if not body.get("has_more") or not items:
            return
        after = pages.follow(body.get("last_id") or items[-1]["id"])


@dlt.source(name="anthropic")
def anthropic_source(client: HttpClient, days: list[date]) -> Any:
    """Anthropic Admin usage, cost, Claude Code analytics, users and API keys for ``days``.

    Args:
        client: an authenticated client (``x-api-key`` + ``anthropic-version``).
        days: contiguous UTC days to load (partition plus lookback).
    """
    start = day_start(days[0])
    end = day_start(days[-1] + timedelta(days=1))  # ending_at is exclusive

    @dlt.resource(name="claude_code_records", selected=False)
    def claude_code_records() -> Iterator[list[dict[str, Any]]]:
        """Claude Code records of ``days``, fetched once for both tables below."""
        yield from in_lists(_claude_code_records(client, days))

    @dlt.transformer(
        data_from=claude_code_records,
        name="claude_code_usage",
        **archived_per(
            "usage_date",
            ("usage_date", "actor_type", "actor_key", "remote", "model"),
            columns={
                **_ACTOR_HINTS,
                "estimated_cost_usd": usd(),
                "estimated_cost_cents": {**usd(), "scale": 9},  # DLT_DECIMAL, as dict rows made it
                "core_metrics": {"data_type": "json"},
                "tool_actions": {"data_type": "json"},
            },
        ),
    )
    @yields_tables(_SCHEMAS["claude_code_usage"], VENDOR, "usage_report/claude_code")
    def claude_code_usage(records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Claude Code per actor, day and model (the system of record for Claude Code tokens).

        ``core_metrics`` and ``tool_actions`` are actor-day values repeated on each model row;
        sum them from ``claude_code_actor_days`` instead.
        """
        for record in records:
            for model_row in record.get("model_breakdown") or []:
                tokens = require(model_row, "tokens", VENDOR, "usage_report/claude_code")
                cost = model_row.get("estimated_cost") or {}
                amount = cost.get("amount")
                yield {
                    **_actor_columns(record),
                    "model": require(model_row, "model", VENDOR, "usage_report/claude_code"),
                    "input_tokens": tokens.get("input"),
                    "output_tokens": tokens.get("output"),
                    "cache_read_tokens": tokens.get("cache_read"),
                    "cache_creation_tokens": tokens.get("cache_creation"),
                    "estimated_cost_cents": amount,
                    "estimated_cost_usd": cents_to_usd(amount),
                    "estimated_cost_currency": cost.get("currency"),
                    "core_metrics": json_text(record.get("core_metrics")),
                    "tool_actions": json_text(record.get("tool_actions")),
                    **{
                        k: v
                        for k, v in model_row.items()
                        if k not in ("tokens", "estimated_cost", "model")
                    },
                }

    @dlt.transformer(
        data_from=claude_code_records,
        name="claude_code_actor_days",
        **archived_per(
            "usage_date",
            ("usage_date", "actor_type", "actor_key", "remote"),
            columns={
                **_ACTOR_HINTS,
                "tool_actions": {"data_type": "json"},
                "model_breakdown": {"data_type": "json"},
            },
        ),
    )
    @yields_tables(_SCHEMAS["claude_code_actor_days"], VENDOR, "usage_report/claude_code")
    def claude_code_actor_days(records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Claude Code per actor and day: sessions, lines, commits, PRs, tool accept/reject."""
        for record in records:
            metrics = record.get("core_metrics") or {}
            lines = metrics.get("lines_of_code") or {}
            extra = {k: v for k, v in record.items() if k not in ("actor", "core_metrics", "date")}
            yield {
                **extra,
                "tool_actions": json_text(record.get("tool_actions")),
                "model_breakdown": json_text(record.get("model_breakdown")),
                **_actor_columns(record),
                "num_sessions": metrics.get("num_sessions"),
                "lines_added": lines.get("added"),
                "lines_removed": lines.get("removed"),
                "commits_by_claude_code": metrics.get("commits_by_claude_code"),
                "pull_requests_by_claude_code": metrics.get("pull_requests_by_claude_code"),
            }

    @dlt.resource(
        name="messages_usage",
        **archived_per(
            "bucket_date",
            ("row_key",),
            columns=columns(
                text=(*MESSAGES_GROUPS, "service_account_id", "context_window", "inference_geo"),
                bigint=(
                    "cache_creation__ephemeral_5m_input_tokens",
                    "cache_creation__ephemeral_1h_input_tokens",
                    "cache_read_input_tokens",
                    "server_tool_use__web_search_requests",
                ),
            ),
        ),
    )
    @yields_tables(_SCHEMAS["messages_usage"], VENDOR, "usage_report/messages")
    def messages_usage() -> Iterator[dict[str, Any]]:
        """Messages API tokens per hour × (api key, model, workspace, account, service tier).

        Reconciliation only for Claude Code keys: their tokens are also in claude_code_usage.
        """
        params: list[tuple[str, Any]] = [
            ("starting_at", rfc3339(start)),
            ("ending_at", rfc3339(end)),
            ("bucket_width", "1h"),
            ("limit", 168),
            *[("group_by[]", g) for g in MESSAGES_GROUPS],
        ]
        endpoint = "usage_report/messages"
        for bucket in _bucketed(client, "/usage_report/messages", endpoint, params):
            bucket_start = require(bucket, "starting_at", VENDOR, endpoint)
            for result in require(bucket, "results", VENDOR, endpoint):
                for name in ("uncached_input_tokens", "output_tokens"):
                    require(result, name, VENDOR, endpoint)
                yield flatten(
                    {
                        "row_key": row_key(bucket_start, *(result.get(g) for g in MESSAGES_GROUPS)),
                        "bucket_start": bucket_start,
                        "bucket_end": bucket.get("ending_at"),
                        "bucket_date": date.fromisoformat(bucket_start[:10]),
                        **result,
                    },
                    ("cache_creation", "server_tool_use"),
                )

    @dlt.resource(
        name="cost_report",
        **archived_per(
            "bucket_date",
            ("row_key",),
            columns={
                **columns(
                    text=(
                        "workspace_id",
                        "description",
                        "model",
                        "token_type",
                        "cost_type",
                        "service_tier",
                        "context_window",
                        "inference_geo",
                    )
                ),
                "amount": {"data_type": "text"},
                "amount_usd": usd(),
            },
        ),
    )
    @yields_tables(_SCHEMAS["cost_report"], VENDOR, "cost_report")
    def cost_report() -> Iterator[dict[str, Any]]:
        """Daily billed cost by workspace and description; ``amount`` is cents as a string."""
        params: list[tuple[str, Any]] = [
            ("starting_at", rfc3339(start)),
            ("ending_at", rfc3339(end)),
            ("bucket_width", "1d"),
            ("limit", 31),
            *[("group_by[]", g) for g in COST_GROUPS],
        ]
        endpoint = "cost_report"
        for bucket in _bucketed(client, "/cost_report", endpoint, params):
            bucket_start = require(bucket, "starting_at", VENDOR, endpoint)
            for result in require(bucket, "results", VENDOR, endpoint):
                amount = require(result, "amount", VENDOR, endpoint)
                yield {
                    "row_key": row_key(
                        bucket_start,
                        result.get("workspace_id"),
                        result.get("description"),
                        result.get("model"),
                        result.get("token_type"),
                        result.get("cost_type"),
                        result.get("service_tier"),
                        result.get("context_window"),
                        result.get("inference_geo"),
                    ),
                    "bucket_start": bucket_start,
                    "bucket_end": bucket.get("ending_at"),
                    "bucket_date": date.fromisoformat(bucket_start[:10]),
                    **result,
                    "amount": str(amount),
                    "amount_usd": Decimal(str(amount)) / 100,
                }

    @dlt.resource(name="users", primary_key="id", write_disposition="merge")
    @yields_lists
    def users() -> Iterator[dict[str, Any]]:
        """Organisation members (GET /v1/organizations/users)."""
        yield from _listed(client, "/users", "users")

    @dlt.resource(name="api_keys", primary_key="id", write_disposition="merge")
    @yields_lists
    def api_keys() -> Iterator[dict[str, Any]]:
        """API keys with workspace and creator (GET /v1/organizations/api_keys)."""
        yield from _listed(client, "/api_keys", "api_keys")

    return [
        claude_code_records,
        claude_code_usage,
        claude_code_actor_days,
        messages_usage,
        cost_report,
        users,
        api_keys,
    ]


_ACTOR = (
    ("actor_email_address", TEXT),
    ("actor_api_key_name", TEXT),
    ("subscription_type", TEXT),
    ("terminal_type", TEXT),
    ("customer_type", TEXT),
    ("organization_id", TEXT),
    ("is_remote", BOOL),
    key_field("usage_date", DATE),
    key_field("actor_type"),
    key_field("actor_key"),
    key_field("remote", BOOL),
)
# The columns and types of the tables as warehouses hold them (dict rows created them; JSON
# columns arrive as JSON text). A field the API adds loads too, with an inferred type.
_SCHEMAS: dict[str, pa.Schema] = {
    "claude_code_usage": arrow_schema(
        *_ACTOR, key_field("model"), ("input_tokens", BIGINT), ("output_tokens", BIGINT),
        ("cache_read_tokens", BIGINT), ("cache_creation_tokens", BIGINT),
        ("estimated_cost_cents", DLT_DECIMAL), ("estimated_cost_usd", USD),
        ("estimated_cost_currency", TEXT), ("core_metrics", TEXT), ("tool_actions", TEXT),
    ),
    "claude_code_actor_days": arrow_schema(
        *_ACTOR, ("tool_actions", TEXT), ("model_breakdown", TEXT), ("num_sessions", BIGINT),
        ("lines_added", BIGINT), ("lines_removed", BIGINT), ("commits_by_claude_code", BIGINT),
        ("pull_requests_by_claude_code", BIGINT),
    ),
    "messages_usage": arrow_schema(
        key_field("row_key"), ("bucket_start", TIMESTAMP_UTC), ("bucket_end", TIMESTAMP_UTC),
        key_field("bucket_date", DATE),
        *((g, TEXT) for g in (*MESSAGES_GROUPS, "service_account_id", "context_window",
                                "inference_geo")),
        ("uncached_input_tokens", BIGINT), ("output_tokens", BIGINT),
        ("cache_creation__ephemeral_5m_input_tokens", BIGINT),
        ("cache_creation__ephemeral_1h_input_tokens", BIGINT), ("cache_read_input_tokens", BIGINT),
        ("server_tool_use__web_search_requests", BIGINT),
    ),
    "cost_report": arrow_schema(
        key_field("row_key"), ("bucket_start", TIMESTAMP_UTC), ("bucket_end", TIMESTAMP_UTC),
        key_field("bucket_date", DATE),
        *((g, TEXT) for g in ("workspace_id", "description", "model", "token_type",
                                "cost_type", "service_tier", "context_window", "inference_geo",
                                "currency", "amount")),
        ("amount_usd", USD),
    ),
}  # fmt: skip
json_text_columns_expected("claude_code_usage", "claude_code_actor_days")

_ACTOR_HINTS = columns(
    text=("actor_email_address", "actor_api_key_name", "subscription_type", "terminal_type",
          "customer_type", "organization_id"),
    boolean=("is_remote",),
)  # fmt: skip


def _claude_code_records(client: HttpClient, days: list[date]) -> Iterator[dict[str, Any]]:
    """Every Claude Code record of ``days``: one request series per day (no range parameter)."""
    endpoint = "usage_report/claude_code"
    limit = 1000
    for day in days:
        pages = client.pages(endpoint, limit=limit)
        page: str | None = None
        while True:
            params: list[tuple[str, Any]] = [("starting_at", day.isoformat()), ("limit", limit)]
            if page:
                params.append(("page", page))
            body = client.get_json(
                f"{ROOT}/usage_report/claude_code", endpoint=endpoint, params=params, decimals=True
            )
            for record in pages.received(require(body, "data", VENDOR, endpoint)):
                require(record, "date", VENDOR, endpoint)
                require(record, "actor", VENDOR, endpoint)
                yield record
            if not body.get("has_more"):
                break
            page = pages.follow(require(body, "next_page", VENDOR, endpoint))


def _actor_columns(record: dict[str, Any]) -> dict[str, Any]:
    actor = record["actor"]
    actor_type = require(actor, "type", VENDOR, "usage_report/claude_code")
    key = actor.get("email_address") if actor_type == "user_actor" else actor.get("api_key_name")
    if key is None:
        field = "actor.email_address" if actor_type == "user_actor" else "actor.api_key_name"
        require({}, field, VENDOR, "usage_report/claude_code")
    return {
        "usage_date": date.fromisoformat(str(record["date"])[:10]),
        "actor_type": actor_type,
        "actor_key": key,
        "actor_email_address": actor.get("email_address"),
        "actor_api_key_name": actor.get("api_key_name"),
        # is_remote is newer and optional: null stays null, the key treats it as local.
        "is_remote": record.get("is_remote"),
        "remote": bool(record.get("is_remote")),
        "organization_id": record.get("organization_id"),
        "customer_type": record.get("customer_type"),
        "subscription_type": record.get("subscription_type"),
        "terminal_type": record.get("terminal_type"),
    }
