"""The agents' OpenTelemetry as an organisation's Collector writes it to disk (issue 24).

For every person whose agents export telemetry (``Person.telemetry``), every Claude Code session
becomes the events and metrics Claude Code sends (``claude_code.user_prompt``, one
``claude_code.api_request`` per model request with its cost and tokens, ``tool_decision`` and
``tool_result`` for its edits, the ``lines_of_code``, ``commit`` and ``pull_request`` counters),
and every Codex session (``openai_api``: Codex CLI billed through OpenAI keys) one
``codex.sse_event`` of kind ``response.completed`` per request. Values are the requests' own, so
per person and day they reconcile to the cent with the Admin reports the server sends.

Files as the Collector's ``file`` exporter writes them: OTLP/JSON, one export batch per line,
rotated once a day (``claude-code-2026-10-02T23-59-59.000.json``, the current day in
``claude-code.json``); rotated Claude Code files older than two days are gzipped, as an operator's
log rotation would; Codex goes through an exporter with ``compression: zstd`` (length-prefixed
zstd messages). A few people log prompts (``OTEL_LOG_USER_PROMPTS=1``): the reader must drop them.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sandbox.generate.state import seeded
from sandbox.model import AIRequest, AISession, Person, World
from sandbox.vendors import stable_hash
from sandbox.vendors.anthropic import anthropic_email

CLAUDE_CODE_VERSION = "2.1.30"
CODEX_VERSION = "0.63.0"
BATCH = 50  # records per export batch (a line)
DELTA = 1  # AggregationTemporality.DELTA, Claude Code's default for OTLP metrics
PROMPT_WORDS = ("fix", "the", "flaky", "test", "in", "billing", "and", "add", "a", "retry")


def _s(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


def _i(key: str, value: int) -> dict[str, Any]:
    return {"key": key, "value": {"intValue": str(value)}}


def _nanos(at: datetime) -> str:
    return str(int(at.timestamp()) * 1_000_000_000 + at.microsecond * 1000)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _resource(service: str, version: str, person: Person, session: AISession) -> dict[str, Any]:
    attributes = [
        _s("service.name", service),
        _s("service.version", version),
        _s("os.type", "darwin"),
        _s("host.arch", "arm64"),
        # OTEL_RESOURCE_ATTRIBUTES set by the organisation (per team, and per repository by
        # the developer's shell profile).
        _s("team", person.team),
        _s("department", "engineering"),
    ]
    if session.repo:
        attributes.append(_s("repository", session.repo))
    return {"attributes": attributes}


def _record(at: datetime, body: str, attributes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "timeUnixNano": _nanos(at),
        "observedTimeUnixNano": _nanos(at + timedelta(milliseconds=3)),
        "body": {"stringValue": body},
        "attributes": attributes,
        "traceId": "",
        "spanId": "",
    }


def _claude_code_records(world: World, person: Person, session: AISession) -> list[dict]:
    assert session.agent_session_id is not None
    rng = seeded(world.seed, "otel", session.session_id)
    standard = [
        _s("session.id", session.agent_session_id),
        _s("organization.id", world.anthropic_org_id),
        _s("user.account_uuid", f"{stable_hash('account', person.person_id) % 16**12:012x}"),
        _s("user.email", anthropic_email(person)),
        _s("terminal.type", "iTerm.app"),
    ]
    logs_prompts = stable_hash("log-prompts", person.person_id) % 10 == 0
    records = []
    sequence = 0

    def event(at: datetime, name: str, attrs: list[dict[str, Any]]) -> None:
        nonlocal sequence
        records.append(
            _record(
                at,
                f"claude_code.{name}",
                [
                    _s("event.name", name),
                    _s("event.timestamp", _iso(at)),
                    _i("event.sequence", sequence),
                    *standard,
                    *attrs,
                ],
            )
        )
        sequence += 1

    for k, request in enumerate(session.requests):
        at = request.at
        if k == 0 or rng.random() < 0.25:
            length = 20 + rng.randrange(400)
            prompt = [_s("prompt", " ".join(rng.choice(PROMPT_WORDS) for _ in range(9)))]
            event(at - timedelta(seconds=2), "user_prompt",
                  [_i("prompt_length", length), *(prompt if logs_prompts else [])])  # fmt: skip
        event(at, "api_request", _api_request(request, k, session, rng))
        for decision, count in (("accept", request.edits_accepted),
                                ("reject", request.edits_rejected)):  # fmt: skip
            for n in range(count):
                tool = "Edit" if n % 2 == 0 else "Write"
                moment = at + timedelta(seconds=5 + n)
                event(moment, "tool_decision", [_s("tool_name", tool), _s("decision", decision),
                                                _s("source", "user_temporary")])  # fmt: skip
                if decision == "accept":
                    event(moment + timedelta(milliseconds=40), "tool_result",
                          [_s("tool_name", tool), _s("success", "true"), _i("duration_ms", 40),
                           _s("decision", "accept"), _s("source", "user_temporary")])  # fmt: skip
    return records


def _api_request(request: AIRequest, k: int, session: AISession, rng: Any) -> list[dict[str, Any]]:
    subagent = request.model != session.requests[0].model
    return [
        _s("model", request.model),
        # The request's cost as a JSON number, as Claude Code sends it (repr keeps every digit).
        {"key": "cost_usd", "value": {"doubleValue": float(request.cost_usd)}},
        _i("duration_ms", 800 + rng.randrange(20_000)),
        _i("input_tokens", request.input_tokens),
        _i("output_tokens", request.output_tokens),
        _i("cache_read_tokens", request.cache_read_tokens),
        _i("cache_creation_tokens", request.cache_write_5m_tokens + request.cache_write_1h_tokens),
        _s(
            "request_id", f"req_011{stable_hash('cc-request', session.session_id, k) % 36**20:020x}"
        ),
        _s("query_source", "subagent" if subagent else "repl_main_thread"),
        _s("speed", "normal"),
    ]


def _claude_code_points(world: World, session: AISession) -> list[dict[str, Any]]:
    """Delta counters of one session: lines per request that wrote code, its commits."""
    assert session.agent_session_id is not None
    base = [_s("session.id", session.agent_session_id),
            _s("organization.id", world.anthropic_org_id)]  # fmt: skip
    lines: list[dict[str, Any]] = []
    for request in session.requests:
        for kind, value in (("added", request.lines_added), ("removed", request.lines_removed)):
            if value:
                lines.append(_point([*base, _s("type", kind)], value, request.at))
    metrics = []
    if lines:
        metrics.append(_sum("claude_code.lines_of_code.count", "count", lines))
    if session.commits_during:
        point = _point(base, session.commits_during, session.ended_at)
        metrics.append(_sum("claude_code.commit.count", "count", [point]))
    return metrics


def _point(attributes: list[dict[str, Any]], value: int, at: datetime) -> dict[str, Any]:
    return {
        "attributes": attributes,
        "startTimeUnixNano": _nanos(at - timedelta(seconds=60)),
        "timeUnixNano": _nanos(at),
        "asInt": str(value),
    }


def _sum(name: str, unit: str, points: list[dict[str, Any]]) -> dict[str, Any]:
    total = {"dataPoints": points, "aggregationTemporality": DELTA, "isMonotonic": True}
    return {"name": name, "unit": unit, "sum": total}


def _codex_records(person: Person, session: AISession) -> list[dict[str, Any]]:
    assert session.agent_session_id is not None
    records = []
    for request in session.requests:
        at = request.at
        metadata = [
            _s("event.timestamp", _iso(at)),
            _s("conversation.id", session.agent_session_id),
            _s("app.version", CODEX_VERSION),
            _s("auth_mode", "ApiKey"),
            _s("user.email", person.vendor_emails.get("openai_api") or person.work_email),
            _s("terminal.type", "vscode/1.105.1"),
            _s("model", request.model),
            _s("slug", request.model),
        ]
        # OpenAI counts cached and cache-write tokens inside the input total; Codex reports the
        # total and the cached part (cache writes are not told apart).
        total_input = (
            request.input_tokens
            + request.cache_write_5m_tokens
            + request.cache_write_1h_tokens
            + request.cache_read_tokens
        )
        records.append(
            _record(at, "codex.sse_event", [
                _s("event.name", "codex.sse_event"), *metadata,
                _s("event.kind", "response.completed"), _i("duration_ms", 1500),
                _i("input_token_count", total_input),
                _i("output_token_count", request.output_tokens),
                _i("cached_token_count", request.cache_read_tokens),
                _i("reasoning_token_count", 0),
                _i("tool_token_count", total_input + request.output_tokens),
            ])
        )  # fmt: skip
    return records


def _batches(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [records[i : i + BATCH] for i in range(0, len(records), BATCH)]


def write_collector_files(world: World, out: Path) -> list[Path]:
    """Write the Collector's files for ``world`` into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    people = {p.person_id: p for p in world.people if p.telemetry}
    claude: dict[date, list[bytes]] = defaultdict(list)
    codex: dict[date, list[bytes]] = defaultdict(list)
    for session in world.sessions:
        person = people.get(session.person_id)
        if person is None or session.agent_session_id is None:
            continue
        day = session.started_at.astimezone(UTC).date()
        if session.platform == "claude_code":
            resource = _resource("claude-code", CLAUDE_CODE_VERSION, person, session)
            scope = {"name": "com.anthropic.claude_code.events", "version": CLAUDE_CODE_VERSION}
            for batch in _batches(_claude_code_records(world, person, session)):
                claude[day].append(_logs_line(resource, scope, batch))
            metrics = _claude_code_points(world, session)
            if metrics:
                scope = {"name": "com.anthropic.claude_code", "version": CLAUDE_CODE_VERSION}
                scoped = [{"scope": scope, "metrics": metrics}]
                line = {"resourceMetrics": [{"resource": resource, "scopeMetrics": scoped}]}
                claude[day].append(_json(line))
        elif session.platform == "openai_api":
            resource = _resource("codex_cli_rs", CODEX_VERSION, person, session)
            for batch in _batches(_codex_records(person, session)):
                codex[day].append(_logs_line(resource, {"name": "codex_otel"}, batch))
    written = _write_rotated(out, "claude-code", claude, compress=None, gzip_before=2)
    written += _write_rotated(out, "codex", codex, compress="zstd", gzip_before=None)
    return written


def _logs_line(resource: dict[str, Any], scope: dict[str, Any], records: list[dict]) -> bytes:
    scoped = [{"scope": scope, "logRecords": records}]
    return _json({"resourceLogs": [{"resource": resource, "scopeLogs": scoped}]})


def _json(line: dict[str, Any]) -> bytes:
    return json.dumps(line, separators=(",", ":")).encode()


def _write_rotated(
    out: Path,
    name: str,
    by_day: dict[date, list[bytes]],
    compress: str | None,
    gzip_before: int | None,
) -> list[Path]:
    """One file per day, renamed with the rotation time; the last day is the live file."""
    days = sorted(by_day)
    written = []
    for n, day in enumerate(days):
        rotated_at = datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
        live = n == len(days) - 1
        stem = name if live else f"{name}-{rotated_at.strftime('%Y-%m-%dT%H-%M-%S')}.000"
        if compress == "zstd":
            import zstandard

            compressor = zstandard.ZstdCompressor()
            data = b"".join(
                struct.pack(">I", len(c)) + c
                for c in (compressor.compress(line) for line in by_day[day])
            )
        else:
            data = b"".join(line + b"\n" for line in by_day[day])
        path = out / f"{stem}.json"
        if gzip_before is not None and not live and n < len(days) - gzip_before:
            path = path.with_name(path.name + ".gz")
            data = gzip.compress(data, mtime=0)
        path.write_bytes(data)
        os.utime(path, (rotated_at.timestamp(), rotated_at.timestamp()))
        written.append(path)
    return written
