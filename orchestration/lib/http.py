"""The shared HTTP client: retries with backoff, ``Retry-After``, GitHub's rate-limit rules.

Every source talks to its API through :class:`HttpClient`. It retries what is transient (429,
5xx, connection resets, timeouts, truncated bodies), waits as the server asks (``Retry-After``;
GitHub's ``x-ratelimit-reset`` when ``x-ratelimit-remaining`` is 0; at least a minute for a GitHub
secondary limit without headers), and turns what is permanent into one clear exception that names
the vendor, the endpoint and, for credential failures, the variable to fix.

Secrets never reach a message: errors name the endpoint, never a URL's query string (signed
download links carry signatures), and never headers.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

_TRANSIENT_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})
_USER_AGENT = "tokenworth/0.1 (+https://github.com/tokenworth/tokenworth)"

logger = logging.getLogger("tokenworth.http")

Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None


class Log(Protocol):
    """What the client needs from a logger (``logging.Logger`` and Dagster's ``context.log``)."""

    def info(self, msg: str, *args: Any) -> Any: ...

    def warning(self, msg: str, *args: Any) -> Any: ...


class SourceError(RuntimeError):
    """A permanent failure of one source; the message says what to fix."""

    def __init__(self, vendor: str, endpoint: str, message: str) -> None:
        super().__init__(message)
        self.vendor = vendor
        self.endpoint = endpoint


class CredentialsError(SourceError):
    """The API rejected the credential (HTTP 401/403)."""


class ApiError(SourceError):
    """A non-retryable HTTP or API error, or retries exhausted."""


class MissingFieldError(SourceError):
    """A required field is absent from a record: the partition fails rather than drop data."""

    def __init__(self, vendor: str, endpoint: str, field_name: str) -> None:
        super().__init__(
            vendor,
            endpoint,
            f"{vendor} {endpoint}: required field {field_name!r} is missing from a record; "
            "the partition fails instead of loading incomplete rows",
        )
        self.field_name = field_name


def require(record: Mapping[str, Any], key: str, vendor: str, endpoint: str) -> Any:
    """``record[key]``, or :class:`MissingFieldError` naming vendor, endpoint and field."""
    try:
        value = record[key]
    except (KeyError, TypeError):
        raise MissingFieldError(vendor, endpoint, key) from None
    if value is None:
        raise MissingFieldError(vendor, endpoint, key)
    return value


def safe_url(url: str) -> str:
    """``scheme://host/path`` only: no credentials, no query string (signatures, tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``max_wait_seconds`` caps any single wait the server asks for."""

    max_attempts: int = 8
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    max_wait_seconds: float = 3900.0
    # GitHub: "otherwise wait at least one minute" for secondary limits without headers.
    github_secondary_min_seconds: float = 60.0


class _Transient(Exception):
    """Internal: retry after ``wait`` seconds (None: exponential backoff)."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


@dataclass
class HttpStats:
    """Counters for benchmarks and asset metadata."""

    requests: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    by_endpoint: dict[str, int] = field(default_factory=dict)


@dataclass
class HttpClient:
    """A ``requests`` session bound to one vendor's base URL and credential.

    Args:
        vendor: display name used in every message ("Cursor", "GitHub", ...).
        credential_variable: environment variable holding the secret, named in auth errors.
        base_url: API root; request paths are appended to it.
        headers: headers for authenticated requests (auth headers included).
        auth: ``requests`` auth (Cursor's Basic auth).
        github_rate_limits: apply GitHub's primary/secondary rate-limit rules.
    """

    vendor: str
    credential_variable: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    auth: tuple[str, str] | None = field(default=None, repr=False)
    timeout_seconds: float = 60.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    github_rate_limits: bool = False
    log: Log = field(default=logger, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    stats: HttpStats = field(default_factory=HttpStats)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": _USER_AGENT, **self.headers})
        if self.auth is not None:
            self._session.auth = self.auth
        # Signed download links must not receive the API credential.
        self._anonymous = requests.Session()
        self._anonymous.headers.update({"User-Agent": _USER_AGENT})
        self._not_before = 0.0

    def close(self) -> None:
        self._session.close()
        self._anonymous.close()

    def clone(self) -> HttpClient:
        """A client with the same settings and its own session (for a second thread)."""
        return HttpClient(
            vendor=self.vendor,
            credential_variable=self.credential_variable,
            base_url=self.base_url,
            headers=self.headers,
            auth=self.auth,
            timeout_seconds=self.timeout_seconds,
            policy=self.policy,
            github_rate_limits=self.github_rate_limits,
            log=self.log,
            sleep=self.sleep,
            stats=self.stats,
        )

    # -- public API -------------------------------------------------------------------------

    def get_json(
        self, path: str, *, endpoint: str, params: Params = None, decimals: bool = False
    ) -> Any:
        """GET ``base_url + path`` and parse JSON (floats as ``Decimal`` when ``decimals``)."""
        _, _, body = self.request("GET", path, endpoint=endpoint, params=params, decimals=decimals)
        return body

    def post_json(self, path: str, *, endpoint: str, body: Any, decimals: bool = False) -> Any:
        """POST a JSON body and parse the JSON answer."""
        _, _, parsed = self.request(
            "POST", path, endpoint=endpoint, json_body=body, decimals=decimals
        )
        return parsed

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        endpoint: str,
        params: Params = None,
        json_body: Any = None,
        decimals: bool = False,
        parse: str = "json",
        authenticated: bool = True,
        allow_statuses: Sequence[int] = (),
    ) -> tuple[int, Mapping[str, str], Any]:
        """Send one logical request, retrying transient failures.

        Args:
            parse: "json", "ndjson" (a list of objects) or "raw" (bytes).
            allow_statuses: statuses returned to the caller instead of raising (e.g. 204).

        Returns:
            (status, headers, parsed body — None for empty bodies).
        """
        url = path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"
        session = self._session if authenticated else self._anonymous
        attempt = 0
        while True:
            attempt += 1
            self._respect_not_before()
            try:
                return self._attempt(
                    session,
                    method,
                    url,
                    endpoint,
                    params,
                    json_body,
                    decimals,
                    parse,
                    allow_statuses,
                )
            except _Transient as transient:
                if attempt >= self.policy.max_attempts:
                    raise ApiError(
                        self.vendor,
                        endpoint,
                        f"{self.vendor} {endpoint}: giving up after {attempt} attempts "
                        f"(last: {transient.reason})",
                    ) from None
                wait = transient.wait
                if wait is None:
                    wait = min(
                        self.policy.backoff_max_seconds,
                        self.policy.backoff_base_seconds * 2 ** (attempt - 1),
                    )
                    wait *= 0.5 + random.random() / 2  # jitter: don't retry in lockstep
                wait = max(0.0, min(wait, self.policy.max_wait_seconds))
                self.stats.retries += 1
                self.stats.waited_seconds += wait
                self.log.info(
                    f"{self.vendor} {endpoint}: {transient.reason}; retry {attempt} in {wait:.1f}s"
                )
                self.sleep(wait)

    def graphql(self, query: str, variables: Mapping[str, Any], *, endpoint: str) -> Any:
        """POST a GraphQL query to ``{base_url}/graphql``; returns ``data``.

        GitHub answers a primary rate-limit breach with HTTP 200 and a RATE_LIMITED error;
        that is retried after ``x-ratelimit-reset``. Other GraphQL errors are permanent.
        """
        attempt = 0
        while True:
            attempt += 1
            _, headers, body = self.request(
                "POST",
                "/graphql",
                endpoint=endpoint,
                json_body={"query": query, "variables": variables},
            )
            errors = (body or {}).get("errors") or []
            limited = [e for e in errors if _is_rate_limit_error(e)]
            if limited and attempt < self.policy.max_attempts:
                wait = self._github_wait(headers) or self.policy.github_secondary_min_seconds
                self.stats.retries += 1
                self.stats.waited_seconds += wait
                self.log.warning(
                    f"{self.vendor} {endpoint}: GraphQL rate limited; waiting {wait:.0f}s"
                )
                self.sleep(min(wait, self.policy.max_wait_seconds))
                continue
            if errors:
                messages = "; ".join(str(e.get("message", e))[:200] for e in errors[:3])
                raise ApiError(
                    self.vendor, endpoint, f"{self.vendor} {endpoint}: GraphQL errors: {messages}"
                )
            data = (body or {}).get("data")
            if data is None:
                raise ApiError(
                    self.vendor, endpoint, f"{self.vendor} {endpoint}: GraphQL answer has no data"
                )
            return data

    def paginate_link_header(
        self, path: str, *, endpoint: str, params: Params = None
    ) -> Iterator[Any]:
        """Yield each page's JSON for REST endpoints paginated by the ``Link`` header."""
        url: str | None = path
        page_params = params
        while url:
            _, headers, body = self.request("GET", url, endpoint=endpoint, params=page_params)
            yield body
            url = _next_link(headers.get("Link") or headers.get("link") or "")
            page_params = None  # the next link carries the query already

    # -- internals ----------------------------------------------------------------------------

    def _attempt(
        self,
        session: requests.Session,
        method: str,
        url: str,
        endpoint: str,
        params: Params,
        json_body: Any,
        decimals: bool,
        parse: str,
        allow_statuses: Sequence[int],
    ) -> tuple[int, Mapping[str, str], Any]:
        self.stats.requests += 1
        self.stats.by_endpoint[endpoint] = self.stats.by_endpoint.get(endpoint, 0) + 1
        try:
            response = session.request(
                method,
                url,
                params=params,
                json=json_body,
                timeout=(min(10.0, self.timeout_seconds), self.timeout_seconds),
            )
            content = response.content  # reads the body: truncation surfaces here
        except requests.Timeout:
            raise _Transient("timed out") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise _Transient(f"connection error ({type(exc).__name__})") from None
        except requests.RequestException as exc:
            raise ApiError(
                self.vendor,
                endpoint,
                f"{self.vendor} {endpoint}: request failed ({type(exc).__name__})",
            ) from None
        status = response.status_code
        headers = response.headers
        if self.github_rate_limits:
            self._note_github_budget(headers)
        if status in allow_statuses:
            return status, headers, None
        if status >= 400:
            self._raise_for_status(status, headers, content, endpoint)
        if not content.strip():
            return status, headers, None
        try:
            return status, headers, _parse(content, parse, decimals)
        except (ValueError, UnicodeDecodeError):
            # A body cut short (reset mid-transfer, truncated proxy answer) is transient.
            raise _Transient(f"unparseable {parse} body ({len(content)} bytes)") from None

    def _raise_for_status(
        self, status: int, headers: Mapping[str, str], content: bytes, endpoint: str
    ) -> None:
        retry_after = _retry_after_seconds(headers)
        if self.github_rate_limits and status in (403, 429):
            wait = self._github_wait(headers)
            text = content[:2000].decode("utf-8", "replace").lower()
            if wait is not None:
                raise _Transient(f"HTTP {status} rate limited", wait)
            if "rate limit" in text:
                raise _Transient(
                    f"HTTP {status} secondary rate limit", self.policy.github_secondary_min_seconds
                )
        if status in _TRANSIENT_STATUSES:
            raise _Transient(f"HTTP {status}", retry_after)
        if status in (401, 403):
            verb = "rejected the credential" if status == 401 else "denied access"
            raise CredentialsError(
                self.vendor,
                endpoint,
                f"{self.vendor} API {verb} (HTTP {status}) on {endpoint} — check "
                f"{self.credential_variable}",
            )
        detail = _error_detail(content)
        raise ApiError(self.vendor, endpoint, f"{self.vendor} {endpoint}: HTTP {status}{detail}")

    def _github_wait(self, headers: Mapping[str, str]) -> float | None:
        """GitHub's documented order: retry-after, else the reset time when remaining is 0."""
        retry_after = _retry_after_seconds(headers)
        if retry_after is not None:
            return retry_after
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            try:
                return max(1.0, float(headers["x-ratelimit-reset"]) - time.time() + 1.0)
            except ValueError:
                return None
        return None

    def _note_github_budget(self, headers: Mapping[str, str]) -> None:
        # A successful answer that spends the last point: hold the next request until the reset
        # instead of spending a request on a guaranteed refusal.
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            try:
                self._not_before = float(headers["x-ratelimit-reset"]) + 1.0
            except ValueError:
                pass

    def _respect_not_before(self) -> None:
        wait = self._not_before - time.time()
        if wait > 0:
            wait = min(wait, self.policy.max_wait_seconds)
            self.log.warning(
                f"{self.vendor}: rate-limit budget spent; waiting {wait:.0f}s for reset"
            )
            self.stats.waited_seconds += wait
            self.sleep(wait)
        self._not_before = 0.0


def _parse(content: bytes, parse: str, decimals: bool) -> Any:
    if parse == "raw":
        return content
    loads = (lambda s: json.loads(s, parse_float=Decimal)) if decimals else json.loads
    if parse == "ndjson":
        return [loads(line) for line in content.splitlines() if line.strip()]
    return loads(content)


def _is_rate_limit_error(error: Any) -> bool:
    if not isinstance(error, Mapping):
        return False
    kind = str(error.get("type", "")).upper()
    return kind == "RATE_LIMITED" or "rate limit" in str(error.get("message", "")).lower()


def _retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # the HTTP-date form
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _next_link(link_header: str) -> str | None:
    for part in link_header.split(","):
        segments = part.split(";")
        if len(segments) < 2:
            continue
        if any(s.strip() in ('rel="next"', "rel=next") for s in segments[1:]):
            return segments[0].strip().strip("<>")
    return None


def _error_detail(content: bytes) -> str:
    """A short, credential-free summary of an API error body."""
    try:
        body = json.loads(content)
    except ValueError:
        return ""
    message: Any = None
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            message = error.get("message") or error.get("type")
        elif isinstance(error, str):
            message = body.get("message") or error
        else:
            message = body.get("message")
    return f" ({str(message)[:200]})" if message else ""
