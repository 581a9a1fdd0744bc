"""A tiny scripted HTTP server on loopback: replies served in order, requests recorded."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, str], bytes]


class Script:
    """Replies served in order (the last one repeats); records each request.

    ``answer`` (optional) computes a reply from the request instead: ``(method, path, body)``
    → reply, or None to fall back to the scripted replies. After ``max_requests`` requests every
    answer is a 400, so a client that would loop forever fails instead of hanging the test.
    """

    max_requests = 50

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.bodies: list[bytes] = []
        self.answer: Callable[[str, str, bytes], Reply | None] | None = None
        self.url = ""

    def reply(self, status: int = 200, body: Any = None, **headers: str) -> None:
        self.replies.append(make_reply(status, body, **headers))


def make_reply(status: int = 200, body: Any = None, **headers: str) -> Reply:
    """A reply; header names are given with ``_`` for ``-`` (``Retry_After``)."""
    raw = body if isinstance(body, bytes) else json.dumps(body if body is not None else {}).encode()
    return status, {k.replace("_", "-"): v for k, v in headers.items()}, raw


@contextmanager
def scripted_server() -> Iterator[Script]:
    """Serve a :class:`Script` on a free loopback port until the block ends."""
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.headers.append(dict(self.headers.items()))
            script.paths.append(self.path)
            script.bodies.append(body)
            reply = script.answer(self.command, self.path, body) if script.answer else None
            if len(script.paths) > script.max_requests:
                message = f"scripted server: more than {script.max_requests} requests"
                reply = make_reply(400, {"error": {"message": message}})
            if reply is None:
                index = min(len(script.headers) - 1, len(script.replies) - 1)
                reply = script.replies[index]
            status, headers, payload = reply
            truncated = headers.get("x-truncate")
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            for k, v in headers.items():
                if k != "x-truncate":
                    self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2] if truncated else payload)

        do_GET = _serve
        do_POST = _serve

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield script
    finally:
        httpd.shutdown()
        httpd.server_close()
