"""The shared HTTP client against a scripted local server (no sleeping: waits are recorded)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from orchestration.lib.http import (
    ApiError,
    CredentialsError,
    HttpClient,
    MissingFieldError,
    RetryPolicy,
    require,
    safe_url,
)

Reply = tuple[int, dict[str, str], bytes]


class Script:
    """Replies served in order (the last one repeats); records request headers."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []

    def reply(self, status: int = 200, body: Any = None, **headers: str) -> None:
        raw = (
            body
            if isinstance(body, bytes)
            else json.dumps(body if body is not None else {}).encode()
        )
        self.replies.append((status, {k.replace("_", "-"): v for k, v in headers.items()}, raw))


@pytest.fixture
def served() -> Iterator[tuple[Script, str]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            script.headers.append(dict(self.headers.items()))
            script.paths.append(self.path)
            index = min(len(script.headers) - 1, len(script.replies) - 1)
            status, headers, body = script.replies[index]
            truncated = headers.get("x-truncate")
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                if k != "x-truncate":
                    self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if truncated else body)

        do_GET = _serve
        do_POST = _serve

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield script, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


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
