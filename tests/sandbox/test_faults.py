"""Fault injection: parsed strictly, decided deterministically, capped, survivable by retries."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from worlds import edge_world

from sandbox.faults import FaultPlan, FaultSpec, add_extra_fields, signature
from sandbox.server import SandboxServer

# --- parsing ---------------------------------------------------------------------------------


def test_spec_parses_kinds_that_follow_kinds_equals() -> None:
    spec = FaultSpec.parse("rate=0.1,kinds=429,500,502,reset,timeout,truncated,seed=3")
    assert spec.rate == 0.1
    assert spec.kinds == ("429", "500", "502", "reset", "timeout", "truncated")
    assert spec.seed == 3
    assert FaultSpec.parse("rate=0.5,kinds=extra,timeout_seconds=0.2").timeout_seconds == 0.2
    assert FaultSpec.parse("extra=true").extra and FaultSpec.parse("extra=true").active
    assert not FaultSpec.parse("").active and not FaultSpec.parse(None).active


@pytest.mark.parametrize(
    "spec,named",
    [
        ("rate=2", "'rate=2'"),
        ("rate=lots", "'rate=lots'"),
        ("kinds=500,explode", "'explode'"),
        ("rate=0.1,500", "'500'"),
        ("colour=red", "'colour=red'"),
        ("rate=0.1,,seed=1", "empty part"),
        ("kinds=200", "'200'"),
        ("extra=maybe", "'extra=maybe'"),
    ],
)
def test_unparseable_spec_names_the_bad_part(spec: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        FaultSpec.parse(spec)


# --- deterministic decisions -----------------------------------------------------------------


def decisions(spec: FaultSpec, signatures: list[str], attempts: int) -> list[str | None]:
    plan = FaultPlan(spec)
    return [plan.next(sig) for sig in signatures for _ in range(attempts)]


def test_same_signature_sequence_gives_the_same_faults() -> None:
    spec = FaultSpec.parse("rate=0.4,seed=9")
    sigs = [signature("GET", f"/p/{i}", {"a": [str(i)]}, b"") for i in range(50)]
    assert decisions(spec, sigs, 4) == decisions(spec, sigs, 4)
    assert decisions(spec, sigs, 4) != decisions(FaultSpec.parse("rate=0.4,seed=10"), sigs, 4)
    # Interleaving other signatures does not change a signature's own sequence.
    plan = FaultPlan(spec)
    interleaved = []
    for _ in range(4):
        interleaved.append(plan.next(sigs[0]))
        plan.next(sigs[1])
    assert interleaved == decisions(spec, [sigs[0]], 4)


def test_query_order_does_not_change_the_signature() -> None:
    one = signature("GET", "/x", {"b": ["2"], "a": ["1"]}, b"")
    two = signature("GET", "/x", {"a": ["1"], "b": ["2"]}, b"")
    assert one == two != signature("GET", "/x", {"a": ["1"]}, b"")


def test_never_more_than_two_consecutive_faults_per_signature() -> None:
    plan = FaultPlan(FaultSpec.parse("rate=0.95,kinds=500,reset,seed=1"))
    for i in range(200):
        sig = f"sig-{i}"
        run = 0
        for _ in range(30):
            kind = plan.next(sig)
            run = run + 1 if kind else 0
            assert run <= 2
    assert plan.raw("sig-0", 0) is not None  # the cap, not the dice, let requests through


def test_extra_fields_go_on_records_not_into_maps() -> None:
    body = {"data": [{"a": 1, "tool_actions": {"edit_tool": {"accepted": 1}}}], "has_more": False}
    out = add_extra_fields(body, 7)
    assert set(out) - set(body) and set(out["data"][0]) - set(body["data"][0])
    assert out["data"][0]["tool_actions"] == body["data"][0]["tool_actions"]


# --- over HTTP ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world() -> Any:
    return edge_world()


def serve(world: Any, **kwargs: Any) -> SandboxServer:
    return SandboxServer(world, rate_limit_scale=1000, **kwargs).start()


@pytest.fixture
def clean(world: Any) -> Iterator[SandboxServer]:
    server = serve(world)
    yield server
    server.stop()


def calls(server: SandboxServer, world: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """A spread of requests over every vendor: (method, url, requests kwargs)."""
    a = {"x-api-key": server.anthropic_admin_key, "anthropic-version": "2023-06-01"}
    o = {"Authorization": f"Bearer {server.openai_admin_key}"}
    g = {"Authorization": f"Bearer {server.github_token}"}
    c = (server.cursor_admin_key, "")
    u = server.url
    out: list[tuple[str, str, dict[str, Any]]] = []
    for day in ("2026-10-01", "2026-10-02", "2026-10-03"):
        out.append(
            (
                "GET",
                f"{u}/v1/organizations/usage_report/claude_code",
                {"headers": a, "params": {"starting_at": day, "limit": 1}},
            )
        )
        out.append(
            (
                "GET",
                f"{u}/orgs/{world.org}/copilot/metrics/reports/users-1-day",
                {"headers": g, "params": {"day": day}},
            )
        )
    for hour in range(0, 72, 6):
        start = 1790812800 + hour * 3600
        iso = datetime.fromtimestamp(start, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(
            (
                "GET",
                f"{u}/v1/organization/usage/completions",
                {
                    "headers": o,
                    "params": {
                        "start_time": start,
                        "bucket_width": "1h",
                        "limit": 6,
                        "group_by": "model",
                    },
                },
            )
        )
        out.append(
            (
                "GET",
                f"{u}/v1/organizations/usage_report/messages",
                {"headers": a, "params": {"starting_at": iso, "bucket_width": "1h"}},
            )
        )
    events = {"startDate": 1790812800000, "endDate": 1791071999999, "pageSize": 4}
    out.extend(
        ("POST", f"{u}/teams/filtered-usage-events", {"auth": c, "json": {**events, "page": n}})
        for n in range(1, 8)
    )
    out.append(
        (
            "GET",
            f"{u}/v1/organizations/cost_report",
            {
                "headers": a,
                "params": {"starting_at": "2026-10-01T00:00:00Z", "group_by[]": "description"},
            },
        )
    )
    out.append(("GET", f"{u}/orgs/{world.org}/copilot/billing/seats", {"headers": g}))
    return out


def fetch_with_retries(
    session: requests.Session, method: str, url: str, kwargs: dict[str, Any], attempts: int = 3
) -> tuple[bytes, int]:
    """A tiny retrying client: retries 429/5xx, resets, short reads and its own timeouts."""
    failures = 0
    for _ in range(attempts):
        try:
            r = session.request(method, url, timeout=0.5, **kwargs)
            if r.status_code == 429 or r.status_code >= 500:
                failures += 1
                continue
            return r.content, failures
        except requests.RequestException:
            failures += 1
    raise AssertionError(f"{method} {url} still failing after {attempts} attempts")


def normalise(content: bytes, url: str) -> bytes:
    # Copilot download links name the server's port, which differs between the two servers.
    return content.replace(url.encode(), b"http://sandbox")


def test_retrying_client_gets_identical_bytes_through_faults(world: Any) -> None:
    clean = serve(world)
    faulty = serve(world, faults="rate=0.3,seed=5", fault_timeout_seconds=1.0)
    try:
        failures = 0
        for (method, url, kwargs), (_m, furl, fkwargs) in zip(
            calls(clean, world), calls(faulty, world), strict=True
        ):
            expected = requests.request(method, url, timeout=5, **kwargs)
            assert expected.status_code == 200, expected.text
            got, failed = fetch_with_retries(requests.Session(), method, furl, fkwargs)
            failures += failed
            assert normalise(got, faulty.url) == normalise(expected.content, clean.url), url
        stats = faulty.stats()
        assert failures > 0 and sum(stats["faults"].values()) >= failures
        assert set(stats["faults"]) <= {"429", "500", "502", "reset", "timeout", "truncated"}
    finally:
        clean.stop()
        faulty.stop()


def anthropic_users(server: SandboxServer) -> requests.Response:
    return requests.get(
        f"{server.url}/v1/organizations/users",
        headers={"x-api-key": server.anthropic_admin_key, "anthropic-version": "2023-06-01"},
        timeout=5,
    )


def test_status_faults_use_the_vendor_envelope_and_stop_after_two(world: Any) -> None:
    server = serve(world, faults="rate=1,kinds=429")
    try:
        first, second, third = (anthropic_users(server) for _ in range(3))
        for r in (first, second):
            assert r.status_code == 429 and r.headers["Retry-After"] == "1"
            assert r.json()["error"]["type"] == "rate_limit_error" and r.headers["request-id"]
        assert third.status_code == 200
        # The cap resets after a success: the next two attempts fail again.
        assert anthropic_users(server).status_code == 429
    finally:
        server.stop()


def test_a_long_retry_after_is_asked_for_when_configured(world: Any) -> None:
    assert FaultSpec.parse("rate=1,kinds=429,retry_after=86400").retry_after == 86400
    server = serve(world, faults="rate=1,kinds=429,retry_after=86400")
    try:
        assert anthropic_users(server).headers["Retry-After"] == "86400"
    finally:
        server.stop()


def test_leak_quotes_the_credential_in_a_400(world: Any) -> None:
    server = serve(world, faults="rate=1,kinds=leak")
    try:
        r = anthropic_users(server)
        assert r.status_code == 400
        assert r.json()["error"]["message"] == (
            f"sandbox fault injection: invalid request for credential {server.anthropic_admin_key}"
        )
        assert server.stats()["faults"] == {"leak": 1}
    finally:
        server.stop()


def test_reset_closes_the_connection_without_an_answer(world: Any) -> None:
    server = serve(world, faults="rate=1,kinds=reset")
    try:
        with pytest.raises(requests.ConnectionError):
            anthropic_users(server)
        assert server.stats()["faults"] == {"reset": 1}
    finally:
        server.stop()


def test_truncated_body_is_shorter_than_its_content_length(world: Any) -> None:
    server = serve(world, faults="rate=1,kinds=truncated")
    try:
        host, port = server.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("GET", "/teams/members", headers={"Authorization": "Basic eDo="})
        response = conn.getresponse()
        with pytest.raises(http.client.IncompleteRead):
            response.read()
        conn.close()
    finally:
        server.stop()


def test_timeout_fault_delays_then_answers(world: Any) -> None:
    server = serve(world, faults="rate=1,kinds=timeout", fault_timeout_seconds=0.4)
    try:
        started = time.monotonic()
        r = anthropic_users(server)
        assert r.status_code == 200
        assert time.monotonic() - started >= 0.4
        with pytest.raises(requests.Timeout):
            requests.get(
                f"{server.url}/v1/organizations/users",
                timeout=0.1,
                headers={"x-api-key": "x", "anthropic-version": "1"},
            )
    finally:
        server.stop()


def test_extra_fields_keep_the_data_and_add_unknown_keys(world: Any, clean: SandboxServer) -> None:
    server = serve(world, faults="extra=true")
    try:
        plain, drifted = anthropic_users(clean).json(), anthropic_users(server).json()
        extras = set(drifted) - set(plain)
        assert extras
        assert {k: v for k, v in drifted.items() if k not in extras} == {
            **plain,
            "data": drifted["data"],
        }
        for old, new in zip(plain["data"], drifted["data"], strict=True):
            assert {k: v for k, v in new.items() if k in old} == old and set(new) - set(old)
        links = requests.get(
            f"{server.url}/orgs/{world.org}/copilot/metrics/reports/users-1-day",
            params={"day": "2026-10-02"},
            headers={"Authorization": f"token {server.github_token}"},
            timeout=5,
        ).json()["download_links"]
        lines = requests.get(links[0], timeout=5).text.splitlines()
        assert lines and all("sandbox_extra_object" in json.loads(line) for line in lines)
    finally:
        server.stop()
