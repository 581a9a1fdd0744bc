"""The server around the vendors: lifecycle, exports, statistics, rate limits, GraphQL route."""

from __future__ import annotations

import shlex
import socket
import time
from typing import Any

import pytest
import requests
from worlds import api_example, edge_world

from sandbox.generate import build_world
from sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def world() -> Any:
    return edge_world()


def cursor_daily(server: SandboxServer) -> requests.Response:
    return requests.post(
        f"{server.url}/teams/daily-usage-data",
        json={"startDate": 1790812800000, "endDate": 1790899199999},
        auth=(server.cursor_admin_key, ""),
        timeout=5,
    )


def test_starts_on_a_free_port_and_frees_it_on_stop(world: Any) -> None:
    with SandboxServer(world) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert requests.get(f"{server.url}/_sandbox/health", timeout=5).json()["status"] == "ok"
        port = int(server.url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # would raise if the server still held the port


def test_keys_are_deterministic_from_the_seed_and_distinctive(world: Any) -> None:
    one, two = SandboxServer(world), SandboxServer(world)
    try:
        assert one.anthropic_admin_key == two.anthropic_admin_key
        assert one.anthropic_admin_key.startswith("sk-ant-admin01-")
        assert one.openai_admin_key.startswith("sk-admin-")
        assert one.cursor_admin_key.startswith("key_")
        assert one.github_token.startswith("ghp_")
        other = SandboxServer(edge_world(seed=4))
        assert other.github_token != one.github_token
        other.stop()
    finally:
        one.stop()
        two.stop()


def test_exports_point_every_source_at_the_server(world: Any) -> None:
    with SandboxServer(world) as server:
        lines = server.exports("file:///tmp/repos/{repo}.git")
        values = dict(shlex.split(line)[1].split("=", 1) for line in lines)
        assert all(line.startswith("export ") for line in lines)
        for name in (
            "TOKENWORTH_ANTHROPIC_BASE_URL",
            "TOKENWORTH_OPENAI_BASE_URL",
            "TOKENWORTH_CURSOR_BASE_URL",
            "TOKENWORTH_GITHUB_API_URL",
        ):
            assert values[name] == server.url
        assert values["ANTHROPIC_ADMIN_API_KEY"] == server.anthropic_admin_key
        assert values["OPENAI_ADMIN_API_KEY"] == server.openai_admin_key
        assert values["CURSOR_ADMIN_API_KEY"] == server.cursor_admin_key
        assert values["GITHUB_TOKEN"] == server.github_token
        assert values["TOKENWORTH_GITHUB_ORG"] == world.org
        assert values["TOKENWORTH_GIT_CLONE_URL"] == "file:///tmp/repos/{repo}.git"
        assert "TOKENWORTH_GIT_CLONE_URL" not in "".join(server.exports())


def test_stats_count_requests_per_endpoint_and_reset(world: Any) -> None:
    with SandboxServer(world, rate_limit_scale=1000) as server:
        for _ in range(3):
            cursor_daily(server)
        requests.get(f"{server.url}/teams/members", timeout=5)  # unauthenticated: 401
        stats = requests.get(f"{server.url}/_sandbox/stats", timeout=5).json()
        assert stats["endpoints"] == {"POST /teams/daily-usage-data": 3, "GET /teams/members": 1}
        assert stats["statuses"]["GET /teams/members"] == {"401": 1}
        assert stats["total"] == 4
        assert requests.post(f"{server.url}/_sandbox/stats/reset", timeout=5).status_code == 200
        assert requests.get(f"{server.url}/_sandbox/stats", timeout=5).json()["total"] == 0


def test_cursor_rate_limit_answers_429_with_the_documented_body(world: Any) -> None:
    documented = api_example("cursor/rate_limit_error.json")
    # 20 a minute x 0.1 = 2 a minute for daily-usage-data; other endpoints keep their own count.
    with SandboxServer(world, rate_limit_scale=0.1) as server:
        assert [cursor_daily(server).status_code for _ in range(2)] == [200, 200]
        limited = cursor_daily(server)
        assert limited.status_code == 429
        assert limited.json() == documented
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        members = requests.get(
            f"{server.url}/teams/members", auth=(server.cursor_admin_key, ""), timeout=5
        )
        assert members.status_code == 200


def test_github_rest_carries_rate_limit_headers_and_enforces_the_budget(world: Any) -> None:
    with SandboxServer(world, rate_limit_scale=2 / 5000) as server:
        url = f"{server.url}/orgs/{world.org}/copilot/billing/seats"
        headers = {"Authorization": f"Bearer {server.github_token}"}
        first = requests.get(url, headers=headers, timeout=5)
        assert first.headers["x-ratelimit-limit"] == "2"
        assert first.headers["x-ratelimit-remaining"] == "1"
        assert first.headers["x-ratelimit-used"] == "1"
        assert first.headers["x-ratelimit-resource"] == "core"
        assert int(first.headers["x-ratelimit-reset"]) > time.time()
        requests.get(url, headers=headers, timeout=5)
        third = requests.get(url, headers=headers, timeout=5)
        assert third.status_code == 403 and third.headers["x-ratelimit-remaining"] == "0"
        assert "rate limit" in third.json()["message"]


def test_graphql_is_routed_behind_the_token(world: Any) -> None:
    tiny = build_world("tiny")
    with SandboxServer(tiny) as server:
        query = {"query": "query { rateLimit { cost limit remaining } }"}
        denied = requests.post(f"{server.url}/graphql", json=query, timeout=10)
        assert denied.status_code == 401
        r = requests.post(
            f"{server.url}/graphql",
            json=query,
            headers={"Authorization": f"bearer {server.github_token}"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        assert "data" in r.json() or "errors" in r.json()
        assert r.headers["x-ratelimit-resource"] == "graphql"
        bad = requests.post(
            f"{server.url}/graphql",
            data=b"{not json",
            headers={"Authorization": f"bearer {server.github_token}"},
            timeout=10,
        )
        assert bad.status_code == 400 and bad.json()["message"] == "Problems parsing JSON"
