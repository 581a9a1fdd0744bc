"""Agent telemetry (Claude Code and Codex OpenTelemetry, as a Collector's files) → ``raw_otel``.

Three tables, each row keyed by a hash of the record it came from, so reading a file twice (or the
same record from a rotated copy) changes nothing:

* ``api_requests``: one row per model request — ``claude_code.api_request`` (session id, cost,
  tokens by type, duration, query source, effort, speed) and Codex's ``codex.sse_event`` of kind
  ``response.completed`` (conversation id, tokens; the input count *includes* the cached tokens,
  as OpenAI counts them).
* ``agent_events``: the other events of both agents (``user_prompt`` — its length only, the prompt
  text is never stored even when the agent sends it —, ``tool_result``, ``tool_decision``,
  ``api_error``, …) with their documented non-content attributes.
* ``metric_points``: data points of the agents' counters (``claude_code.lines_of_code.count``,
  ``commit.count``, ``pull_request.count``, …), with their temporality.

Resource attributes the organisation adds with ``OTEL_RESOURCE_ATTRIBUTES`` (``team``,
``department``, ``repository``) are columns of every table; all resource attributes are also kept
as JSON. Only documented attributes are kept: free text the agents may attach (prompts, tool
parameters, error messages) never reaches the warehouse.

A run reads the files modified since the day before its first day (a file last written earlier
holds no record of the run's days) and keeps the records of its days; rows merge on their key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
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
    json_text_columns_expected,
    key_field,
)
from orchestration.defs.ingest.common import LoggedNotes, SourceNotes, day_start, yields_tables
from orchestration.defs.ingest.otel.collector import (
    LOGS,
    VENDOR,
    CollectorFile,
    CollectorFiles,
    UnreadableFileError,
)
from orchestration.defs.ingest.otel.otlp import (
    Attributes,
    as_bool,
    as_decimal,
    as_int,
    as_text,
    as_timestamp,
    attributes,
    nanos_to_datetime,
)
from orchestration.lib.http import Log

# The agents, by the prefix of their event and metric names.
AGENTS = {"claude_code": "claude_code", "codex": "codex"}
# Services as they name themselves in `service.name`, for records that carry a bare event name.
SERVICE_AGENTS = {"claude-code": "claude_code", "codex_cli_rs": "codex", "codex-cli": "codex",
                  "codex_exec": "codex", "codex_tui": "codex"}  # fmt: skip
REQUEST_EVENTS = ("claude_code.api_request", "codex.sse_event")
CODEX_COMPLETED = "response.completed"
# Resource attributes that become columns (OTEL_RESOURCE_ATTRIBUTES); the rest stay in JSON.
RESOURCE_COLUMNS = ("team", "department", "repository")
_RESOURCE_FIELDS = (
    ("service_name", TEXT),
    ("service_version", TEXT),
    *((f"resource_{name}", TEXT) for name in RESOURCE_COLUMNS),
    ("resource_attributes", TEXT),
    ("source_file", TEXT),
)
_IDENTITY_FIELDS = (
    ("session_id", TEXT),
    ("user_email", TEXT),
    ("user_account_uuid", TEXT),
    ("user_account_id", TEXT),
    ("user_id", TEXT),
    ("organization_id", TEXT),
    ("terminal_type", TEXT),
    ("app_version", TEXT),
)
_SCHEMAS: dict[str, pa.Schema] = {
    "api_requests": arrow_schema(
        key_field("record_key"), key_field("event_date", DATE), ("event_at", TIMESTAMP_UTC),
        ("agent", TEXT), ("event_name", TEXT), *_IDENTITY_FIELDS, ("prompt_id", TEXT),
        ("event_sequence", BIGINT), ("request_id", TEXT), ("model", TEXT), ("cost_usd", USD),
        ("input_tokens", BIGINT), ("output_tokens", BIGINT), ("cache_read_tokens", BIGINT),
        ("cache_creation_tokens", BIGINT), ("cached_input_tokens", BIGINT),
        ("reasoning_tokens", BIGINT), ("tool_tokens", BIGINT), ("duration_ms", BIGINT),
        ("query_source", TEXT), ("effort", TEXT), ("speed", TEXT), *_RESOURCE_FIELDS,
    ),
    "agent_events": arrow_schema(
        key_field("record_key"), key_field("event_date", DATE), ("event_at", TIMESTAMP_UTC),
        ("agent", TEXT), ("event_name", TEXT), *_IDENTITY_FIELDS, ("prompt_id", TEXT),
        ("event_sequence", BIGINT), ("model", TEXT), ("prompt_length", BIGINT),
        ("tool_name", TEXT), ("decision", TEXT), ("decision_source", TEXT), ("success", BOOL),
        ("duration_ms", BIGINT), ("status_code", BIGINT), ("attempt", BIGINT),
        ("event_kind", TEXT), *_RESOURCE_FIELDS,
    ),
    "metric_points": arrow_schema(
        key_field("point_key"), key_field("event_date", DATE), ("event_at", TIMESTAMP_UTC),
        ("started_at", TIMESTAMP_UTC), ("agent", TEXT), ("metric_name", TEXT), ("unit", TEXT),
        *_IDENTITY_FIELDS, ("type", TEXT), ("model", TEXT), ("value", pa.float64()),
        ("aggregation_temporality", TEXT), ("is_monotonic", BOOL), *_RESOURCE_FIELDS,
    ),
}  # fmt: skip
TABLES = tuple(_SCHEMAS)
_TEMPORALITY = {0: None, 1: "delta", 2: "cumulative", "AGGREGATION_TEMPORALITY_DELTA": "delta",
                "AGGREGATION_TEMPORALITY_CUMULATIVE": "cumulative"}  # fmt: skip


@dlt.source(name="otel")
def otel_source(
    files: CollectorFiles | None, days: list[date], log: Log, notes: SourceNotes | None = None
) -> Any:
    """Claude Code and Codex telemetry records of ``days`` from the Collector's files.

    Args:
        files: the files at ``TOKENWORTH_OTEL_PATH``.
        days: contiguous UTC days to load (partition plus lookback).
        log: where progress is said.
        notes: where a file that cannot be read is reported (the others still load).
    """
    noted = notes or LoggedNotes(log)
    wanted = set(days)

    @dlt.resource(name="otlp_rows", selected=False)
    def otlp_rows() -> Iterator[dict[str, list[dict[str, Any]]]]:
        """Rows of the three tables, one file at a time (each file is read once)."""
        assert files is not None
        since = day_start(days[0]) - timedelta(days=1)
        for file in files.listing(modified_since=since):
            try:
                yield _file_rows(files, file, wanted)
            except UnreadableFileError as error:
                noted.item_failed(file.path, str(error))

    def table(name: str, key: str) -> Any:
        @dlt.transformer(
            data_from=otlp_rows,
            name=name,
            primary_key=key,
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            columns={"cost_usd": {"data_type": "decimal", "precision": 38, "scale": 12}}
            if name == "api_requests"
            else None,
        )
        @yields_tables(_SCHEMAS[name], VENDOR, name)
        def rows(batch: dict[str, list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
            yield from batch[name]

        rows.__doc__ = _DOCS[name]
        return rows

    return [
        table("api_requests", "record_key"),
        table("agent_events", "record_key"),
        table("metric_points", "point_key"),
    ]


_DOCS = {
    "api_requests": "Model requests of Claude Code (api_request) and Codex (response.completed).",
    "agent_events": "Prompts (length only), tool results and decisions, API errors of the agents.",
    "metric_points": "Data points of the agents' counters (lines of code, commits, PRs, …).",
}


def _file_rows(
    files: CollectorFiles, file: CollectorFile, wanted: set[date]
) -> dict[str, list[dict[str, Any]]]:
    """The rows of one file whose day is in ``wanted``, without repeats (a record exported twice
    by a Collector retry is one row).

    Raises:
        UnreadableFileError: a complete line that cannot be read (names the file and line).
    """
    out: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in TABLES}
    for position, kind, resources in files.messages(file):
        try:
            if kind == LOGS:
                rows = _log_rows(resources, file.path)
            else:
                rows = _metric_rows(resources, file.path)
            for name, row in rows:
                key = row["point_key" if name == "metric_points" else "record_key"]
                if row["event_date"] in wanted:
                    out[name].setdefault(key, row)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise UnreadableFileError(
                VENDOR,
                "files",
                f"{VENDOR}: {file.path} line {position}: {error} — the record does not follow "
                "the agent's documented telemetry; fix or remove the file (the others load)",
            ) from None
    return {name: list(rows.values()) for name, rows in out.items()}


def _resource_columns(resource: dict[str, Any] | None, source_file: str) -> dict[str, Any]:
    attrs = attributes((resource or {}).get("attributes"))
    return {
        "service_name": as_text(attrs, "service.name"),
        "service_version": as_text(attrs, "service.version"),
        **{f"resource_{name}": as_text(attrs, name) for name in RESOURCE_COLUMNS},
        "resource_attributes": json.dumps(attrs, sort_keys=True, default=str) if attrs else None,
        "source_file": source_file,
    }


def _identity(attrs: Attributes) -> dict[str, Any]:
    return {
        "session_id": as_text(attrs, "session.id") or as_text(attrs, "conversation.id"),
        "user_email": as_text(attrs, "user.email"),
        "user_account_uuid": as_text(attrs, "user.account_uuid"),
        "user_account_id": as_text(attrs, "user.account_id"),
        "user_id": as_text(attrs, "user.id"),
        "organization_id": as_text(attrs, "organization.id"),
        "terminal_type": as_text(attrs, "terminal.type"),
        "app_version": as_text(attrs, "app.version"),
    }


def _key(resource_key: str, record: dict[str, Any]) -> str:
    # The record as the Collector wrote it (its key order is stable): the same record read from
    # another file, or written twice, has the same key.
    text = resource_key + json.dumps(record, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _event_name(record: dict[str, Any], attrs: Attributes, service: str | None) -> str | None:
    """``claude_code.api_request``: the record's ``eventName`` (OTLP 1.5), else its body when
    it is a dotted name, else ``event.name`` — prefixed by the service's agent when bare."""
    name = record.get("eventName")
    body = (record.get("body") or {}).get("stringValue")
    if not name and isinstance(body, str) and "." in body and " " not in body:
        name = body
    if not name:
        name = as_text(attrs, "event.name")
    if name and "." not in name and service in SERVICE_AGENTS:
        name = f"{SERVICE_AGENTS[service]}.{name}"
    return name


def _log_rows(resources: list[dict[str, Any]], source_file: str) -> Iterator[tuple[str, dict]]:
    for resource_logs in resources:
        resource = resource_logs.get("resource")
        shared = _resource_columns(resource, source_file)
        resource_key = shared["resource_attributes"] or ""
        for scope in resource_logs.get("scopeLogs") or ():
            for record in scope.get("logRecords") or ():
                attrs = attributes(record.get("attributes"))
                name = _event_name(record, attrs, shared["service_name"])
                agent = AGENTS.get((name or "").split(".", 1)[0])
                if agent is None:
                    continue
                at = (
                    nanos_to_datetime(record.get("timeUnixNano"))
                    or as_timestamp(attrs, "event.timestamp")
                    or nanos_to_datetime(record.get("observedTimeUnixNano"))
                )
                if at is None:
                    raise ValueError(f"{name} has no time (timeUnixNano, event.timestamp)")
                base = {
                    "record_key": _key(resource_key, record),
                    "event_date": at.date(),
                    "event_at": at.isoformat(),
                    "agent": agent,
                    "event_name": name,
                    **_identity(attrs),
                    "prompt_id": as_text(attrs, "prompt.id"),
                    "event_sequence": as_int(attrs, "event.sequence"),
                    **shared,
                }
                kind = as_text(attrs, "event.kind")
                if name == "claude_code.api_request" or (
                    name == "codex.sse_event" and kind == CODEX_COMPLETED
                ):
                    yield "api_requests", {**base, **_request_columns(agent, attrs)}
                elif name != "codex.sse_event":  # stream chunks: no usage, thousands a day
                    yield "agent_events", {**base, **_event_columns(attrs, kind)}


def _request_columns(agent: str, attrs: Attributes) -> dict[str, Any]:
    if agent == "claude_code":
        tokens = {
            "input_tokens": as_int(attrs, "input_tokens"),
            "output_tokens": as_int(attrs, "output_tokens"),
            "cache_read_tokens": as_int(attrs, "cache_read_tokens"),
            "cache_creation_tokens": as_int(attrs, "cache_creation_tokens"),
        }
    else:
        tokens = {
            "input_tokens": as_int(attrs, "input_token_count"),
            "output_tokens": as_int(attrs, "output_token_count"),
            "cached_input_tokens": as_int(attrs, "cached_token_count"),
            "reasoning_tokens": as_int(attrs, "reasoning_token_count"),
            "tool_tokens": as_int(attrs, "tool_token_count"),
        }
    return {
        "request_id": as_text(attrs, "request_id") or as_text(attrs, "client_request_id"),
        "model": as_text(attrs, "model"),
        "cost_usd": as_decimal(attrs, "cost_usd"),
        **tokens,
        "duration_ms": as_int(attrs, "duration_ms"),
        "query_source": as_text(attrs, "query_source"),
        "effort": as_text(attrs, "effort") or as_text(attrs, "model_reasoning_effort"),
        "speed": as_text(attrs, "speed"),
    }


def _event_columns(attrs: Attributes, kind: str | None) -> dict[str, Any]:
    # Deliberately no `prompt`, `tool_parameters`, `error` or other free text.
    return {
        "model": as_text(attrs, "model"),
        "prompt_length": _first(as_int(attrs, "prompt_length"), as_int(attrs, "prompt.length")),
        "tool_name": as_text(attrs, "tool_name"),
        "decision": as_text(attrs, "decision"),
        "decision_source": as_text(attrs, "source"),
        "success": as_bool(attrs, "success"),
        "duration_ms": as_int(attrs, "duration_ms"),
        "status_code": _first(
            as_int(attrs, "status_code"), as_int(attrs, "http.response.status_code")
        ),
        "attempt": as_int(attrs, "attempt"),
        "event_kind": kind,
    }


def _metric_rows(resources: list[dict[str, Any]], source_file: str) -> Iterator[tuple[str, dict]]:
    for resource_metrics in resources:
        shared = _resource_columns(resource_metrics.get("resource"), source_file)
        resource_key = shared["resource_attributes"] or ""
        for scope in resource_metrics.get("scopeMetrics") or ():
            for metric in scope.get("metrics") or ():
                name = metric.get("name") or ""
                agent = AGENTS.get(name.split(".", 1)[0])
                total = metric.get("sum")
                if agent is None or not isinstance(total, dict):
                    continue  # gauges and histograms carry no count the warehouse uses
                temporality = _TEMPORALITY.get(total.get("aggregationTemporality", 0))
                for point in total.get("dataPoints") or ():
                    attrs = attributes(point.get("attributes"))
                    at = nanos_to_datetime(point.get("timeUnixNano"))
                    if at is None:
                        raise ValueError(f"a data point of {name} has no timeUnixNano")
                    value = point.get("asInt", point.get("asDouble"))
                    yield (
                        "metric_points",
                        {
                            "point_key": _key(resource_key + name, point),
                            "event_date": at.date(),
                            "event_at": at.isoformat(),
                            "started_at": _iso(nanos_to_datetime(point.get("startTimeUnixNano"))),
                            "agent": agent,
                            "metric_name": name,
                            "unit": metric.get("unit"),
                            **_identity(attrs),
                            "type": as_text(attrs, "type"),
                            "model": as_text(attrs, "model"),
                            "value": None if value is None else float(value),
                            "aggregation_temporality": temporality,
                            "is_monotonic": bool(total.get("isMonotonic", False)),
                            **shared,
                        },
                    )


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


json_text_columns_expected(*TABLES)
