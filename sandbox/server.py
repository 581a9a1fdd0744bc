"""The sandbox HTTP server: every vendor API of a simulated world, on loopback.

One stdlib ``ThreadingHTTPServer`` serves all vendors under one root URL, told apart by path —
exactly the paths the real clients append to their configurable base URLs:

* ``/v1/organizations/...`` Anthropic Admin API, ``/v1/organization/...`` OpenAI,
* ``/teams/...`` Cursor Admin API, ``/analytics/...`` its AI Code Tracking API,
* ``/orgs/...``, ``/organizations/...``, ``/graphql`` GitHub (Copilot REST and GraphQL), plus the
  Copilot report downloads at ``/copilot-usage-reports/...``,
* ``/_sandbox/stats`` (GET) and ``/_sandbox/stats/reset`` (POST): request counts per endpoint,
  for tests and benchmarks that assert how many calls a client made; ``/_sandbox/as_of`` (POST
  ``{"day": "YYYY-MM-DD"}``): the day the GitHub API answers for. No auth.

Around every vendor response the server applies the opt-in faults of ``sandbox.faults`` and
counts the request; the vendor modules stay pure functions of the world.
"""

from __future__ import annotations

import json
import shlex
import socket
import struct
import threading
from collections import Counter, defaultdict
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox import drift
from sandbox.faults import (
    FaultPlan,
    FaultSpec,
    add_extra_fields,
    add_extra_fields_ndjson,
    signature,
)
from sandbox.model import World
from sandbox.vendors import ApiRequest, ApiResponse, VendorApi, stable_hash
from sandbox.vendors.anthropic import AnthropicApi
from sandbox.vendors.copilot import GitHubApi
from sandbox.vendors.cursor import CursorApi
from sandbox.vendors.openai import OpenAIApi

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Vendor by path prefix; the longest prefix is tried first where two overlap.
PREFIXES = (
    ("/v1/organizations/", "anthropic"),
    ("/v1/organization/", "openai"),
    ("/teams/", "cursor"),
    ("/analytics/", "cursor"),
    ("/orgs/", "github"),
    ("/organizations/", "github"),
    ("/graphql", "github"),
    ("/copilot-usage-reports/", "github"),
)


def secret(seed: int, label: str, length: int) -> str:
    """A credential-looking string, the same for the same seed (so test runs are reproducible)."""
    out = []
    n = 0
    while len(out) < length:
        value = stable_hash("sandbox-credential", seed, label, n)
        n += 1
        for _ in range(10):
            out.append(ALPHABET[value % 62])
            value //= 62
    return "".join(out[:length])


class SandboxServer:
    """Serves one world's vendor APIs over HTTP on loopback.

    ``port=0`` picks a free port. ``faults`` is a ``--faults`` spec string or a parsed
    :class:`FaultSpec`; ``fault_timeout_seconds`` overrides the spec's delay for ``timeout``
    faults. ``rate_limit_scale`` multiplies every vendor rate limit (benchmarks raise it).
    ``copilot_records_per_file`` is how many users go in one Copilot report download.
    ``cursor_enterprise=False`` puts the Cursor team on a plan without the AI Code Tracking API
    (default: as the world's ``reality`` says). ``as_of`` is the day the GitHub API answers for:
    repositories renamed, transferred, archived or deleted by then show so (default: the world's
    last day); :meth:`set_as_of` and ``POST /_sandbox/as_of`` change it between runs.
    """

    def __init__(
        self,
        world: World,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: str | FaultSpec | None = None,
        fault_timeout_seconds: float | None = None,
        rate_limit_scale: float = 1.0,
        copilot_records_per_file: int = 100,
        drop_optional_fields: bool = False,
        cursor_enterprise: bool | None = None,
        as_of: date | None = None,
    ) -> None:
        self.world = world
        if cursor_enterprise is None:
            cursor_enterprise = world.reality.cursor_enterprise
        # Schema drift by omission (sandbox/drift.py): documented optional fields left out.
        self.drop_optional_fields = drop_optional_fields
        spec = faults if isinstance(faults, FaultSpec) else FaultSpec.parse(faults)
        self.faults = FaultPlan(spec)
        self.fault_timeout_seconds = (
            spec.timeout_seconds if fault_timeout_seconds is None else fault_timeout_seconds
        )
        seed = world.seed
        self.anthropic_admin_key = "sk-ant-admin01-" + secret(seed, "anthropic", 86) + "-AA"
        self.openai_admin_key = "sk-admin-" + secret(seed, "openai", 48)
        self.cursor_admin_key = "key_" + secret(seed, "cursor", 64).lower()
        self.github_token = "ghp_" + secret(seed, "github", 36)
        self.vendors: dict[str, VendorApi] = {
            "anthropic": AnthropicApi(world, self.anthropic_admin_key),
            "openai": OpenAIApi(world, self.openai_admin_key),
            "cursor": CursorApi(
                world,
                self.cursor_admin_key,
                rate_limit_scale=rate_limit_scale,
                enterprise=cursor_enterprise,
            ),
            "github": GitHubApi(
                world,
                self.github_token,
                rate_limit_scale=rate_limit_scale,
                records_per_file=copilot_records_per_file,
                as_of=as_of,
            ),
        }
        self._stats_lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._statuses: dict[str, Counter[str]] = defaultdict(Counter)
        self._faults: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._httpd = _HttpServer((host, port), _Handler, self)
        self._thread: threading.Thread | None = None
        self._warmer: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The root URL, e.g. ``http://127.0.0.1:PORT``; every vendor base URL is this."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SandboxServer:
        """Serve in a background thread; returns self so ``SandboxServer(w).start()`` reads well."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="sandbox-http",
                daemon=True,
            )
            self._thread.start()
            # Vendors index the world on first use; warm them now so the first requests rarely
            # wait, without holding up start-up (indexing the large profile takes tens of seconds).
            self._warmer = threading.Thread(target=self._warm, name="sandbox-warm", daemon=True)
            self._warmer.start()
        return self

    def _warm(self) -> None:
        for vendor in self.vendors.values():
            if self._stopping.is_set():
                return
            vendor.ensure_indexed()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until every vendor's indexes are built (benchmarks time requests, not warm-up)."""
        if self._warmer is None:
            return False
        self._warmer.join(timeout)
        return not self._warmer.is_alive()

    def stop(self) -> None:
        """Stop serving and free the port; delayed (``timeout``) answers are cut short."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def environment(self, clone_url_template: str | None = None) -> dict[str, str]:
        """The variables that point the pipeline at this server.

        ``clone_url_template`` (e.g. ``file:///tmp/repos/{repo}.git``) adds
        ``TOKENWORTH_GIT_CLONE_URL`` for the git mirrors the repository writer produced.
        """
        values = {
            "TOKENWORTH_ANTHROPIC_BASE_URL": self.url,
            "ANTHROPIC_ADMIN_API_KEY": self.anthropic_admin_key,
            "TOKENWORTH_OPENAI_BASE_URL": self.url,
            "OPENAI_ADMIN_API_KEY": self.openai_admin_key,
            "TOKENWORTH_CURSOR_BASE_URL": self.url,
            "CURSOR_ADMIN_API_KEY": self.cursor_admin_key,
            "TOKENWORTH_GITHUB_API_URL": self.url,
            "GITHUB_TOKEN": self.github_token,
            "TOKENWORTH_GITHUB_ORG": self.world.org,
        }
        if clone_url_template:
            values["TOKENWORTH_GIT_CLONE_URL"] = clone_url_template
        return values

    def exports(self, clone_url_template: str | None = None) -> list[str]:
        """:meth:`environment` as ``export VAR=value`` lines for a shell."""
        values = self.environment(clone_url_template)
        return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]

    def set_as_of(self, day: date | None) -> None:
        """Answer the GitHub API as of ``day`` from now on (None: the world's last day)."""
        github = self.vendors["github"]
        assert isinstance(github, GitHubApi)
        github.set_as_of(day)

    # --- statistics ------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Requests per endpoint (and per status), faults injected, and the total."""
        with self._stats_lock:
            return {
                "total": sum(self._requests.values()),
                "endpoints": dict(sorted(self._requests.items())),
                "statuses": {k: dict(sorted(v.items())) for k, v in sorted(self._statuses.items())},
                "faults": dict(sorted(self._faults.items())),
            }

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._requests.clear()
            self._statuses.clear()
            self._faults.clear()

    def _count(self, endpoint: str, status: int | str) -> None:
        with self._stats_lock:
            self._requests[endpoint] += 1
            self._statuses[endpoint][str(status)] += 1

    # --- serving ---------------------------------------------------------------------------

    def serve(self, handler: _Handler) -> None:
        """Answer one request: internal endpoints, or a vendor endpoint behind the faults."""
        parts = urlsplit(handler.path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        if path.startswith("/_sandbox/"):
            self._internal(handler, path, body)
            return
        vendor = self._vendor(path)
        request = ApiRequest(
            method=handler.command,
            path=path,
            query=query,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            base_url=self.url,
        )
        if vendor is None:
            endpoint = f"{handler.command} (unknown path)"
            self._count(endpoint, 404)
            payload = {"error": "Not Found", "message": f"no sandbox API serves {path}"}
            _send(handler, ApiResponse(404, payload))
            return
        endpoint = vendor.route_name(request)
        fault = self.faults.next(signature(request.method, path, query, body))
        if fault is not None:
            with self._stats_lock:
                self._faults[fault] += 1
        if fault == "reset":
            self._count(endpoint, "reset")
            _reset(handler)
            return
        if fault is not None and fault.isdigit():
            status = int(fault)
            response = vendor.error(status, f"sandbox fault injection: HTTP {status}")
            vendor.decorate(request, response)
            if status == 429:
                response.headers["Retry-After"] = str(self.faults.spec.retry_after)
            self._count(endpoint, status)
            _send(handler, response)
            return
        if fault == "leak":
            credential = request.headers.get("x-api-key") or request.headers.get("authorization")
            message = f"sandbox fault injection: invalid request for credential {credential}"
            response = vendor.error(400, message)
            vendor.decorate(request, response)
            self._count(endpoint, 400)
            _send(handler, response)
            return
        if fault == "timeout" and self._stopping.wait(self.fault_timeout_seconds):
            return  # shutting down: drop the delayed answer
        response = vendor.handle(request)
        if self.drop_optional_fields and response.payload is not None:
            response.payload = drift.drop_optional_fields(response.payload)
        if fault == "extra" or self.faults.spec.extra:
            seed = self.faults.spec.seed
            if response.payload is not None:
                response.payload = add_extra_fields(response.payload, seed)
            elif response.body is not None and "ndjson" in response.content_type:
                response.body = add_extra_fields_ndjson(response.body, seed)
        self._count(endpoint, response.status)
        _send(handler, response, truncate=fault == "truncated")

    def _vendor(self, path: str) -> VendorApi | None:
        for prefix, name in PREFIXES:
            if path.startswith(prefix) or path == prefix.rstrip("/"):
                return self.vendors[name]
        return None

    def _internal(self, handler: _Handler, path: str, body: bytes) -> None:
        if handler.command == "GET" and path == "/_sandbox/stats":
            _send(handler, ApiResponse(200, self.stats()))
        elif handler.command == "POST" and path == "/_sandbox/stats/reset":
            self.reset_stats()
            _send(handler, ApiResponse(200, {"reset": True}))
        elif handler.command == "POST" and path == "/_sandbox/as_of":
            try:
                text = json.loads(body or b"{}").get("day")
                day = date.fromisoformat(text) if text else None
            except (ValueError, AttributeError, TypeError):
                message = 'expected {"day": "YYYY-MM-DD"} or {"day": null}'
                _send(handler, ApiResponse(400, {"error": "Bad Request", "message": message}))
                return
            self.set_as_of(day)
            _send(handler, ApiResponse(200, {"as_of": day.isoformat() if day else None}))
        elif handler.command == "GET" and path == "/_sandbox/health":
            _send(handler, ApiResponse(200, {"status": "ok", "org": self.world.org}))
        else:
            payload = {"error": "Not Found", "message": f"no sandbox endpoint {path}"}
            _send(handler, ApiResponse(404, payload))


class _HttpServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` that knows its :class:`SandboxServer`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, as the real APIs (clients reuse connections; faults must cope with that).
    protocol_version = "HTTP/1.1"
    server_version = "tokenworth-sandbox/1"
    # Idle keep-alive connections are closed after a minute instead of holding a thread forever.
    timeout = 60
    server: _HttpServer

    def setup(self) -> None:
        """Disable Nagle: headers and body go out in two writes, and with Nagle plus the
        client's delayed ACK every response would stall for ~40 ms."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.server.sandbox.serve(self)

    do_POST = do_GET
    do_PUT = do_GET
    do_PATCH = do_GET
    do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the test output is no place for an access log."""


def _send(handler: _Handler, response: ApiResponse, *, truncate: bool = False) -> None:
    body = response.encode()
    try:
        handler.send_response(response.status)
        if response.status != 204:
            handler.send_header("Content-Type", response.content_type)
            handler.send_header("Content-Length", str(len(body)))
        for name, value in response.headers.items():
            handler.send_header(name, value)
        if truncate:
            # Promise the whole body, send half, then hang up: the client sees a short read.
            handler.send_header("Connection", "close")
            handler.close_connection = True
            body = body[: len(body) // 2]
        handler.end_headers()
        if response.status != 204:
            handler.wfile.write(body)
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True  # the client gave up (e.g. its own timeout)


def _reset(handler: _Handler) -> None:
    """Close the connection with a TCP reset and no response at all."""
    handler.close_connection = True
    try:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    handler.connection.close()
