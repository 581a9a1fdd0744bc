"""OpenAI Administration API → ``raw_openai``.

Quirks handled here: unix-*seconds* ``start_time`` (inclusive) / ``end_time`` (exclusive); array
parameters repeated as ``group_by=…`` (the spec's form-explode encoding); costs in *dollars* as a
JSON number (parsed exactly as Decimal) with a lower-case currency; ``after`` cursor for users.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
import pyarrow as pa

from orchestration.defs.ingest.arrow import (
    BIGINT,
    BOOL,
    DATE,
    TEXT,
    TIMESTAMP_UTC,
    USD,
    arrow_schema,
    key_field,
)
from orchestration.defs.ingest.common import (
    archived_per,
    columns,
    day_start,
    rfc3339,
    row_key,
    usd,
    yields_lists,
    yields_tables,
)
from orchestration.lib.http import HttpClient, require

VENDOR = "OpenAI Admin"
ROOT = "/v1/organization"
COMPLETIONS_GROUPS = ("user_id", "api_key_id", "model", "project_id")
COSTS_GROUPS = ("line_item", "project_id")


def _buckets(
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


def _users(client: HttpClient) -> Iterator[dict[str, Any]]:
    """Every organisation user, following the ``after`` cursor (the previous ``last_id``)."""
    limit = 100
    pages = client.pages("users", limit=limit)
    after: str | None = None
    while True:
        params: list[tuple[str, Any]] = [("limit", limit)] + ([("after", after)] if after else [])
        body = client.get_json(f"{ROOT}/users", endpoint="users", params=params)
        items = pages.received(require(body, "data", VENDOR, "users"))
        for item in items:
            require(item, "id", VENDOR, "users")
            yield item
        if not body.get("has_more") or not items:
            return
        after = pages.follow(body.get("last_id") or items[-1]["id"])


def _bucket_columns(bucket: dict[str, Any], endpoint: str) -> dict[str, Any]:
    start = int(require(bucket, "start_time", VENDOR, endpoint))
    start_at = datetime.fromtimestamp(start, tz=UTC)
    return {
        "start_time": start,
        "end_time": bucket.get("end_time"),
        "bucket_start": rfc3339(start_at),
        "bucket_date": start_at.date(),
    }


@dlt.source(name="openai")
def openai_source(client: HttpClient, days: list[date]) -> Any:
    """OpenAI completions usage (hourly), costs (daily) and users for ``days``.

    Args:
        client: an authenticated client (Bearer admin key).
        days: contiguous UTC days to load (partition plus lookback).
    """
    start = int(day_start(days[0]).timestamp())
    end = int(day_start(days[-1] + timedelta(days=1)).timestamp())  # exclusive

    @dlt.resource(
        name="completions_usage",
        **archived_per(
            "bucket_date",
            ("row_key",),
            columns=columns(
                text=(*COMPLETIONS_GROUPS, "service_tier"),
                boolean=("batch",),
                bigint=("input_cached_tokens", "input_cache_write_tokens", "input_uncached_tokens"),
            ),
        ),
    )
    @yields_tables(_SCHEMAS["completions_usage"], VENDOR, "usage/completions")
    def completions_usage() -> Iterator[dict[str, Any]]:
        """Completions tokens per hour × (user, API key, model, project)."""
        endpoint = "usage/completions"
        params: list[tuple[str, Any]] = [
            ("start_time", start),
            ("end_time", end),
            ("bucket_width", "1h"),
            ("limit", 168),
            *[("group_by", g) for g in COMPLETIONS_GROUPS],
        ]
        for bucket in _buckets(client, "/usage/completions", endpoint, params):
            columns = _bucket_columns(bucket, endpoint)
            for result in require(bucket, "results", VENDOR, endpoint):
                for name in ("input_tokens", "output_tokens", "num_model_requests"):
                    require(result, name, VENDOR, endpoint)
                yield {
                    "row_key": row_key(
                        columns["start_time"],
                        *(result.get(g) for g in COMPLETIONS_GROUPS),
                        result.get("batch"),
                        result.get("service_tier"),
                    ),
                    **columns,
                    **result,
                }

    @dlt.resource(
        name="costs",
        **archived_per(
            "bucket_date",
            ("row_key",),
            columns={
                **columns(
                    text=(*COSTS_GROUPS, "api_key_id", "quantity_unit"), decimal=("quantity",)
                ),
                "amount_usd": usd(),
            },
        ),
    )
    @yields_tables(_SCHEMAS["costs"], VENDOR, "costs")
    def costs() -> Iterator[dict[str, Any]]:
        """Billed cost per day × (line item, project), in dollars."""
        endpoint = "costs"
        params: list[tuple[str, Any]] = [
            ("start_time", start),
            ("end_time", end),
            ("bucket_width", "1d"),
            ("limit", 180),
            *[("group_by", g) for g in COSTS_GROUPS],
        ]
        for bucket in _buckets(client, "/costs", endpoint, params):
            columns = _bucket_columns(bucket, endpoint)
            for result in require(bucket, "results", VENDOR, endpoint):
                amount = require(result, "amount", VENDOR, endpoint)
                value = require(amount, "value", VENDOR, endpoint + " amount")
                rest = {k: v for k, v in result.items() if k != "amount"}
                yield {
                    "row_key": row_key(
                        columns["start_time"],
                        result.get("line_item"),
                        result.get("project_id"),
                        result.get("api_key_id"),
                    ),
                    **columns,
                    **rest,
                    "amount_usd": value,
                    "amount_currency": amount.get("currency"),
                }

    @dlt.resource(name="users", primary_key="id", write_disposition="merge")
    @yields_lists
    def users() -> Iterator[dict[str, Any]]:
        """Organisation users (maps usage ``user_id`` to email)."""
        yield from _users(client)

    return [completions_usage, costs, users]


_BUCKET = (
    key_field("row_key"),
    ("start_time", BIGINT),
    ("end_time", BIGINT),
    ("bucket_start", TIMESTAMP_UTC),
    key_field("bucket_date", DATE),
    ("object", TEXT),
)
# The columns and types of the tables as warehouses hold them (dict rows created them). A field
# the API adds loads too, with an inferred type.
_SCHEMAS: dict[str, pa.Schema] = {
    "completions_usage": arrow_schema(
        *_BUCKET, *((g, TEXT) for g in (*COMPLETIONS_GROUPS, "service_tier")), ("batch", BOOL),
        *((name, BIGINT) for name in (
            "input_tokens", "output_tokens", "input_cached_tokens", "input_cache_write_tokens",
            "input_uncached_tokens", "input_text_tokens", "output_text_tokens",
            "input_cached_text_tokens", "input_audio_tokens", "input_cached_audio_tokens",
            "output_audio_tokens", "input_image_tokens", "input_cached_image_tokens",
            "output_image_tokens", "num_model_requests",
        )),
    ),
    "costs": arrow_schema(
        *_BUCKET, *((g, TEXT) for g in (*COSTS_GROUPS, "api_key_id", "quantity_unit",
                                          "amount_currency")),
        ("quantity", USD), ("amount_usd", USD),
    ),
}  # fmt: skip
