"""Every paginated loop of every source ends: a repeated cursor or page, or a page larger than
asked for, fails the source with one line (vendor, endpoint, what repeated or how many)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from orchestration.defs.ingest.anthropic import source as anthropic
from orchestration.defs.ingest.common import LoggedNotes
from orchestration.defs.ingest.copilot import source as copilot
from orchestration.defs.ingest.cursor import source as cursor
from orchestration.defs.ingest.github import source as github
from orchestration.defs.ingest.openai import source as openai
from orchestration.lib.http import HttpClient, PaginationError
from tests.ingest.scripted import Script, make_reply, scripted_server

DAY = date(2026, 10, 1)
SINCE = datetime(2026, 10, 1, tzinfo=UTC)
UNTIL = datetime(2026, 10, 2, tzinfo=UTC)
BUCKET = {"starting_at": "2026-10-01T00:00:00Z", "ending_at": "2026-10-02T00:00:00Z",
          "results": []}  # fmt: skip
RECORD = {"date": "2026-10-01", "actor": {"type": "user_actor", "email_address": "a@x.com"}}
EVENT = {"timestamp": "1790812800000", "model": "gpt-5", "chargedCents": 1.5}
PR = {"id": "PR_1", "number": 1, "updatedAt": "2026-10-01T12:00:00Z"}
SEAT = {"assignee": {"type": "User", "id": 1, "login": "ada"}}
IGNORED = " (the API ignores the page number)"


def _notes() -> LoggedNotes:
    return LoggedNotes(logging.getLogger("tokenworth.test"))


@pytest.fixture
def script() -> Iterator[Script]:
    with scripted_server() as served:
        yield served


def _client(script: Script, vendor: str) -> HttpClient:
    return HttpClient(
        vendor=vendor, credential_variable="KEY", base_url=script.url, sleep=lambda _s: None
    )


def _graphql(connection: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    data: dict[str, Any] = connection
    for key in reversed(path):
        data = {key: data}
    return {"data": data}


def _prs(nodes: list[dict[str, Any]], cursor: str = "Y3Vyc29yOjE=") -> dict[str, Any]:
    page = {"nodes": nodes, "pageInfo": {"hasNextPage": True, "endCursor": cursor}}
    return _graphql(page, ("repository", "pullRequests"))


Call = Callable[[HttpClient], Any]
# (vendor, the answer served to every request, the loop, the error's first words, requests)
STUCK: list[Any] = [
    pytest.param(
        "Anthropic Admin", {"data": [BUCKET], "has_more": True, "next_page": "page_X"},
        lambda c: list(anthropic._bucketed(c, "/cost_report", "cost_report", [("limit", 31)])),
        "Anthropic Admin cost_report: the API sent the same next-page cursor twice (page_X)", 2,
        id="anthropic-report-next_page",
    ),
    pytest.param(
        "Anthropic Admin", {"data": [RECORD], "has_more": True, "next_page": "page_X"},
        lambda c: list(anthropic._claude_code_records(c, [DAY])),
        "Anthropic Admin usage_report/claude_code: the API sent the same next-page cursor twice "
        "(page_X)", 2,
        id="anthropic-claude-code-next_page",
    ),
    pytest.param(
        "Anthropic Admin", {"data": [{"id": "user_1"}], "has_more": True, "last_id": "user_1"},
        lambda c: list(anthropic._listed(c, "/users", "users")),
        "Anthropic Admin users: the API sent the same next-page cursor twice (user_1)", 2,
        id="anthropic-after_id",
    ),
    pytest.param(
        "OpenAI Admin", {"data": [{"start_time": 1}], "has_more": True, "next_page": "page_Y"},
        lambda c: list(openai._buckets(c, "/costs", "costs", [("limit", 180)])),
        "OpenAI Admin costs: the API sent the same next-page cursor twice (page_Y)", 2,
        id="openai-next_page",
    ),
    pytest.param(
        "OpenAI Admin", {"data": [{"id": "user-1"}], "has_more": True, "last_id": "user-1"},
        lambda c: list(openai._users(c)),
        "OpenAI Admin users: the API sent the same next-page cursor twice (user-1)", 2,
        id="openai-after",
    ),
    pytest.param(
        "Cursor Admin",
        {"usageEvents": [EVENT], "totalUsageEventsCount": 10**9,
         "pagination": {"hasNextPage": True}},
        lambda c: cursor.fetch_events(c, DAY, DAY),
        "Cursor Admin teams/filtered-usage-events: page 2 repeats page 1" + IGNORED, 2,
        id="cursor-events-page",
    ),
    pytest.param(
        "Cursor Admin",
        {"data": [{"userId": 1, "day": "2026-10-01"}], "pagination": {"hasNextPage": True}},
        lambda c: list(cursor._daily_usage(c, [DAY])),
        "Cursor Admin teams/daily-usage-data: page 2 repeats page 1" + IGNORED, 2,
        id="cursor-daily-usage-page",
    ),
    pytest.param(
        "Cursor Admin", {"teamMemberSpend": [{"userId": "u1"}], "totalPages": 10**9},
        lambda c: list(cursor._spend(c, DAY)),
        "Cursor Admin teams/spend: page 2 repeats page 1" + IGNORED, 2,
        id="cursor-spend-page",
    ),
    pytest.param(
        "Cursor Admin",
        {"items": [{"commitHash": "a1", "commitTs": "2026-10-01T10:00:00Z"}], "totalCount": 10**9},
        lambda c: list(cursor._ai_code_commits(c, [DAY], _notes())),
        "Cursor Admin analytics/ai-code/commits: page 2 repeats page 1" + IGNORED, 2,
        id="cursor-ai-commits-page",
    ),
    pytest.param(
        "GitHub",
        _graphql({"nodes": [{"nameWithOwner": "acme/api"}],
                  "pageInfo": {"hasNextPage": True, "endCursor": "Y3Vyc29yOjE="}},
                 ("organization", "repositories")),
        lambda c: github.list_repositories(c, "acme"),
        "GitHub graphql organization: the API sent the same next-page cursor twice "
        "(Y3Vyc29yOjE=)", 2,
        id="github-repositories-endCursor",
    ),
    pytest.param(
        "GitHub", _prs([PR]),
        lambda c: list(github.PullRequestFetcher(c).pull_requests("acme/api", SINCE, UNTIL)),
        "GitHub graphql pullRequests: the API sent the same next-page cursor twice "
        "(Y3Vyc29yOjE=)", 2,
        id="github-pull-requests-endCursor",
    ),
    pytest.param(
        "GitHub", _prs([{**PR, "updatedAt": "2026-10-05T00:00:00Z"}], cursor="UDE="),
        lambda c: list(github.PullRequestFetcher(c).pull_requests("acme/api", SINCE, UNTIL)),
        "GitHub graphql scan: the API sent the same next-page cursor twice (UDE=)", 2,
        id="github-scan-endCursor",
    ),  # the first page is all newer than the window: the scan follows the same cursor
]  # fmt: skip


@pytest.mark.parametrize(("vendor", "answer", "call", "message", "requests"), STUCK)
def test_a_cursor_or_page_that_never_advances_fails_the_source(
    script: Script, vendor: str, answer: Any, call: Call, message: str, requests: int
) -> None:
    if "scan" in message:
        # The scan answers with edges (newer than the window) and the same cursor each time.
        scan = _graphql(
            {"edges": [{"cursor": "UDE=", "node": {"updatedAt": "2026-10-05T00:00:00Z"}}],
             "pageInfo": {"hasNextPage": True, "endCursor": "UDE="}},
            ("repository", "pullRequests"),
        )  # fmt: skip
        script.answer = lambda _m, _p, body: make_reply(200, scan) if b"Scan" in body else None
    script.reply(200, answer)
    with pytest.raises(PaginationError) as info:
        call(_client(script, vendor))
    assert str(info.value).startswith(message + ";"), str(info.value)
    assert len(script.paths) == requests


def test_a_link_header_that_points_back_fails_the_seats(script: Script) -> None:
    script.answer = lambda _m, _p, _b: make_reply(
        200, {"total_seats": 1, "seats": [SEAT]},
        Link=f'<{script.url}/orgs/acme/copilot/billing/seats?page=2>; rel="next"',
    )  # fmt: skip
    with pytest.raises(PaginationError) as info:
        list(copilot._seats(_client(script, "GitHub Copilot"), "acme", DAY, _notes()))
    assert str(info.value).startswith(
        "GitHub Copilot copilot/billing/seats: the API sent the same next-page cursor twice "
        f"({script.url}/orgs/acme/copilot/billing/seats?page=2);"
    )
    assert len(script.paths) == 2


def test_a_follow_up_cursor_that_never_advances_fails_naming_the_connection(
    script: Script,
) -> None:
    page = {"nodes": [{"commit": {"oid": "a1"}}],
            "pageInfo": {"hasNextPage": True, "endCursor": "QzE="}}  # fmt: skip
    script.reply(200, {"data": {"p0": {"commits": page}}})
    node = {**PR, "commits": {"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": "QzE="}}}
    fetcher = github.PullRequestFetcher(_client(script, "GitHub"))
    with pytest.raises(PaginationError) as info:
        fetcher._complete([node])
    assert str(info.value).startswith(
        "GitHub graphql follow-up (commits of pull request PR_1): the API sent the same "
        "next-page cursor twice (QzE=);"
    )
    assert len(script.paths) == 1


def test_empty_pages_announced_forever_end_the_daily_usage(script: Script) -> None:
    script.reply(200, {"data": [{"userId": 1, "day": "2026-10-01"}],
                       "pagination": {"hasNextPage": True}})  # fmt: skip
    script.reply(200, {"data": [], "pagination": {"hasNextPage": True}})
    rows = list(cursor._daily_usage(_client(script, "Cursor Admin"), [DAY]))
    assert rows == [{"userId": 1, "day": "2026-10-01"}]
    assert len(script.paths) == 2


# (vendor, answer holding one item too many, the loop, the error's first words)
HUGE: list[Any] = [
    pytest.param(
        "Anthropic Admin", {"data": [{"id": f"user_{i}"} for i in range(1001)], "has_more": False},
        lambda c: list(anthropic._listed(c, "/users", "users")),
        "Anthropic Admin users: a page holds 1,001 items, more than the 1,000 asked for",
        id="anthropic-users",
    ),
    pytest.param(
        "Anthropic Admin", {"data": [RECORD] * 1001, "has_more": False},
        lambda c: list(anthropic._claude_code_records(c, [DAY])),
        "Anthropic Admin usage_report/claude_code: a page holds 1,001 items, more than the "
        "1,000 asked for",
        id="anthropic-claude-code",
    ),
    pytest.param(
        "OpenAI Admin", {"data": [{"id": f"user-{i}"} for i in range(101)], "has_more": False},
        lambda c: list(openai._users(c)),
        "OpenAI Admin users: a page holds 101 items, more than the 100 asked for",
        id="openai-users",
    ),
    pytest.param(
        "OpenAI Admin", {"data": [{"start_time": i} for i in range(169)], "has_more": False},
        lambda c: list(openai._buckets(c, "/usage/completions", "usage/completions",
                                       [("limit", 168)])),
        "OpenAI Admin usage/completions: a page holds 169 items, more than the 168 asked for",
        id="openai-buckets",
    ),
    pytest.param(
        "Cursor Admin", {"teamMembers": [{"email": f"u{i}@x.com"} for i in range(100_001)]},
        lambda c: list(cursor._members(c)),
        "Cursor Admin teams/members: a page holds 100,001 items, more than the 100,000 any "
        "page may hold",
        id="cursor-members",
    ),
    pytest.param(
        "Cursor Admin",
        {"usageEvents": [EVENT] * 1001, "totalUsageEventsCount": 1001,
         "pagination": {"hasNextPage": False}},
        lambda c: cursor.fetch_events(c, DAY, DAY),
        "Cursor Admin teams/filtered-usage-events: a page holds 1,001 items, more than the "
        "1,000 asked for",
        id="cursor-events",
    ),
    pytest.param(
        "Cursor Admin", {"teamMemberSpend": [{"userId": f"u{i}"} for i in range(101)],
                         "totalPages": 1},
        lambda c: list(cursor._spend(c, DAY)),
        "Cursor Admin teams/spend: a page holds 101 items, more than the 100 asked for",
        id="cursor-spend",
    ),
    pytest.param(
        "GitHub", _prs([{**PR, "id": f"PR_{i}"} for i in range(51)]),
        lambda c: list(github.PullRequestFetcher(c, page_size=50).pull_requests(
            "acme/api", SINCE, UNTIL)),
        "GitHub graphql pullRequests: a page holds 51 items, more than the 50 asked for",
        id="github-pull-requests",
    ),
    pytest.param(
        "GitHub Copilot", {"total_seats": 101, "seats": [SEAT] * 101},
        lambda c: list(copilot._seats(c, "acme", DAY, _notes())),
        "GitHub Copilot copilot/billing/seats: a page holds 101 items, more than the 100 asked "
        "for",
        id="copilot-seats",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("vendor", "answer", "call", "message"), HUGE)
def test_a_page_larger_than_asked_for_fails_the_source(
    script: Script, vendor: str, answer: Any, call: Call, message: str
) -> None:
    script.reply(200, answer)
    with pytest.raises(PaginationError) as info:
        call(_client(script, vendor))
    assert str(info.value).startswith(message + ";"), str(info.value)
    assert len(script.paths) == 1
