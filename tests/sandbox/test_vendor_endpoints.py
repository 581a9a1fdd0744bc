"""The vendor APIs over real HTTP: published shapes, exact truth across pages and days, errors.

Each test talks to a ``SandboxServer`` on a free loopback port (started once per world, stopped
in teardown). Two worlds: the hand-built edge world (``worlds.edge_world``: midnight and
millisecond edges, all platforms) and the generated ``tiny`` profile.
"""

from __future__ import annotations

import base64
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from worlds import all_days, api_example, edge_world

from sandbox.generate import build_world
from sandbox.model import AIRequest, AISession, UnassignedUsage, World
from sandbox.server import SandboxServer
from sandbox.vendors.cursor import ai_code_commits


def example(name: str) -> Any:
    return api_example(name)


# --- the "same shape" comparer ---------------------------------------------------------------


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def merged_elements(items: list[Any]) -> Any:
    """One example element standing for all of a list's elements: objects get the union of
    keys (merged recursively), and a key missing from some element is optional."""
    if not items or not all(isinstance(i, dict) for i in items):
        return items[0] if items else None
    keys: dict[str, Any] = {}
    for k in dict.fromkeys(k for item in items for k in item):
        values = [item[k] for item in items if k in item]
        present = [v for v in values if v is not None]
        merged = merged_elements(present) if present else None
        if present and isinstance(present[0], list):
            merged = [merged_elements([e for v in present for e in v])] if any(present) else []
        keys[k] = merged if len(values) == len(items) else _Optional(merged)
    return keys


class _Optional:
    def __init__(self, value: Any) -> None:
        self.value = value


def assert_same_shape(
    actual: Any,
    expected: Any,
    path: str = "$",
    *,
    optional: frozenset[str] = frozenset(),
    extra: frozenset[str] = frozenset(),
) -> None:
    """``actual`` has the keys and JSON types of ``expected``, recursively.

    Nulls match anything (nullable fields); lists compare every element with the merged shape of
    the example's elements; ``optional`` keys may be missing, ``extra`` keys may be added.
    """
    if isinstance(expected, _Optional):
        expected = expected.value
    if actual is None or expected is None:
        return
    assert json_type(actual) == json_type(expected), (
        f"{path}: {json_type(actual)} where the example has {json_type(expected)}"
    )
    if isinstance(expected, dict):
        missing = {
            k
            for k, v in expected.items()
            if k not in actual and k not in optional and not isinstance(v, _Optional)
        }
        assert not missing, f"{path}: missing keys {sorted(missing)}"
        unknown = set(actual) - set(expected) - extra
        assert not unknown, f"{path}: keys not in the example {sorted(unknown)}"
        for k, v in actual.items():
            if k in expected:
                assert_same_shape(v, expected[k], f"{path}.{k}", optional=optional, extra=extra)
    elif isinstance(expected, list) and expected:
        element = merged_elements(expected)
        for i, item in enumerate(actual):
            assert_same_shape(item, element, f"{path}[{i}]", optional=optional, extra=extra)


def test_shape_comparer_catches_missing_extra_and_mistyped_keys() -> None:
    assert_same_shape({"a": 1.5, "b": [{"c": "x"}]}, {"a": 1, "b": [{"c": "y"}, {"c": "z"}]})
    with pytest.raises(AssertionError, match="missing keys"):
        assert_same_shape({"a": 1}, {"a": 1, "b": 2})
    with pytest.raises(AssertionError, match="not in the example"):
        assert_same_shape({"a": 1, "z": 2}, {"a": 1})
    with pytest.raises(AssertionError, match="string where the example has number"):
        assert_same_shape({"a": "1"}, {"a": 1})
    with pytest.raises(AssertionError, match=r"\$\.b\[0\]\.c"):
        assert_same_shape({"b": [{"c": 1}]}, {"b": [{"c": "x"}]})
    # A key only some example elements have is optional.
    assert_same_shape([{"a": 1}], [{"a": 1, "b": 2}, {"a": 3}])


# --- servers and clients ---------------------------------------------------------------------


class Client:
    """Thin per-vendor request helpers for one server (credentials as each vendor wants)."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = server.url
        self.http = requests.Session()

    def anthropic(self, path: str, params: Any = None, **headers: str) -> requests.Response:
        h = {"x-api-key": self.server.anthropic_admin_key, "anthropic-version": "2023-06-01"}
        h.update(headers)
        return self.http.get(f"{self.url}/v1/organizations{path}", params=params, headers=h)

    def openai(self, path: str, params: Any = None) -> requests.Response:
        h = {"Authorization": f"Bearer {self.server.openai_admin_key}"}
        return self.http.get(f"{self.url}/v1/organization{path}", params=params, headers=h)

    def cursor(self, path: str, body: Any = None, method: str = "POST") -> requests.Response:
        auth = (self.server.cursor_admin_key, "")
        return self.http.request(method, f"{self.url}/teams{path}", json=body, auth=auth)

    def cursor_ai(self, params: Any = None) -> requests.Response:
        """Cursor's AI Code Tracking API (GET, query parameters)."""
        auth = (self.server.cursor_admin_key, "")
        return self.http.get(f"{self.url}/analytics/ai-code/commits", params=params, auth=auth)

    def github(self, path: str, params: Any = None) -> requests.Response:
        h = {
            "Authorization": f"Bearer {self.server.github_token}",
            "X-GitHub-Api-Version": "2026-03-10",
        }
        return self.http.get(f"{self.url}{path}", params=params, headers=h)


def make_world(name: str) -> World:
    return edge_world() if name == "edge" else build_world(name)


@pytest.fixture(scope="module", params=["edge", "tiny"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[World, Client]]:
    world = make_world(request.param)
    # Rate limits are tested on their own; here they would only slow the paging down.
    server = SandboxServer(world, rate_limit_scale=1000, copilot_records_per_file=2).start()
    try:
        yield world, Client(server)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def edge() -> Iterator[tuple[World, Client]]:
    world = edge_world()
    server = SandboxServer(world, rate_limit_scale=1000).start()
    try:
        yield world, Client(server)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tiny() -> Iterator[tuple[World, Client]]:
    # The edge world has no repositories, so no commits: AI code tracking needs a generated one.
    world = build_world("tiny")
    server = SandboxServer(world, rate_limit_scale=1000).start()
    try:
        yield world, Client(server)
    finally:
        server.stop()


def requests_of(world: World, *platforms: str) -> list[tuple[AISession, AIRequest]]:
    return [(s, r) for s in world.sessions if s.platform in platforms for r in s.requests]


def unassigned_requests(world: World, *platforms: str) -> list[tuple[UnassignedUsage, AIRequest]]:
    """The requests of usage nobody in the roster owns (``world.unassigned``, sandbox.reality)."""
    return [
        (u, r)
        for u in world.unassigned
        if u.platform in platforms
        for s in u.sessions
        for r in s.requests
    ]


VENDOR_PLATFORMS = {"anthropic": ("claude_code", "anthropic_api"), "openai": ("openai_api",)}


def key_billed(world: World, vendor: str) -> list[AIRequest]:
    """What the vendor bills the organisation for: the people's requests through its keys, and
    every request of usage nobody owns (service-account and orphaned keys, a CI bot's Claude Code
    key, usage without a key)."""
    keys = {k.api_key_id: k for k in world.api_keys if k.vendor == vendor}
    people = [r for s in world.sessions for r in s.requests if r.api_key_id in keys]
    return people + [r for _u, r in unassigned_requests(world, *VENDOR_PLATFORMS[vendor])]


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def ms(at: datetime) -> int:
    return int((at - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1))


def day_ms(day: date) -> int:
    return ms(datetime(day.year, day.month, day.day, tzinfo=UTC))


def anthropic_pages(client: Client, path: str, params: list[tuple[str, Any]]) -> list[Any]:
    """Every ``data`` item over all pages, following ``next_page``."""
    out: list[Any] = []
    page = None
    for _ in range(10_000):
        r = client.anthropic(path, params + ([("page", page)] if page else []))
        assert r.status_code == 200, r.text
        body = r.json()
        out.extend(body["data"])
        if not body["has_more"]:
            assert body["next_page"] is None
            return out
        page = body["next_page"]
    raise AssertionError("pagination did not end")


def openai_pages(client: Client, path: str, params: list[tuple[str, Any]]) -> list[Any]:
    out: list[Any] = []
    page = None
    for _ in range(10_000):
        r = client.openai(path, params + ([("page", page)] if page else []))
        assert r.status_code == 200, r.text
        body = r.json()
        out.extend(body["data"])
        if not body["has_more"]:
            return out
        page = body["next_page"]
    raise AssertionError("pagination did not end")


def rfc(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


# --- shapes ----------------------------------------------------------------------------------


def test_anthropic_shapes_match_the_published_examples(served: tuple[World, Client]) -> None:
    world, client = served
    days = all_days(world)
    records = [
        rec
        for d in days
        for rec in client.anthropic(
            "/usage_report/claude_code", {"starting_at": d.isoformat(), "limit": 1000}
        ).json()["data"]
    ]
    assert records
    published = example("anthropic/usage_report_claude_code.json")["data"][0]
    # A key no person holds is reported by key name (``api_actor``) in place of an email.
    api_actor = {**published, "actor": {"api_key_name": "ci-bot", "type": "api_actor"}}
    for rec in records:
        assert_same_shape(rec, api_actor if rec["actor"]["type"] == "api_actor" else published)
    body = client.anthropic(
        "/usage_report/claude_code", {"starting_at": days[0].isoformat()}
    ).json()
    assert_same_shape(
        {**body, "data": []}, {**example("anthropic/usage_report_claude_code.json"), "data": []}
    )

    params = [("starting_at", rfc(days[0])), ("ending_at", rfc(world.end)), ("limit", 31)]
    groups = [
        ("group_by[]", g)
        for g in (
            "api_key_id",
            "model",
            "workspace_id",
            "account_id",
            "service_tier",
            "context_window",
            "inference_geo",
            "service_account_id",
        )
    ]
    body = client.anthropic("/usage_report/messages", params + groups).json()
    assert any(bucket["results"] for bucket in body["data"])
    assert_same_shape(body, example("anthropic/usage_report_messages.json"))

    body = client.anthropic(
        "/cost_report", [*params, ("group_by[]", "description"), ("group_by[]", "workspace_id")]
    ).json()
    assert any(bucket["results"] for bucket in body["data"])
    assert_same_shape(body, example("anthropic/cost_report.json"))

    users = client.anthropic("/users").json()
    assert set(users) == {"data", "has_more", "first_id", "last_id"}
    assert users["data"] and all(
        set(u) == {"id", "type", "email", "name", "role", "added_at"} for u in users["data"]
    )
    keys = client.anthropic("/api_keys").json()
    assert keys["data"]
    for key in keys["data"]:
        assert set(key) == {
            "id",
            "type",
            "name",
            "workspace_id",
            "created_at",
            "created_by",
            "partial_key_hint",
            "status",
        }
        assert key["type"] == "api_key"
    # Every key was created by a user, but a service account's key (sandbox.reality unowned_keys).
    service = {
        k.api_key_id
        for k in world.api_keys
        if k.vendor == "anthropic" and k.created_by and k.created_by[0] != "user"
    }
    assert {k["id"] for k in keys["data"] if k["created_by"]["type"] != "user"} == service
    assert {k["created_by"]["type"] for k in keys["data"]} <= {"user", "service_account"}

    error = client.anthropic("/no_such_report")
    assert error.status_code == 404 and error.headers["request-id"]
    assert_same_shape(error.json(), example("anthropic/error.json"))


def test_openai_shapes_match_the_published_examples(served: tuple[World, Client]) -> None:
    world, client = served
    start = ms(datetime(world.start.year, world.start.month, world.start.day, tzinfo=UTC)) // 1000
    params = [("start_time", start), ("limit", 31)]
    groups = [
        ("group_by", g)
        for g in ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
    ]
    body = client.openai("/usage/completions", params + groups).json()
    assert any(bucket["results"] for bucket in body["data"])
    assert_same_shape(body, example("openai/usage_completions.json"))
    for result in (res for bucket in body["data"] for res in bucket["results"]):
        assert_same_shape(result, example("openai/usage_completions_result_object.json"))

    body = client.openai("/costs", [*params, ("group_by", "line_item"), ("group_by", "project_id")])
    assert any(bucket["results"] for bucket in body.json()["data"])
    assert_same_shape(body.json(), example("openai/costs.json"))

    users = client.openai("/users").json()
    assert users["data"]
    assert_same_shape(users, example("openai/organization_users.json"))

    error = client.openai("/usage/nope")
    assert error.status_code == 404
    assert set(error.json()["error"]) == {"message", "type", "param", "code"}


def test_cursor_shapes_match_the_published_examples(served: tuple[World, Client]) -> None:
    world, client = served
    members = client.cursor("/members", method="GET")
    assert_same_shape(members.json(), example("cursor/teams_members.json"))
    first, last = day_ms(world.start), day_ms(world.end) - 1
    daily = client.cursor(
        "/daily-usage-data", {"startDate": first, "endDate": last, "page": 1, "pageSize": 100}
    ).json()
    assert any(row["isActive"] for row in daily["data"])
    assert_same_shape(daily, example("cursor/teams_daily_usage_data.json"))
    events = client.cursor(
        "/filtered-usage-events", {"startDate": first, "endDate": last, "pageSize": 1000}
    ).json()
    assert events["usageEvents"]
    assert_same_shape(events, example("cursor/teams_filtered_usage_events.json"))
    assert any("cursorTokenFee" in e for e in events["usageEvents"])
    assert any("discountPercentOff" in e["tokenUsage"] for e in events["usageEvents"])
    spend = client.cursor("/spend", {}).json()
    assert_same_shape(spend, example("cursor/teams_spend.json"))
    error = client.cursor("/nope", {})
    assert error.status_code == 404
    assert error.json() == {"error": "Not Found", "message": "Resource not found"}


def download_records(client: Client, links: list[str]) -> list[dict[str, Any]]:
    """Fetch signed download links the way a client must: no GitHub credentials."""
    records = []
    for link in links:
        r = requests.get(link, timeout=10)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == "application/x-ndjson"
        records.extend(json.loads(line) for line in r.text.splitlines() if line.strip())
    return records


def test_copilot_shapes_match_the_published_examples(served: tuple[World, Client]) -> None:
    world, client = served
    org = world.org
    record_example = example("github-copilot/copilot_usage_metrics_user_record.json")[0]
    records = []
    for day in all_days(world):
        r = client.github(f"/orgs/{org}/copilot/metrics/reports/users-1-day", {"day": day})
        assert r.status_code == 200
        assert_same_shape(
            r.json(), example("github-copilot/copilot_metrics_reports_users_1_day.json")
        )
        assert r.headers["x-ratelimit-resource"] == "core"
        records.extend(download_records(client, r.json()["download_links"]))
    assert records and any("totals_by_cli" in rec for rec in records)
    allowed = frozenset(
        {
            "organization_id",
            "ai_credits_used",
            "used_copilot_code_review_active",
            "used_copilot_code_review_passive",
        }
    )
    for rec in records:
        assert_same_shape(rec, record_example, optional=frozenset({"totals_by_cli"}), extra=allowed)
        assert ("totals_by_cli" in rec) == rec["used_cli"]

    latest = client.github(f"/orgs/{org}/copilot/metrics/reports/users-28-day/latest")
    assert_same_shape(
        latest.json(), example("github-copilot/copilot_metrics_reports_users_28_day_latest.json")
    )
    assert latest.json()["report_end_day"] == (world.end - timedelta(days=1)).isoformat()
    assert len(download_records(client, latest.json()["download_links"])) == len(records)

    seats = client.github(f"/orgs/{org}/copilot/billing/seats")
    # The tiny world's token may not read the seat list (sandbox.reality copilot_seats_forbidden).
    assert seats.status_code == world.reality.seats_status
    if seats.status_code == 200:
        assert_same_shape(
            seats.json(),
            example("github-copilot/copilot_billing_seats.json"),
            extra=frozenset({"plan_type"}),
        )
    usage = client.github(
        f"/organizations/{org}/settings/billing/ai_credit/usage",
        {"year": world.start.year, "month": world.start.month, "day": world.start.day},
    ).json()
    assert_same_shape(
        usage,
        example("github-billing/billing_premium_request_usage_user_observed.json"),
        optional=frozenset({"user"}),
    )
    assert all(
        i["sku"] == "Copilot AI Credits"
        and i["unitType"] == "credits"
        and i["pricePerUnit"] == 0.01
        for i in usage["usageItems"]
    )


# --- pages and days add up to the truth ------------------------------------------------------


def test_claude_code_report_adds_up_to_the_requests(served: tuple[World, Client]) -> None:
    world, client = served
    records = []
    for day in [world.start - timedelta(days=1), *all_days(world), world.end]:
        records.extend(
            anthropic_pages(
                client,
                "/usage_report/claude_code",
                [("starting_at", day.isoformat()), ("limit", 2)],
            )
        )
    keys = [
        (rec["actor"].get("email_address") or rec["actor"]["api_key_name"], rec["date"])
        for rec in records
    ]
    assert len(keys) == len(set(keys)), "a record repeated across pages"

    # The report holds the people's Claude Code requests and those of keys no person holds.
    unowned = unassigned_requests(world, "claude_code")
    truth: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0, 0, 0, Decimal(0)])
    for r in [r for _s, r in requests_of(world, "claude_code")] + [r for _u, r in unowned]:
        acc = truth[(f"{utc_day(r.at)}", r.model)]
        acc[0] += r.input_tokens
        acc[1] += r.output_tokens
        acc[2] += r.cache_read_tokens
        acc[3] += r.cache_write_5m_tokens + r.cache_write_1h_tokens
        acc[4] += r.cost_usd
    served_: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0, 0, 0, Decimal(0)])
    for rec in records:
        for mb in rec["model_breakdown"]:
            acc = served_[(rec["date"][:10], mb["model"])]
            t = mb["tokens"]
            acc[0] += t["input"]
            acc[1] += t["output"]
            acc[2] += t["cache_read"]
            acc[3] += t["cache_creation"]
            acc[4] += Decimal(str(mb["estimated_cost"]["amount"])) / 100
    assert {k: v[:4] for k, v in served_.items()} == {k: v[:4] for k, v in truth.items()}
    for key, value in truth.items():
        assert abs(served_[key][4] - value[4]) < Decimal("0.000001"), key

    sessions = [s for s in world.sessions if s.platform == "claude_code"]
    sessions += [s for u in world.unassigned if u.platform == "claude_code" for s in u.sessions]
    assert sum(rec["core_metrics"]["num_sessions"] for rec in records) == len(sessions)
    pairs = requests_of(world, "claude_code")
    assert sum(rec["core_metrics"]["lines_of_code"]["added"] for rec in records) == sum(
        r.lines_added for _s, r in pairs
    ) + sum(r.lines_added for _u, r in unowned)
    # Tool actions are the people's (an API actor's record reports none).
    accepted = sum(a["accepted"] for rec in records for a in rec["tool_actions"].values())
    assert accepted == sum(r.edits_accepted for _s, r in pairs)
    with_key = {s.person_id for s, r in pairs if r.api_key_id}
    bots = {u.api_key.name for u, _r in unowned if u.api_key is not None}
    assert {rec["actor"].get("api_key_name") for rec in records} - {None} == bots
    for rec in records:
        if rec["actor"]["type"] == "api_actor":
            assert rec["customer_type"] == "api"
            continue
        person = next(
            p
            for p in world.people
            if p.vendor_emails.get("claude_code") == rec["actor"]["email_address"]
        )
        assert rec["customer_type"] == ("api" if person.person_id in with_key else "subscription")


@pytest.mark.parametrize("width,limit", [("1h", 5), ("1d", 2)])
def test_messages_usage_adds_up_to_key_billed_requests(
    served: tuple[World, Client], width: str, limit: int
) -> None:
    world, client = served
    buckets = anthropic_pages(
        client,
        "/usage_report/messages",
        [
            ("starting_at", rfc(world.start)),
            ("ending_at", rfc(world.end)),
            ("bucket_width", width),
            ("limit", limit),
            ("group_by[]", "api_key_id"),
            ("group_by[]", "model"),
        ],
    )
    starts = [b["starting_at"] for b in buckets]
    assert len(starts) == len(set(starts)) == world.days * (24 if width == "1h" else 1)
    served_: Counter[tuple[str, str, str]] = Counter()
    for bucket in buckets:
        for res in bucket["results"]:
            assert res["workspace_id"] is None and res["service_tier"] is None  # not grouped
            key = (res["api_key_id"], res["model"])
            served_[(*key, "in")] += res["uncached_input_tokens"]
            served_[(*key, "5m")] += res["cache_creation"]["ephemeral_5m_input_tokens"]
            served_[(*key, "1h")] += res["cache_creation"]["ephemeral_1h_input_tokens"]
            served_[(*key, "read")] += res["cache_read_input_tokens"]
            served_[(*key, "out")] += res["output_tokens"]
    truth: Counter[tuple[str, str, str]] = Counter()
    for r in key_billed(world, "anthropic"):
        key = (r.api_key_id, r.model)  # Console usage has no key: null
        truth[(*key, "in")] += r.input_tokens
        truth[(*key, "5m")] += r.cache_write_5m_tokens
        truth[(*key, "1h")] += r.cache_write_1h_tokens
        truth[(*key, "read")] += r.cache_read_tokens
        truth[(*key, "out")] += r.output_tokens
    assert +served_ == +truth


def test_messages_minute_buckets_split_at_the_exact_boundary(edge: tuple[World, Client]) -> None:
    _world, client = edge
    buckets = anthropic_pages(
        client,
        "/usage_report/messages",
        [
            ("starting_at", "2026-10-02T10:58:30Z"),
            ("ending_at", "2026-10-02T11:01:00Z"),
            ("bucket_width", "1m"),
            ("limit", 1),
        ],
    )
    # Snapped to the minute: 10:58, 10:59, 11:00; the 10:59:59.999999 request is in 10:59.
    assert [b["starting_at"] for b in buckets] == [
        "2026-10-02T10:58:00Z",
        "2026-10-02T10:59:00Z",
        "2026-10-02T11:00:00Z",
    ]
    assert [len(b["results"]) for b in buckets] == [0, 1, 1]


def test_cost_report_adds_up_to_the_cent(served: tuple[World, Client]) -> None:
    world, client = served
    truth_by_day: Counter[str] = Counter()
    for r in key_billed(world, "anthropic"):
        truth_by_day[rfc(utc_day(r.at))] += r.cost_usd * 100
    plain = anthropic_pages(
        client, "/cost_report", [("starting_at", rfc(world.start)), ("limit", 2)]
    )
    assert [b["starting_at"] for b in plain] == [rfc(d) for d in all_days(world)]
    served_by_day = {
        b["starting_at"]: sum((Decimal(r["amount"]) for r in b["results"]), Decimal(0))
        for b in plain
    }
    assert +Counter(served_by_day) == +truth_by_day
    detailed = anthropic_pages(
        client,
        "/cost_report",
        [
            ("starting_at", rfc(world.start)),
            ("ending_at", rfc(world.end)),
            ("limit", 3),
            ("group_by[]", "description"),
            ("group_by[]", "workspace_id"),
        ],
    )
    total = sum((Decimal(r["amount"]) for b in detailed for r in b["results"]), Decimal(0))
    assert total == sum(truth_by_day.values(), Decimal(0))
    for res in (r for b in detailed for r in b["results"]):
        assert res["description"].endswith(
            {
                "uncached_input_tokens": "Input Tokens",
                "output_tokens": "Output Tokens",
                "cache_read_input_tokens": "Cache Read Input Tokens",
                "cache_creation.ephemeral_5m_input_tokens": "Cache Write (5m) Input Tokens",
                "cache_creation.ephemeral_1h_input_tokens": "Cache Write (1h) Input Tokens",
            }[res["token_type"]]
        )


def test_openai_usage_and_costs_add_up(served: tuple[World, Client]) -> None:
    world, client = served
    start = day_ms(world.start) // 1000
    end = day_ms(world.end) // 1000
    # Mix both array encodings: group_by=x and group_by[]=y.
    buckets = openai_pages(
        client,
        "/usage/completions",
        [
            ("start_time", start),
            ("end_time", end),
            ("bucket_width", "1h"),
            ("limit", 7),
            ("group_by", "model"),
            ("group_by[]", "user_id"),
        ],
    )
    assert [b["start_time"] for b in buckets] == list(range(start, end, 3600))
    served_: Counter[tuple[bool, bool, str]] = Counter()
    for res in (r for b in buckets for r in b["results"]):
        assert res["input_tokens"] == (
            res["input_cached_tokens"]
            + res["input_cache_write_tokens"]
            + res["input_uncached_tokens"]
        )
        assert res["project_id"] is None
        # Grouped by who and what: a person's usage, or usage nobody owns (no user), whose
        # ungrouped part has no model either.
        group = (res["user_id"] is not None, res["model"] is not None)
        served_[(*group, "uncached")] += res["input_uncached_tokens"]
        served_[(*group, "write")] += res["input_cache_write_tokens"]
        served_[(*group, "read")] += res["input_cached_tokens"]
        served_[(*group, "out")] += res["output_tokens"]
        served_[(*group, "n")] += res["num_model_requests"]
    keys = {k.api_key_id for k in world.api_keys if k.vendor == "openai"}
    people = [r for s in world.sessions for r in s.requests if r.api_key_id in keys]
    truth: Counter[tuple[bool, bool, str]] = Counter()
    for group, r in [((True, True), r) for r in people] + [
        ((False, u.model_reported), r) for u, r in unassigned_requests(world, "openai_api")
    ]:
        truth[(*group, "uncached")] += r.input_tokens
        truth[(*group, "write")] += r.cache_write_5m_tokens + r.cache_write_1h_tokens
        truth[(*group, "read")] += r.cache_read_tokens
        truth[(*group, "out")] += r.output_tokens
        truth[(*group, "n")] += 1
    assert +served_ == +truth
    true_cost = sum((r.cost_usd for r in key_billed(world, "openai")), Decimal(0))
    for groups in ([], [("group_by", "line_item"), ("group_by", "api_key_id")]):
        costs = openai_pages(client, "/costs", [("start_time", start), ("limit", 2), *groups])
        total = sum(Decimal(str(r["amount"]["value"])) for b in costs for r in b["results"])
        assert abs(total - true_cost) < Decimal("0.005")


def cursor_events(client: Client, start_ms: int, end_ms: int, size: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.cursor(
            "/filtered-usage-events",
            {"startDate": start_ms, "endDate": end_ms, "page": page, "pageSize": size},
        ).json()
        out.extend(body["usageEvents"])
        assert body["pagination"]["currentPage"] == page
        if not body["pagination"]["hasNextPage"]:
            assert len(out) == body["totalUsageEventsCount"]
            return out
        page += 1


def test_cursor_day_windows_partition_the_events_exactly(served: tuple[World, Client]) -> None:
    world, client = served
    served_: list[tuple[int, str, Decimal]] = []
    for day in all_days(world):
        events = cursor_events(client, day_ms(day), day_ms(day) + 86_400_000 - 1, size=3)
        stamps = [int(e["timestamp"]) for e in events]
        assert stamps == sorted(stamps, reverse=True), "not newest first across pages"
        assert all(day_ms(day) <= t < day_ms(day) + 86_400_000 for t in stamps)
        for e in events:
            served_.append((int(e["timestamp"]), e["userEmail"], Decimal(str(e["chargedCents"]))))
            usage = e["tokenUsage"]
            rebuilt = Decimal(str(usage["totalCents"])) * (
                1 - Decimal(usage.get("discountPercentOff", 0)) / 100
            ) + Decimal(str(e.get("cursorTokenFee", 0)))
            assert abs(rebuilt - Decimal(str(e["chargedCents"]))) < Decimal("0.00001")
    people = {p.person_id: p for p in world.people}
    truth = [
        (ms(r.at), people[s.person_id].vendor_emails["cursor"], r.cost_usd * 100)
        for s, r in requests_of(world, "cursor")
    ]
    # Exact multiset equality: nothing lost, nothing twice, chargedCents / 100 == cost_usd.
    assert Counter(served_) == Counter(truth)
    # One window over everything, in big pages, gives the same events.
    everything = cursor_events(client, day_ms(world.start), day_ms(world.end) - 1, size=1000)
    assert len(everything) == len(truth)


def test_cursor_ties_in_one_millisecond_never_overlap_pages(edge: tuple[World, Client]) -> None:
    _world, client = edge
    tie = day_ms(date(2026, 10, 2)) + 8 * 3_600_000 + 123
    for size in (1, 2):
        events = cursor_events(client, tie, tie, size=size)
        # Ada: three events in two sessions; Bob: one; all in the same millisecond.
        assert len(events) == 4
        keys = [(e["userEmail"], e["conversationId"], e["chargedCents"]) for e in events]
        assert len(set(keys)) == 4
    filtered = client.cursor(
        "/filtered-usage-events",
        {"startDate": tie, "endDate": tie, "email": "bob@edge.example"},
    ).json()
    assert filtered["totalUsageEventsCount"] == 1


def test_cursor_daily_usage_and_spend_add_up(served: tuple[World, Client]) -> None:
    world, client = served
    first, last = day_ms(world.start), day_ms(world.end) - 1
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.cursor(
            "/daily-usage-data", {"startDate": first, "endDate": last, "page": page, "pageSize": 2}
        ).json()
        rows.extend(body["data"])
        if not body["pagination"]["hasNextPage"]:
            break
        page += 1
    members = client.cursor("/members", method="GET").json()["teamMembers"]
    assert len(rows) == len(members) * world.days
    assert len({(r["userId"], r["day"]) for r in rows}) == len(rows)
    pairs = requests_of(world, "cursor")
    kinds = ("agentRequests", "composerRequests", "chatRequests", "cmdkUsages")
    assert sum(r[k] for r in rows for k in kinds) == len(pairs)
    billing = ("subscriptionIncludedReqs", "usageBasedReqs")
    assert sum(r[k] for r in rows for k in billing) == len(pairs)
    assert sum(r["acceptedLinesAdded"] for r in rows) == sum(r.lines_added for _s, r in pairs)
    assert sum(r["totalAccepts"] for r in rows) == sum(r.edits_accepted for _s, r in pairs)
    active_only = client.cursor("/daily-usage-data", {"startDate": first, "endDate": last}).json()
    assert "pagination" not in active_only
    assert len(active_only["data"]) == sum(1 for r in rows if r["isActive"])

    spend = client.cursor("/spend", {"pageSize": 1000}).json()
    last_day = world.end - timedelta(days=1)
    cycle = date(last_day.year, last_day.month, 1)
    assert spend["subscriptionCycleStart"] == day_ms(cycle)
    true_cents = sum((r.cost_usd * 100 for _s, r in pairs if utc_day(r.at) >= cycle), Decimal(0))
    served_cents = sum(Decimal(str(m["overallSpendCents"])) for m in spend["teamMemberSpend"])
    assert abs(served_cents - true_cents) < Decimal("0.01")
    assert all(m["spendCents"] <= m["overallSpendCents"] for m in spend["teamMemberSpend"])


def whole_world(world: World) -> dict[str, str]:
    last = world.end - timedelta(days=1)
    return {"startDate": world.start.isoformat(), "endDate": last.isoformat()}


def ai_commits(client: Client, params: dict[str, Any]) -> dict[str, Any]:
    r = client.cursor_ai(params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_cursor_ai_code_commits_are_the_commits_of_cursor_sessions(
    tiny: tuple[World, Client],
) -> None:
    world, client = tiny
    truth = ai_code_commits(world)
    assert len(truth) > 0
    body = ai_commits(client, {**whole_world(world), "pageSize": 1000})
    published = example("cursor/analytics_ai_code_commits.json")
    assert_same_shape(body, published)
    assert list(body) == list(published)
    assert all(list(item) == list(published["items"][0]) for item in body["items"])
    assert body["items"] == truth
    assert (body["totalCount"], body["page"], body["pageSize"]) == (len(truth), 1, 1000)

    # Rebuilt here from the world: the commits a Cursor session's PR got while it ran.
    people = {p.person_id: p for p in world.people}
    prs = {(pr.repo, pr.number): pr for r in world.repositories for pr in r.pull_requests}
    expected: dict[str, str] = {}
    for s in world.sessions:
        if s.platform == "cursor" and s.pr is not None:
            for c in prs[s.pr].commits:
                if s.started_at <= c.authored_at <= s.ended_at + timedelta(minutes=5):
                    assert c.oid is not None
                    expected.setdefault(c.oid, people[s.person_id].vendor_emails["cursor"])
    assert {i["commitHash"]: i["userEmail"] for i in body["items"]} == expected

    on_branch: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for r in world.repositories:
        for pr in r.pull_requests:
            on_branch[(pr.repo, pr.head_ref)].update({c.oid: c for c in pr.commits})
    for item in body["items"]:
        commit = on_branch[(item["repoName"], item["branchName"])][item["commitHash"]]
        assert item["isPrimaryBranch"] is False
        assert item["message"] == commit.message
        assert (item["totalLinesAdded"], item["totalLinesDeleted"]) == (
            commit.additions,
            commit.deletions,
        )
        for side in ("Added", "Deleted"):
            parts = [item[f"{k}Lines{side}"] for k in ("tab", "composer", "nonAi")]
            assert min(parts) >= 0 and sum(parts) == item[f"totalLines{side}"]
        at = commit.authored_at.astimezone(UTC)
        assert (
            item["commitTs"] == at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
        )
        stamp = datetime.fromisoformat(item["commitTs"])
        assert 10 <= (datetime.fromisoformat(item["createdAt"]) - stamp).total_seconds() <= 59
    keys = [(i["commitTs"], i["commitHash"]) for i in body["items"]]
    assert keys == sorted(keys)
    assert sum(i["composerLinesAdded"] for i in truth) > 0

    # Defaults: the last 7 days up to the sandbox's now (the end of the last simulated day).
    now = datetime(world.end.year, world.end.month, world.end.day, tzinfo=UTC)
    recent = [i for i in truth if now - timedelta(days=7) <= datetime.fromisoformat(i["commitTs"])]
    assert ai_commits(client, {})["items"] == recent
    assert ai_commits(client, {"startDate": f"{world.days}d", "endDate": "now"})["items"] == truth


def test_cursor_ai_code_commits_filter_by_day_and_user_and_page(
    tiny: tuple[World, Client],
) -> None:
    world, client = tiny
    truth = ai_code_commits(world)
    served_: list[dict[str, Any]] = []
    for day in all_days(world):
        one_day = ai_commits(client, {"startDate": day.isoformat(), "endDate": day.isoformat()})
        authored = [i for i in truth if i["commitTs"].startswith(day.isoformat())]
        assert one_day["items"] == authored and one_day["totalCount"] == len(authored)
        # The same day as inclusive ISO datetimes, in both UTC spellings.
        for start, end in (
            ("T00:00:00.000Z", "T23:59:59.999Z"),
            ("T00:00:00+00:00", "T23:59:59.999+00:00"),
        ):
            window = {"startDate": f"{day}{start}", "endDate": f"{day}{end}"}
            assert ai_commits(client, window)["items"] == authored
        served_.extend(one_day["items"])
    assert served_ == truth

    pages: list[dict[str, Any]] = []
    for page in range(1, len(truth) // 2 + 3):
        body = ai_commits(client, {**whole_world(world), "page": page, "pageSize": 2})
        assert (body["totalCount"], body["page"], body["pageSize"]) == (len(truth), page, 2)
        assert len(body["items"]) == max(0, min(2, len(truth) - 2 * (page - 1)))
        pages.extend(body["items"])
    assert pages == truth

    email = truth[0]["userEmail"]
    mine = [i for i in truth if i["userEmail"] == email]
    assert 0 < len(mine) < len(truth)
    assert ai_commits(client, {**whole_world(world), "user": email})["items"] == mine
    by_id = {**whole_world(world), "user": truth[0]["userId"]}
    assert ai_commits(client, by_id)["items"] == mine
    nobody = ai_commits(client, {**whole_world(world), "user": "nobody@acme.example"})
    assert (nobody["items"], nobody["totalCount"]) == ([], 0)


def test_cursor_ai_code_tracking_is_refused_below_enterprise() -> None:
    server = SandboxServer(edge_world(), cursor_enterprise=False).start()
    try:
        client = Client(server)
        refused = client.cursor_ai({"startDate": "7d"})
        assert refused.status_code == 403
        assert "Enterprise" in refused.json()["message"]
        # The rest of the Admin API answers as before.
        assert client.cursor("/members", method="GET").status_code == 200
    finally:
        server.stop()


def test_copilot_reports_and_credits_add_up(served: tuple[World, Client]) -> None:
    world, client = served
    org = world.org
    pairs = requests_of(world, "copilot")
    logins = {p.person_id: p.github_login for p in world.people}
    for day in all_days(world):
        links = client.github(
            f"/orgs/{org}/copilot/metrics/reports/users-1-day", {"day": day}
        ).json()["download_links"]
        records = download_records(client, links)
        todays = [(s, r) for s, r in pairs if utc_day(r.at) == day]
        assert len(links) == max(1, -(-len({s.person_id for s, _r in todays}) // 2))
        assert sorted(rec["user_login"] for rec in records) == sorted(
            {logins[s.person_id] for s, _r in todays}
        )
        assert sum(rec["code_generation_activity_count"] for rec in records) == len(todays)
        credits = sum(Decimal(str(rec["ai_credits_used"])) for rec in records)
        assert credits == sum((r.ai_credits for _s, r in todays), Decimal(0))
        assert all(rec["day"] == day.isoformat() for rec in records)
    outside = client.github(
        f"/orgs/{org}/copilot/metrics/reports/users-1-day", {"day": world.end.isoformat()}
    )
    assert outside.status_code == 204 and outside.content == b""

    usage_url = f"/organizations/{org}/settings/billing/ai_credit/usage"
    months = sorted({(d.year, d.month) for d in all_days(world)})
    month_total = Decimal(0)
    for year, month in months:
        body = client.github(usage_url, {"year": year, "month": month}).json()
        month_total += sum(Decimal(str(i["netAmount"])) for i in body["usageItems"])
    day_total = Decimal(0)
    for day in all_days(world):
        body = client.github(usage_url, {"year": day.year, "month": day.month, "day": day.day})
        assert body.json()["timePeriod"] == {"year": day.year, "month": day.month, "day": day.day}
        day_total += sum(Decimal(str(i["netAmount"])) for i in body.json()["usageItems"])
    truth = sum((r.cost_usd for _s, r in pairs), Decimal(0))
    assert abs(month_total - truth) < Decimal("0.005")
    assert abs(day_total - truth) < Decimal("0.005")


def test_list_endpoints_page_without_gaps(served: tuple[World, Client]) -> None:
    world, client = served
    seats: list[dict[str, Any]] = []
    url: str | None = f"{client.url}/orgs/{world.org}/copilot/billing/seats?per_page=1"
    # The tiny world's token may not read the seat list (sandbox.reality copilot_seats_forbidden):
    # every page is refused; the edge world's pages are checked whole.
    refused = world.reality.seats_status != 200
    while url:
        r = client.http.get(url, headers={"Authorization": f"token {client.server.github_token}"})
        assert r.status_code == world.reality.seats_status
        if refused:
            break
        seats.extend(r.json()["seats"])
        url = r.links.get("next", {}).get("url")
    if not refused:
        assert sorted(s["assignee"]["login"] for s in seats) == sorted(
            p.github_login
            for p in world.people
            if p.person_id in {s.person_id for s in world.copilot_seats}
        )
        assert r.json()["total_seats"] == len(world.copilot_seats)

    for path in ("/users", "/api_keys"):
        ids: list[str] = []
        after = None
        while True:
            body = client.anthropic(path, {"limit": 1, **({"after_id": after} if after else {})})
            ids.extend(item["id"] for item in body.json()["data"])
            if not body.json()["has_more"]:
                break
            after = body.json()["last_id"]
        assert len(ids) == len(set(ids)) > 0
    assert len(ids) == sum(1 for k in world.api_keys if k.vendor == "anthropic")

    ids, after = [], None
    while True:
        body = client.openai("/users", {"limit": 1, **({"after": after} if after else {})}).json()
        ids.extend(u["id"] for u in body["data"])
        if not body["has_more"]:
            break
        after = body["last_id"]
    assert len(ids) == len(set(ids)) > 0


# --- auth and bad parameters -----------------------------------------------------------------


def test_wrong_credentials_get_401_in_each_vendors_shape(edge: tuple[World, Client]) -> None:
    world, client = edge
    url = client.url
    r = requests.get(
        f"{url}/v1/organizations/users",
        headers={"x-api-key": "sk-ant-admin01-wrong", "anthropic-version": "2023-06-01"},
    )
    assert r.status_code == 401
    assert r.json()["type"] == "error" and r.json()["error"]["type"] == "authentication_error"
    assert r.headers["request-id"] == r.json()["request_id"]
    r = requests.get(
        f"{url}/v1/organizations/users", headers={"x-api-key": client.server.anthropic_admin_key}
    )
    assert r.status_code == 400 and "anthropic-version" in r.json()["error"]["message"]

    r = requests.get(f"{url}/v1/organization/users")
    assert r.status_code == 401 and r.json()["error"]["type"] == "invalid_request_error"
    r = requests.get(f"{url}/v1/organization/users", headers={"Authorization": "Bearer sk-admin-x"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert "sk-admin-x" not in r.text[:-1] or len("sk-admin-x") < 12

    r = requests.get(f"{url}/teams/members", auth=("key_wrong", ""))
    assert r.status_code == 401 and set(r.json()) == {"error", "message"}
    wrong_password = base64.b64encode(f"{client.server.cursor_admin_key}:pw".encode()).decode()
    r = requests.get(f"{url}/teams/members", headers={"Authorization": f"Basic {wrong_password}"})
    assert r.status_code == 401
    r = requests.get(f"{url}/analytics/ai-code/commits")
    assert r.status_code == 401 and set(r.json()) == {"error", "message"}
    r = requests.get(f"{url}/analytics/ai-code/commits", auth=("key_wrong", ""))
    assert r.status_code == 401

    r = requests.get(
        f"{url}/orgs/{world.org}/copilot/billing/seats",
        headers={"Authorization": "Bearer ghp_wrong"},
    )
    assert r.status_code == 401 and r.json()["message"] == "Bad credentials"
    r = requests.post(f"{url}/graphql", json={"query": "{ viewer { login } }"})
    assert r.status_code == 401 and r.json()["message"] == "Bad credentials"
    # Signed download links need no credentials, but a forged signature is refused.
    r = requests.get(
        f"{url}/copilot-usage-reports/{world.org}/users-1-day/2026-10-01/part-1.ndjson?sig=x"
    )
    assert r.status_code == 403


@pytest.mark.parametrize(
    "call,fragment",
    [
        (
            lambda c: c.anthropic(
                "/usage_report/claude_code", {"starting_at": "2026-10-01T00:00:00Z"}
            ),
            "YYYY-MM-DD",
        ),
        (
            lambda c: c.anthropic(
                "/usage_report/claude_code", {"starting_at": "2026-10-01", "limit": 1001}
            ),
            "limit",
        ),
        (
            lambda c: c.anthropic(
                "/usage_report/claude_code", {"starting_at": "2026-10-01", "page": "bogus"}
            ),
            "page",
        ),
        (
            lambda c: c.anthropic("/usage_report/messages", {"starting_at": "yesterday"}),
            "starting_at",
        ),
        (
            lambda c: c.anthropic(
                "/usage_report/messages",
                {"starting_at": "2026-10-01T00:00:00Z", "bucket_width": "2h"},
            ),
            "bucket_width",
        ),
        (
            lambda c: c.anthropic(
                "/usage_report/messages",
                {"starting_at": "2026-10-01T00:00:00Z", "bucket_width": "1h", "limit": 169},
            ),
            "limit",
        ),
        (
            lambda c: c.anthropic(
                "/usage_report/messages",
                {"starting_at": "2026-10-01T00:00:00Z", "group_by[]": "user"},
            ),
            "group_by",
        ),
        (
            lambda c: c.anthropic(
                "/cost_report", {"starting_at": "2026-10-01T00:00:00Z", "bucket_width": "1h"}
            ),
            "bucket_width",
        ),
        (lambda c: c.openai("/usage/completions", {}), "start_time"),
        (lambda c: c.openai("/usage/completions", {"start_time": "soon"}), "start_time"),
        (lambda c: c.openai("/costs", {"start_time": 0, "limit": 181}), "limit"),
        (lambda c: c.openai("/costs", {"start_time": 0, "group_by": "model"}), "group_by"),
        (
            lambda c: c.cursor("/daily-usage-data", {"startDate": 0, "endDate": 31 * 86_400_000}),
            "30 days",
        ),
        (lambda c: c.cursor("/daily-usage-data", {"endDate": 5}), "startDate"),
        (lambda c: c.cursor("/filtered-usage-events", {"pageSize": 1001}), "pageSize"),
        (lambda c: c.cursor("/filtered-usage-events", {"startDate": "monday"}), "startDate"),
        (lambda c: c.cursor("/spend", {"sortBy": "height"}), "sortBy"),
        (lambda c: c.cursor_ai({"pageSize": 1001}), "pageSize"),
        (lambda c: c.cursor_ai({"page": 0}), "page"),
        (lambda c: c.cursor_ai({"startDate": "yesterday"}), "startDate"),
        (
            lambda c: c.cursor_ai({"startDate": "2026-10-03", "endDate": "2026-10-02"}),
            "endDate (2026-10-02) must not be before startDate (2026-10-03)",
        ),
        (
            lambda c: c.github(
                "/orgs/edgeorg/copilot/metrics/reports/users-1-day", {"day": "10/01/2026"}
            ),
            "day",
        ),
        (lambda c: c.github("/orgs/edgeorg/copilot/billing/seats", {"per_page": 101}), "per_page"),
        (
            lambda c: c.github(
                "/organizations/edgeorg/settings/billing/ai_credit/usage", {"month": 13}
            ),
            "month",
        ),
    ],
)
def test_bad_parameters_get_400_with_a_clear_message(
    edge: tuple[World, Client], call: Any, fragment: str
) -> None:
    _world, client = edge
    r = call(client)
    assert r.status_code == 400, r.text
    assert fragment in r.text


def test_unknown_org_and_paths_get_404(edge: tuple[World, Client]) -> None:
    _world, client = edge
    r = client.github("/orgs/someone-else/copilot/billing/seats")
    assert r.status_code == 404 and r.json()["message"] == "Not Found"
    r = requests.get(f"{client.url}/nothing/here")
    assert r.status_code == 404
