"""The shared HTTP client against a scripted local server (no sleeping: waits are recorded)."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from orchestration.lib.http import (
    ApiError,
    ConfigurationError,
    CredentialsError,
    DeadlineError,
    HttpClient,
    MissingFieldError,
    PaginationError,
    RetryPolicy,
    WaitLimitError,
    require,
    safe_url,
)
from tests.ingest.scripted import Script, make_reply, scripted_server


@pytest.fixture
def served() -> Iterator[tuple[Script, str]]:
    with scripted_server() as script:
        yield script, script.url


def _client(url: str, waits: list[float], **kw: Any) -> HttpClient:
    return HttpClient(
        vendor="Cursor Admin",
        credential_variable="CURSOR_ADMIN_API_KEY",
        base_url=url,
        auth=("key_secret", ""),
        timeout_seconds=2,
        sleep=waits.append,
        **kw,
    )


def test_retry_after_is_honoured(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(429, {"error": "Too Many Requests"}, Retry_After="7")
    script.reply(503)
    script.reply(200, {"ok": 1})
    waits: list[float] = []
    assert _client(url, waits).get_json("/x", endpoint="x") == {"ok": 1}
    assert waits[0] == 7.0
    assert len(waits) == 2  # the 503 used exponential backoff


def test_truncated_body_is_retried(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(200, {"data": list(range(50))}, x_truncate="1")
    script.reply(200, {"data": [1]})
    waits: list[float] = []
    assert _client(url, waits).get_json("/x", endpoint="x") == {"data": [1]}
    assert len(waits) == 1


def test_401_names_vendor_and_variable_without_secret(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(401, {"error": "Unauthorized", "message": "Invalid API key"})
    with pytest.raises(CredentialsError) as info:
        _client(url, []).post_json("/teams/members", endpoint="teams/members", body={})
    message = str(info.value)
    assert "Cursor Admin" in message and "HTTP 401" in message and "CURSOR_ADMIN_API_KEY" in message
    assert "key_secret" not in message
    assert script.headers[0]["Authorization"].startswith("Basic ")


def test_retries_are_bounded(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(500)
    waits: list[float] = []
    with pytest.raises(ApiError, match="giving up after 3 attempts"):
        _client(url, waits, policy=RetryPolicy(max_attempts=3)).get_json("/x", endpoint="x")
    assert len(waits) == 2


def test_400_is_permanent_with_vendor_message(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(400, {"error": {"type": "invalid_request_error", "message": "limit too big"}})
    with pytest.raises(ApiError, match="limit too big"):
        _client(url, []).get_json("/x", endpoint="x")
    assert len(script.headers) == 1


def test_github_primary_limit_waits_for_reset(served: tuple[Script, str]) -> None:
    script, url = served
    reset = str(int(time.time()) + 30)
    script.reply(403, {"message": "API rate limit exceeded"}, x_ratelimit_remaining="0",
                 x_ratelimit_reset=reset)  # fmt: skip
    script.reply(200, {"data": {"ok": True}})
    waits: list[float] = []
    client = _client(url, waits, github_rate_limits=True)
    assert client.graphql("{ ok }", {}, endpoint="graphql") == {"ok": True}
    assert 25 <= waits[0] <= 32


def test_github_secondary_limit_without_headers_waits_a_minute(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(403, {"message": "You have exceeded a secondary rate limit."})
    script.reply(200, {"data": {"ok": True}})
    waits: list[float] = []
    _client(url, waits, github_rate_limits=True).graphql("{ ok }", {}, endpoint="graphql")
    assert waits == [60.0]


def test_graphql_rate_limited_error_in_200(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(200, {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
                 retry_after="3")  # fmt: skip
    script.reply(200, {"data": {"ok": True}})
    waits: list[float] = []
    _client(url, waits, github_rate_limits=True).graphql("{ ok }", {}, endpoint="graphql")
    assert waits == [3.0]


def test_link_header_pagination(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(
        200, {"seats": [1]}, Link=f'<{url}/seats?page=2>; rel="next", <{url}/x>; rel="last"'
    )
    script.reply(200, {"seats": [2]})
    pages = list(_client(url, []).paginate_link_header("/seats", endpoint="seats"))
    assert [p["seats"] for p in pages] == [[1], [2]]
    assert script.paths[1] == "/seats?page=2"


def test_unauthenticated_download_has_no_credentials(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(200, b'{"a": 1}\n{"a": 2}\n')
    _, _, rows = _client(url, []).request(
        "GET", f"{url}/file.ndjson?sig=abc", endpoint="dl", parse="ndjson", authenticated=False
    )
    assert rows == [{"a": 1}, {"a": 2}]
    assert "Authorization" not in script.headers[0]


def test_require_and_safe_url() -> None:
    with pytest.raises(MissingFieldError) as info:
        require({"a": 1}, "timestamp", "Cursor Admin", "teams/filtered-usage-events")
    assert str(info.value).startswith(
        "Cursor Admin teams/filtered-usage-events: required field 'timestamp' is missing"
    )
    assert safe_url("https://u:p@host:8443/a/b?sig=secret") == "https://host:8443/a/b"


# -- credentials stay with their origin ----------------------------------------------------------

ANTHROPIC_KEY = "sk-ant-admin01-" + "A1b2C3d4e5" * 8 + "-AA"
OPENAI_KEY = "sk-admin-" + "Z9y8X7w6v5" * 5
CURSOR_KEY = "key_" + "0f1e2d3c4b" * 6
GITHUB_TOKEN = "ghp_" + "Q1w2E3r4T5" * 3 + "y6u7i8"
VENDORS = {
    "anthropic": ("Anthropic Admin", ANTHROPIC_KEY),
    "openai": ("OpenAI Admin", OPENAI_KEY),
    "cursor": ("Cursor Admin", CURSOR_KEY),
    "github": ("GitHub", GITHUB_TOKEN),
}


def _vendor_client(kind: str, url: str, waits: list[float] | None = None, **kw: Any) -> HttpClient:
    """A client authenticated as the real resource builds it (custom header, Bearer, Basic)."""
    vendor, key = VENDORS[kind]
    auth: dict[str, Any] = {
        "anthropic": {"headers": {"x-api-key": key, "anthropic-version": "2023-06-01"}},
        "openai": {"headers": {"Authorization": f"Bearer {key}"}},
        "cursor": {"auth": (key, "")},
        "github": {"headers": {"Authorization": f"Bearer {key}"}, "github_rate_limits": True},
    }[kind]
    return HttpClient(
        vendor=vendor,
        credential_variable=f"{kind.upper()}_KEY",
        base_url=url,
        timeout_seconds=5,
        sleep=(waits if waits is not None else []).append,
        **auth,
        **kw,
    )


def _forms(kind: str) -> list[str]:
    """Every form the credential of ``kind`` travels in."""
    key = VENDORS[kind][1]
    return [key, base64.b64encode(f"{key}:".encode()).decode()] if kind == "cursor" else [key]


def _leaks(secret: str, text: str) -> bool:
    """True if any 16 consecutive characters of ``secret`` appear in ``text`` (a cut-off key
    leaks as surely as a whole one)."""
    return any(secret[i : i + 16] in text for i in range(len(secret) - 15))


@pytest.mark.parametrize("kind", sorted(VENDORS))
@pytest.mark.parametrize("status", [302, 307])
def test_credentials_never_follow_a_redirect_to_another_origin(kind: str, status: int) -> None:
    with scripted_server() as api, scripted_server() as other:
        api.reply(status, {}, Location=f"{other.url}/collect?sig=abc123")
        other.reply(200, {"data": []})
        with pytest.raises(ApiError) as info:
            _vendor_client(kind, api.url).get_json("/v1/organizations/users", endpoint="users")
        # The other server was never asked anything, so it never saw the credential.
        assert other.paths == []
        assert len(api.paths) == 1
    message = str(info.value)
    assert message.startswith(f"{VENDORS[kind][0]} users: refused a redirect to another origin")
    assert f"({other.url})" in message
    assert "collect" not in message and "sig" not in message


def test_a_same_origin_redirect_is_followed_with_the_credential() -> None:
    with scripted_server() as api:
        api.answer = lambda _m, path, _b: (
            make_reply(307, {}, Location="/v2/users") if path.startswith("/v1/") else None
        )
        api.reply(200, {"ok": 1})
        assert _vendor_client("anthropic", api.url).get_json("/v1/users", endpoint="u") == {"ok": 1}
    assert api.paths == ["/v1/users", "/v2/users"]
    assert api.headers[1]["x-api-key"] == ANTHROPIC_KEY


def test_a_signed_download_follows_redirects_without_credentials() -> None:
    with scripted_server() as api, scripted_server() as storage:
        api.reply(302, {}, Location=f"{storage.url}/blob.ndjson?sig=1")
        storage.reply(200, b'{"a": 1}\n{"a": 2}\n')
        _, _, rows = _vendor_client("github", api.url).request(
            "GET", f"{api.url}/report.ndjson?sig=0", endpoint="download", parse="ndjson",
            authenticated=False,
        )  # fmt: skip
    assert rows == [{"a": 1}, {"a": 2}]
    assert "Authorization" not in api.headers[0] and "Authorization" not in storage.headers[0]


@pytest.mark.parametrize(
    "url",
    ["https://api.anthropic.com", "http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"],
)
def test_https_and_loopback_base_urls_are_accepted(url: str) -> None:
    HttpClient(vendor="Anthropic Admin", credential_variable="K", base_url=url).close()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://api.example.com", "http://api.example.com"),
        ("http://user:pw@10.0.0.7:8080/v1?token=x", "http://10.0.0.7:8080/v1"),
        ("http://127.0.0.1.example.com", "http://127.0.0.1.example.com"),
        ("ftp://api.example.com", "ftp://api.example.com"),
        ("api.example.com", "api.example.com"),
    ],
)
def test_a_plain_http_base_url_is_refused_naming_the_variable(url: str, shown: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        HttpClient(
            vendor="Anthropic Admin",
            credential_variable="ANTHROPIC_ADMIN_API_KEY",
            base_url=url,
            base_url_variable="TOKENWORTH_ANTHROPIC_BASE_URL",
        )
    assert str(info.value) == (
        f"TOKENWORTH_ANTHROPIC_BASE_URL must use https:// (http:// only for loopback); got {shown}"
    )


def test_every_resource_checks_its_base_url_variable() -> None:
    from orchestration.defs import resources

    for resource, variable in [
        (resources.AnthropicAdminResource, "TOKENWORTH_ANTHROPIC_BASE_URL"),
        (resources.OpenAIAdminResource, "TOKENWORTH_OPENAI_BASE_URL"),
        (resources.CursorAdminResource, "TOKENWORTH_CURSOR_BASE_URL"),
        (resources.GitHubResource, "TOKENWORTH_GITHUB_API_URL"),
    ]:
        configured = resource(base_url="http://api.example.com")
        with pytest.raises(ConfigurationError, match=f"^{variable} must use https://"):
            configured.client(logging.getLogger("test"))


# -- secrets never reach a message --------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(VENDORS))
def test_an_error_body_quoting_the_credential_is_redacted(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    forms = _forms(kind)
    quoted = " and ".join(f"Authorization: Basic {f}" if f != forms[0] else f for f in forms)
    with scripted_server() as api:
        # Retried first (a 503 quoting the key), then refused with a 400 whose key straddles
        # the point where the message is cut short.
        api.reply(503, {"error": {"message": f"overloaded, key {forms[0]}"}})
        api.reply(400, {"error": {"message": "x" * 170 + f" invalid key {quoted}"}})
        with pytest.raises(ApiError) as info:
            _vendor_client(kind, api.url).get_json("/x", endpoint="x")
    message = str(info.value)
    assert message.startswith(f"{VENDORS[kind][0]} x: HTTP 400 (xxx")
    for form in forms:
        assert not _leaks(form, message), message
        assert not _leaks(form, caplog.text), caplog.text


def test_graphql_errors_quoting_the_token_are_redacted() -> None:
    with scripted_server() as api:
        api.reply(200, {"errors": [{"message": f"Bad credentials: Bearer {GITHUB_TOKEN}"}]})
        with pytest.raises(ApiError) as info:
            _vendor_client("github", api.url).graphql("{ ok }", {}, endpoint="graphql")
    assert str(info.value) == "GitHub graphql: GraphQL errors: Bad credentials: [redacted]"


# -- waiting is bounded -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "asked"),
    [
        ({"Retry_After": "86400"}, "Retry-After: 86400"),
        ({"Retry_After": "Wed, 21 Oct 2099 07:28:00 GMT"}, "Retry-After: Wed, 21 Oct 2099"),
    ],
)
def test_a_retry_after_beyond_the_cap_fails_at_once(
    served: tuple[Script, str], headers: dict[str, str], asked: str
) -> None:
    script, url = served
    script.reply(429, {"error": "Too Many Requests"}, **headers)
    waits: list[float] = []
    with pytest.raises(WaitLimitError) as info:
        _client(url, waits).get_json("/x", endpoint="x")
    assert waits == [] and len(script.paths) == 1
    message = str(info.value)
    assert message.startswith("Cursor Admin x: HTTP 429 (" + asked)
    assert "more than the 3900s a single wait may take" in message


def test_a_github_reset_beyond_the_cap_fails_at_once(served: tuple[Script, str]) -> None:
    script, url = served
    reset = str(int(time.time()) + 20_000)
    script.reply(403, {"message": "API rate limit exceeded"}, x_ratelimit_remaining="0",
                 x_ratelimit_reset=reset)  # fmt: skip
    waits: list[float] = []
    with pytest.raises(WaitLimitError, match=r"^Cursor Admin graphql: HTTP 403 rate limited"):
        _client(url, waits, github_rate_limits=True).graphql("{ ok }", {}, endpoint="graphql")
    assert waits == []


def test_a_graphql_rate_limit_beyond_the_cap_fails_at_once(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(200, {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
                 retry_after="86400")  # fmt: skip
    waits: list[float] = []
    with pytest.raises(WaitLimitError, match="GraphQL rate limited"):
        _client(url, waits, github_rate_limits=True).graphql("{ ok }", {}, endpoint="graphql")
    assert waits == []


def test_total_waiting_is_capped_across_clones(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(429, {}, Retry_After="6")
    waits: list[float] = []
    client = _client(url, waits, policy=RetryPolicy(max_total_wait_seconds=10))
    with pytest.raises(WaitLimitError) as info:
        client.clone().get_json("/x", endpoint="x")
    assert waits == [6.0]
    assert str(info.value).startswith(
        "Cursor Admin x: HTTP 429 (Retry-After: 6) asks for a 6s wait, but this source has "
        "waited 6s already and may wait 10s in all"
    )
    with pytest.raises(WaitLimitError):  # the budget is the client's, clones included
        client.get_json("/y", endpoint="y")
    assert waits == [6.0]


def test_a_passed_run_deadline_stops_before_any_request(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(200, {"ok": 1})
    with pytest.raises(DeadlineError) as info:
        _client(url, [], deadline=time.monotonic() - 1).get_json("/x", endpoint="x")
    assert str(info.value) == "Cursor Admin x: run deadline reached before the request"
    assert script.paths == []


def test_a_wait_past_the_run_deadline_fails_at_once(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(429, {}, Retry_After="120")
    waits: list[float] = []
    with pytest.raises(DeadlineError) as info:
        _client(url, waits, deadline=time.monotonic() + 60).get_json("/x", endpoint="x")
    assert str(info.value) == (
        "Cursor Admin x: run deadline reached before waiting 120s (HTTP 429 (Retry-After: 120))"
    )
    assert waits == []


def test_a_request_is_cut_short_at_the_run_deadline(served: tuple[Script, str]) -> None:
    script, url = served

    def slow(_method: str, _path: str, _body: bytes) -> None:
        time.sleep(3)  # longer than the deadline leaves, shorter than the request timeout

    script.answer = slow
    script.reply(200, {"ok": 1})
    client = _client(url, [], deadline=time.monotonic() + 0.5)
    with pytest.raises(DeadlineError, match=r"^Cursor Admin x: run deadline reached during"):
        client.get_json("/x", endpoint="x")
    assert len(script.paths) == 1


# -- pagination ends ----------------------------------------------------------------------------


def test_a_link_header_pointing_back_fails_naming_the_url(served: tuple[Script, str]) -> None:
    script, url = served
    script.reply(200, {"seats": [1]}, Link=f'<{url}/seats?page=2>; rel="next"')
    pages = _client(url, []).paginate_link_header("/seats", endpoint="seats", items_key="seats")
    with pytest.raises(PaginationError) as info:
        list(pages)
    assert str(info.value).startswith(
        f"Cursor Admin seats: the API sent the same next-page cursor twice ({url}/seats?page=2)"
    )
    assert script.paths == ["/seats", "/seats?page=2"]


def test_a_page_larger_than_asked_for_is_refused(served: tuple[Script, str]) -> None:
    client = _client(served[1], [])
    client.pages("users", limit=3).received([1, 2, 3])
    with pytest.raises(PaginationError) as info:
        client.pages("users", limit=3).received([1, 2, 3, 4])
    assert str(info.value).startswith(
        "Cursor Admin users: a page holds 4 items, more than the 3 asked for"
    )
    with pytest.raises(PaginationError, match="more than the 100,000 any page may hold"):
        client.pages("members").received([0] * 100_001)
