"""A small hand-built world whose edge cases the vendor views must get right.

``build_world("tiny")`` is realistic but may not hit every boundary. This world does on purpose:
requests exactly at midnight and one millisecond before it, at hour boundaries, several Cursor
events in the same millisecond, a Claude Code session crossing midnight, subscription and
key-billed Claude Code users, plain ``anthropic_api`` traffic, OpenAI cache writes, a prompt over
200k tokens, costs with six decimals, and Copilot CLI and IDE sessions.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandbox.model import AIRequest, AISession, ApiKey, CopilotSeat, Person, World
from sandbox.vendors.copilot import session_feature

START = date(2026, 10, 1)
# The vendors' published example payloads, kept with the tests (see its SOURCES.md).
EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "api-examples"


def api_example(name: str) -> Any:
    """A published example payload."""
    return json.loads((EXAMPLES / name).read_text())


DAYS = 3


def at(day: int, hh: int, mm: int = 0, ss: int = 0, micro: int = 0) -> datetime:
    base = datetime(2026, 10, 1, hh, mm, ss, micro, tzinfo=UTC)
    return base + timedelta(days=day)


def _person(n: int, name: str, platforms: tuple[str, ...]) -> Person:
    login = name.lower()
    email = f"{login}@edge.example"
    return Person(
        person_id=f"p{n}",
        name=name,
        team="core" if n % 2 else "web",
        utc_offset_hours=0,
        work_email=email,
        github_login=login,
        github_id=5000 + n,
        commit_email=email,
        platforms=platforms,
        vendor_emails={p: email for p in platforms},
        vendor_user_ids={
            "anthropic": f"user_0{n}EDGE",
            "openai": f"user-{n}edge",
            "cursor": f"user_{n}edgecursor",
            "cursor_numeric": str(700 + n),
        },
        joined_on=date(2025, 1, n),
    )


def _request(rng: random.Random, when: datetime, model: str, **extra: object) -> AIRequest:
    fields: dict[str, object] = {
        "input_tokens": rng.randint(10, 3000),
        "cache_write_5m_tokens": rng.choice((0, rng.randint(100, 9000))),
        "cache_write_1h_tokens": rng.choice((0, 0, rng.randint(100, 5000))),
        "cache_read_tokens": rng.randint(0, 90_000),
        "output_tokens": rng.randint(5, 4000),
        "cost_usd": Decimal(rng.randint(1, 9_999_999)) / Decimal(1_000_000),
        "lines_added": rng.randint(0, 40),
        "lines_removed": rng.randint(0, 10),
        "edits_accepted": rng.randint(0, 3),
        "edits_rejected": rng.randint(0, 1),
    }
    fields.update(extra)
    return AIRequest(at=when, model=model, **fields)  # type: ignore[arg-type]


def _session(
    sid: str, person: str, platform: str, requests: list[AIRequest], intent: str = "productive"
) -> AISession:
    return AISession(
        session_id=sid,
        person_id=person,
        platform=platform,
        intent=intent,
        started_at=requests[0].at,
        ended_at=requests[-1].at,
        requests=requests,
        commits_during=1,
    )


def _copilot_session_id(prefix: str, cli: bool) -> str:
    """A session id whose simulated Copilot feature is (or is not) the CLI."""
    for n in range(1000):
        sid = f"{prefix}-{n}"
        if (session_feature(_session(sid, "x", "copilot", [_stub()])) == "copilot_cli") == cli:
            return sid
    raise AssertionError("no session id found")


def _stub() -> AIRequest:
    return AIRequest(at(0, 0), "copilot", 0, 0, 0, 0, 0, Decimal(0))


def edge_world(seed: int = 3) -> World:
    rng = random.Random(seed)
    ada = _person(1, "Ada", ("claude_code", "anthropic_api", "cursor", "copilot"))
    bob = _person(2, "Bob", ("claude_code", "openai_api", "cursor"))
    cy = _person(3, "Cy", ("copilot", "cursor"))
    dee = _person(4, "Dee", ())
    cc_key = ApiKey(
        "apikey_01CC",
        "anthropic",
        "ada-claude-code",
        "p1",
        at(-30, 0),
        workspace_id="wrkspc_CC",
        is_claude_code=True,
    )
    api_key = ApiKey(
        "apikey_01API", "anthropic", "ada-batch", "p1", at(-20, 0), workspace_id="wrkspc_DEFAULT"
    )
    oa_key = ApiKey("key_OA1", "openai", "bob-codex", "p2", at(-10, 0), project_id="proj_E")

    def r(when: datetime, model: str, **extra: object) -> AIRequest:
        return _request(rng, when, model, **extra)

    sessions = [
        # Claude Code billed through a key, crossing midnight of day 0 → day 1.
        _session(
            "cc-ada-1",
            "p1",
            "claude_code",
            [
                r(at(0, 23, 58), "claude-opus-5-5", api_key_id="apikey_01CC"),
                r(at(0, 23, 59, 59, 999_999), "claude-sonnet-5-5", api_key_id="apikey_01CC"),
                r(at(1, 0, 0, 0), "claude-sonnet-5-5", api_key_id="apikey_01CC"),
                r(at(1, 0, 1), "claude-opus-5-5", api_key_id="apikey_01CC", input_tokens=250_000),
            ],
        ),
        _session(
            "cc-ada-2",
            "p1",
            "claude_code",
            [
                r(at(2, 9, 0), "claude-haiku-4-5", api_key_id="apikey_01CC"),
            ],
        ),
        # Claude Code on a subscription: in the Claude Code report only.
        _session(
            "cc-bob-1",
            "p2",
            "claude_code",
            [
                r(at(0, 10, 0), "claude-sonnet-5-5"),
                r(at(0, 10, 30), "claude-sonnet-5-5"),
                r(at(2, 14, 0), "claude-opus-5-5"),
            ],
        ),
        # Plain API traffic on hour boundaries.
        _session(
            "api-ada-1",
            "p1",
            "anthropic_api",
            [
                r(at(1, 10, 0, 0), "claude-sonnet-5-5", api_key_id="apikey_01API"),
                r(at(1, 10, 59, 59, 999_999), "claude-sonnet-5-5", api_key_id="apikey_01API"),
                r(at(1, 11, 0, 0), "claude-haiku-4-5", api_key_id="apikey_01API"),
            ],
        ),
        _session(
            "oa-bob-1",
            "p2",
            "openai_api",
            [
                r(at(0, 12, 0), "gpt-6-sol", api_key_id="key_OA1", cache_write_1h_tokens=0),
                r(at(1, 0, 0), "gpt-6-sol", api_key_id="key_OA1", cache_write_1h_tokens=0),
                r(at(2, 23, 59, 59), "gpt-6-luna", api_key_id="key_OA1", cache_write_1h_tokens=0),
            ],
        ),
        # Cursor: midnight edges and millisecond ties (within a person and across people).
        _session(
            "cu-ada-1",
            "p1",
            "cursor",
            [
                r(at(0, 23, 59, 59, 999_000), "claude-4.5-sonnet"),
                r(at(1, 0, 0, 0), "claude-4.5-sonnet"),
                r(at(1, 0, 0, 0, 500), "gpt-5.4"),
                r(at(1, 8, 0, 0, 123_000), "composer-2"),
            ],
        ),
        _session(
            "cu-ada-2",
            "p1",
            "cursor",
            [
                r(at(1, 8, 0, 0, 123_000), "composer-2"),
                r(at(1, 8, 0, 0, 123_400), "gpt-5.4"),
            ],
        ),
        _session(
            "cu-bob-1",
            "p2",
            "cursor",
            [
                r(at(1, 8, 0, 0, 123_000), "claude-4.5-sonnet"),
                *(r(at(2, 9, i), "gpt-5.4") for i in range(9)),
            ],
        ),
        _session(
            "cu-cy-1",
            "p3",
            "cursor",
            [
                r(at(0, 0, 0, 0), "composer-2"),
                r(at(2, 23, 59, 59, 999_999), "claude-4.5-sonnet"),
            ],
        ),
    ]
    for person, day, cli in (("p1", 0, True), ("p1", 1, False), ("p3", 1, False), ("p3", 2, True)):
        sid = _copilot_session_id(f"co-{person}-{day}", cli)
        requests = []
        for i in range(4):
            credits = Decimal(rng.randint(1, 40)) / 4
            requests.append(
                r(
                    at(day, 9 + i),
                    "claude-sonnet-4.6",
                    ai_credits=credits,
                    cost_usd=credits * Decimal("0.01"),
                )
            )
        sessions.append(_session(sid, person, "copilot", requests))
    seats = [
        CopilotSeat("p1", at(-40, 0), "business"),
        CopilotSeat("p3", at(-5, 0), "enterprise", pending_cancellation_date=date(2026, 11, 1)),
    ]
    return World(
        seed=seed,
        profile="edge",
        org="edgeorg",
        start=START,
        days=DAYS,
        people=[ada, bob, cy, dee],
        repositories=[],
        api_keys=[cc_key, api_key, oa_key],
        sessions=sessions,
        copilot_seats=seats,
        anthropic_org_id="00000000-0000-4000-8000-00000000edge",
        anthropic_workspaces={"wrkspc_CC": "Claude Code", "wrkspc_DEFAULT": "Default"},
        openai_projects={"proj_E": "Edge"},
    )


def all_days(world: World) -> list[date]:
    return [world.start + timedelta(days=i) for i in range(world.days)]
