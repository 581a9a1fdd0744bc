"""The shared HTTP client: retries, bounded waits, credentials kept to their origin, paging guards.

Every source talks to its API through :class:`HttpClient`. It retries what is transient (429,
5xx, connection resets, timeouts, truncated bodies), waits as the server asks (``Retry-After``;
GitHub's ``x-ratelimit-reset`` when ``x-ratelimit-remaining`` is 0; at least a minute for a GitHub
secondary limit without headers), and turns what is permanent into one clear exception that names
the vendor, the endpoint and, for credential failures, the variable to fix.

Bounds, so that no server can hold a run: a wait longer than ``RetryPolicy.max_wait_seconds``
fails the source at once (saying what the server asked for) instead of sleeping; all waits of a
client and its clones together stay within ``RetryPolicy.max_total_wait_seconds``; an optional
run ``deadline`` (a ``time.monotonic()`` instant) stops any request or wait that would pass it.
Every paginated loop goes through :class:`Pages`: a next-page cursor (token, id, page URL) sent
twice, a numbered page identical to an earlier one, or a page holding more items than asked for
(or than :data:`MAX_PAGE_ITEMS`) fails the source with one line.

Secrets never reach a message: errors name the endpoint, never headers, and never a URL's query
string (signed download links carry signatures) — except a repeated next-page link of a REST
listing, whose query is the cursor being reported. Every message the client raises or logs has
its own credentials (header values, Basic auth, in their encoded forms) and every configured one
(:func:`orchestration.lib.redact.redact`) replaced by ``[redacted]`` — vendors do quote the key in
error bodies. Authenticated requests follow redirects within their origin (scheme, host, port)
only; a redirect elsewhere is refused, because ``requests`` strips only ``Authorization`` across
hosts and would send ``x-api-key`` on. Signed downloads use a session without credentials, which
may follow redirects anywhere. Base URLs must be ``https://`` (``http://`` only on loopback).

Why this module and not dlt's helpers (``dlt.sources.helpers.rest_client`` and ``.requests``,
dlt 1.31, checked in ``site-packages/dlt/sources/helpers/``): each point below is something this
client must do that they do not, so wrapping them would mean re-adding all of it around them.

* Redirects: ``RESTClient._send_request`` hands redirects to ``requests``; an ``APIKeyAuth``
  header (Anthropic's ``x-api-key``) goes on to any host a 30x names.
* Redaction: ``rest_client/redaction.py`` masks only query parameters by name; with
  ``http_show_error_body`` on, ``_dlt_raise_for_status`` puts the error body (a quoted key
  included) verbatim into the ``HTTPError``; off, the vendor's explanation is lost.
* Pagination: the paginators (``BaseReferencePaginator._next_reference``, under
  ``JSONResponseCursorPaginator`` and ``HeaderLinkPaginator``; ``PageNumberPaginator``) take the
  next cursor or page as given; none notices a cursor that repeats or a page larger than asked
  for, so a stuck cursor loops forever. GitHub's nested GraphQL follow-ups fit none of them.
* Waits: ``requests/retry.py`` stops only after ``max_attempts``; ``wait_exponential_retry_after``
  clamps a ``Retry-After: 86400`` to ``request_max_retry_delay`` and sleeps it, then retries;
  there is no total-wait budget, no deadline, and its sleep cannot be injected for tests.
* Truncated bodies: a 200 whose JSON does not parse is not retried (only connection-level
  ``ChunkedEncodingError``).
* GitHub: only 429 and 5xx are retried; a 403 primary or secondary limit fails, and
  ``x-ratelimit-reset`` and GraphQL's HTTP 200 ``RATE_LIMITED`` answers are not understood.
* Parsing: pages are ``response.json()`` (floats, not exact ``Decimal`` money) and JSON only,
  not the NDJSON of Copilot's report files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import json
import logging
import random
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from orchestration.lib.redact import redact, redact_values

_TRANSIENT_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})
_USER_AGENT = "tokenworth/0.1 (+https://github.com/tokenworth/tokenworth)"
# Header names whose values are credentials (matched as substrings, lower case).
_SECRET_HEADER_WORDS = ("auth", "key", "token", "secret", "cookie", "password")
# No API page this project reads legitimately holds more items than this. The largest are the
# answers that take no item limit: Cursor's team members (the whole team in one answer) and daily
# usage (a row per user and day: 1,000 users × 30 days a page). A larger page is refused.
MAX_PAGE_ITEMS = 100_000

logger = logging.getLogger("tokenworth.http")

Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None


class Log(Protocol):
    """What the client needs from a logger (``logging.Logger`` and Dagster's ``context.log``)."""

    def info(self, msg: str, *args: Any) -> Any: ...

    def warning(self, msg: str, *args: Any) -> Any: ...


class SourceError(RuntimeError):
    """A permanent failure of one source; the message says what to fix.

    The message never holds a configured credential: it is redacted here, whoever raises it.
    """

    def __init__(self, vendor: str, endpoint: str, message: str) -> None:
        super().__init__(redact(message))
        self.vendor = vendor
        self.endpoint = endpoint


class CredentialsError(SourceError):
    """The API rejected the credential (HTTP 401/403)."""


class ConfigurationError(SourceError):
    """The client's configuration is unsafe or malformed (a plain ``http://`` base URL)."""


class ApiError(SourceError):
    """A non-retryable HTTP or API error, or retries exhausted."""


class UnavailableError(SourceError):
    """The endpoint answered that its product is not available to the organisation (e.g.
    Copilot metrics 404 without a licence): the caller decides whether that is a failure."""

    def __init__(self, vendor: str, endpoint: str, status: int) -> None:
        super().__init__(vendor, endpoint, f"{vendor} {endpoint}: HTTP {status}")
        self.status = status


class PaginationError(ApiError):
    """A listing that would not end (a repeated cursor or page) or a page larger than asked."""


class WaitLimitError(ApiError):
    """The server asked for a wait longer than one wait, or all waits together, may take."""


class DeadlineError(SourceError):
    """The run deadline came before the request or wait could finish."""


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
    return shown_origin(url) + urlsplit(url).path


def shown_origin(url: str) -> str:
    """``scheme://host[:port]`` as ``url`` writes it: no credentials, path or query string."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url`` (the port spelled out), what credentials are bound to."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower(), 0)
    return f"{parts.scheme.lower()}://{host}:{port}"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url_problem(url: str, variable: str) -> str | None:
    """Why ``url`` cannot be an API base URL (one line naming ``variable``), or None if it can.

    Credentials go only over ``https://``; ``http://`` is allowed on loopback (the sandbox).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts, host = None, ""
    if parts is not None and host:
        if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host)):
            return None
    shown = safe_url(url) if parts is not None and parts.scheme and host else url
    return f"{variable} must use https:// (http:// only for loopback); got {shown}"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try, and how long a source may wait in all.

    ``max_wait_seconds`` caps any single wait: a server asking for longer (``Retry-After``,
    GitHub's rate-limit reset) fails the source at once, saying what it asked for. The default
    lets a GitHub primary limit (reset within the hour) be waited out. ``max_total_wait_seconds``
    caps all waiting of one client and its clones (one source in one run): two GitHub resets.
    """

    max_attempts: int = 8
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    max_wait_seconds: float = 3900.0
    max_total_wait_seconds: float = 7200.0
    # GitHub: "otherwise wait at least one minute" for secondary limits without headers.
    github_secondary_min_seconds: float = 60.0


class _Transient(Exception):
    """Internal: retry after ``wait`` seconds (None: exponential backoff)."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class _CrossOriginRedirect(Exception):
    """Internal: an authenticated request was redirected to ``target``'s origin."""

    def __init__(self, target: str) -> None:
        super().__init__(origin(target))
        self.target = target


class _SameOriginSession(requests.Session):
    """A session carrying credentials: it follows redirects within the request's origin only.

    ``requests`` calls ``rebuild_auth`` before sending each redirected request; it removes only
    ``Authorization`` across hosts, so custom credential headers (``x-api-key``) would go on.
    """

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        target = prepared_request.url or ""
        if origin(target) != origin(response.request.url or ""):
            raise _CrossOriginRedirect(target)
        super().rebuild_auth(prepared_request, response)


@dataclass
class HttpStats:
    """Counters for benchmarks and asset metadata."""

    requests: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    by_endpoint: dict[str, int] = field(default_factory=dict)


class Pages:
    """Guards one paginated listing, so it ends or fails with one line.

    Call :meth:`received` with each page's items and, before asking for the next page,
    :meth:`follow` with its cursor (a token, an id, a page URL). Listings by page number don't
    follow cursors (``numbered=True``): a page identical to an earlier one (same count, same
    first and last item) shows that the server ignores the page number.

    Raises:
        PaginationError: a cursor sent twice, a repeated numbered page, or a page holding more
            items than ``limit`` (the page size asked for) or than :data:`MAX_PAGE_ITEMS`.
    """

    def __init__(
        self,
        vendor: str,
        endpoint: str,
        *,
        limit: int | None = None,
        numbered: bool = False,
        redactor: Callable[[str], str] = redact,
    ) -> None:
        self.vendor = vendor
        self.endpoint = endpoint
        self.limit = limit
        self.numbered = numbered
        self._redact = redactor
        self._cursors: set[Hashable] = set()
        self._pages: dict[str, int] = {}
        self.count = 0  # pages received

    def received(self, items: Sequence[Any]) -> Sequence[Any]:
        """Check one page's ``items`` (returned unchanged)."""
        self.count += 1
        size = len(items)
        if self.limit is not None and size > self.limit:
            self._fail(f"a page holds {size:,} items, more than the {self.limit:,} asked for")
        if size > MAX_PAGE_ITEMS:
            self._fail(
                f"a page holds {size:,} items, more than the {MAX_PAGE_ITEMS:,} any page may hold"
            )
        if self.numbered and items:
            seen = json.dumps([size, items[0], items[-1]], sort_keys=True, default=str)
            key = hashlib.sha256(seen.encode()).hexdigest()
            if key in self._pages:
                self._fail(
                    f"page {self.count} repeats page {self._pages[key]} (the API ignores the page "
                    "number)"
                )
            self._pages[key] = self.count
        return items

    def follow(self, cursor: Any) -> Any:
        """Check the cursor of the next page (returned unchanged); None is the first page's."""
        if not self._cursors:
            self._cursors.add(None)
        key = cursor if isinstance(cursor, Hashable) else json.dumps(cursor, default=str)
        if key in self._cursors:
            shown = str(cursor)
            shown = shown if len(shown) <= 200 else shown[:200] + "…"
            self._fail(f"the API sent the same next-page cursor twice ({self._redact(shown)})")
        self._cursors.add(key)
        return cursor

    def _fail(self, what: str) -> None:
        raise PaginationError(
            self.vendor,
            self.endpoint,
            f"{self.vendor} {self.endpoint}: {what}; failing the source rather than load an "
            "endless or oversized listing — run again later, and report it to the vendor if it "
            "persists",
        )


@dataclass
class HttpClient:
    """A ``requests`` session bound to one vendor's base URL and credential.

    Args:
        vendor: display name used in every message ("Cursor", "GitHub", ...).
        credential_variable: environment variable holding the secret, named in auth errors.
        base_url: API root; request paths are appended to it. ``https://``, or ``http://`` on
            loopback; anything else raises :class:`ConfigurationError` naming
            ``base_url_variable``.
        headers: headers for authenticated requests (auth headers included).
        auth: ``requests`` auth (Cursor's Basic auth).
        github_rate_limits: apply GitHub's primary/secondary rate-limit rules.
        sleep: how to wait (tests pass a recorder, so they never actually wait).
        deadline: a ``time.monotonic()`` instant; a request or wait that would pass it raises
            :class:`DeadlineError` ("run deadline reached"). None: no deadline.
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
    base_url_variable: str = "base URL"
    deadline: float | None = None

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        problem = base_url_problem(self.base_url, self.base_url_variable)
        if problem:
            raise ConfigurationError(self.vendor, "base URL", problem)
        self._secrets = _client_secrets(self.headers, self.auth)
        self._session = _SameOriginSession()
        self._session.headers.update({"User-Agent": _USER_AGENT, **self.headers})
        if self.auth is not None:
            self._session.auth = self.auth
        # Signed download links must not receive the API credential.
        self._anonymous = requests.Session()
        self._anonymous.headers.update({"User-Agent": _USER_AGENT})
        self._not_before = 0.0

    def summary(self) -> str:
        """What the client did, for the step's log."""
        return (
            f"{self.stats.requests} HTTP requests, {self.stats.retries} retries, "
            f"{self.stats.waited_seconds:.1f}s waited"
        )

    def close(self) -> None:
        self._session.close()
        self._anonymous.close()

    def clone(self) -> HttpClient:
        """A client with the same settings, statistics and wait budget, and its own session
        (for a second thread)."""
        return dataclasses.replace(self)

    # -- public API -------------------------------------------------------------------------

    def get_json(
        self,
        path: str,
        *,
        endpoint: str,
        params: Params = None,
        decimals: bool = False,
        unavailable: Sequence[int] = (),
    ) -> Any:
        """GET ``base_url + path`` and parse JSON (floats as ``Decimal`` when ``decimals``)."""
        _, _, body = self.request(
            "GET",
            path,
            endpoint=endpoint,
            params=params,
            decimals=decimals,
            unavailable=unavailable,
        )
        return body

    def post_json(self, path: str, *, endpoint: str, body: Any, decimals: bool = False) -> Any:
        """POST a JSON body and parse the JSON answer."""
        _, _, parsed = self.request(
            "POST", path, endpoint=endpoint, json_body=body, decimals=decimals
        )
        return parsed

    def pages(self, endpoint: str, *, limit: int | None = None, numbered: bool = False) -> Pages:
        """A :class:`Pages` guard for one listing of ``endpoint``; ``limit`` is the page size
        asked for (None where the API takes none)."""
        return Pages(self.vendor, endpoint, limit=limit, numbered=numbered, redactor=self.redact)

    def redact(self, text: str) -> str:
        """``text`` without this client's credentials or any configured one."""
        return redact(redact_values(text, self._secrets))

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
        unavailable: Sequence[int] = (),
    ) -> tuple[int, Mapping[str, str], Any]:
        """Send one logical request, retrying transient failures.

        Args:
            parse: "json", "ndjson" (a list of objects) or "raw" (bytes).
            allow_statuses: statuses returned to the caller instead of raising (e.g. 204).
            unavailable: statuses meaning "the organisation does not have this product":
                :class:`UnavailableError` instead of a credential or API error.

        Returns:
            (status, headers, parsed body — None for empty bodies).
        """
        if unavailable:
            status, headers, body = self.request(
                method,
                path_or_url,
                endpoint=endpoint,
                params=params,
                json_body=json_body,
                decimals=decimals,
                parse=parse,
                authenticated=authenticated,
                allow_statuses=(*allow_statuses, *unavailable),
            )
            if status in unavailable:
                raise UnavailableError(self.vendor, endpoint, status)
            return status, headers, body
        url = path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"
        session = self._session if authenticated else self._anonymous
        attempt = 0
        while True:
            attempt += 1
            self._respect_not_before(endpoint)
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
                        self.redact(
                            f"{self.vendor} {endpoint}: giving up after {attempt} attempts "
                            f"(last: {transient.reason})"
                        ),
                    ) from None
                wait = transient.wait
                if wait is None:
                    wait = min(
                        self.policy.backoff_max_seconds,
                        self.policy.backoff_base_seconds * 2 ** (attempt - 1),
                    )
                    wait *= 0.5 + random.random() / 2  # jitter: don't retry in lockstep
                self.stats.retries += 1
                self._wait(wait, endpoint, transient.reason, f"retry {attempt}")

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
                self._wait(wait, endpoint, "GraphQL rate limited", f"retry {attempt}", warn=True)
                continue
            if errors:
                messages = "; ".join(
                    self.redact(str(e.get("message", e) if isinstance(e, Mapping) else e))[:200]
                    for e in errors[:3]
                )
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
        self,
        path: str,
        *,
        endpoint: str,
        params: Params = None,
        items_key: str | None = None,
        limit: int | None = None,
        unavailable: Sequence[int] = (),
    ) -> Iterator[Any]:
        """Yield each page's JSON for REST endpoints paginated by the ``Link`` header.

        ``items_key`` names the page's list of items, checked against ``limit`` (the page size
        asked for); a next link already followed fails the listing (:class:`Pages`).
        ``unavailable``: see :meth:`request`.
        """
        pages = self.pages(endpoint, limit=limit)
        url: str | None = path
        page_params = params
        while url:
            _, headers, body = self.request(
                "GET", url, endpoint=endpoint, params=page_params, unavailable=unavailable
            )
            if items_key is not None:
                pages.received(require(body, items_key, self.vendor, endpoint))
            yield body
            url = _next_link(headers.get("Link") or headers.get("link") or "")
            if url:
                pages.follow(url)
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
        timeout = self.timeout_seconds
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise DeadlineError(
                    self.vendor,
                    endpoint,
                    f"{self.vendor} {endpoint}: run deadline reached before the request",
                )
            timeout = min(timeout, left)  # a request cannot outlast the run
        self.stats.requests += 1
        self.stats.by_endpoint[endpoint] = self.stats.by_endpoint.get(endpoint, 0) + 1
        try:
            response = session.request(
                method,
                url,
                params=params,
                json=json_body,
                timeout=(min(10.0, timeout), timeout),
            )
            content = response.content  # reads the body: truncation surfaces here
        except _CrossOriginRedirect as redirect:
            raise ApiError(
                self.vendor,
                endpoint,
                f"{self.vendor} {endpoint}: refused a redirect to another origin "
                f"({shown_origin(redirect.target)}): "
                f"{self.credential_variable} is only sent to {safe_url(self.base_url)} — check "
                f"{self.base_url_variable}",
            ) from None
        except (
            requests.Timeout,
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            if self.deadline is not None and time.monotonic() >= self.deadline:
                raise DeadlineError(
                    self.vendor,
                    endpoint,
                    f"{self.vendor} {endpoint}: run deadline reached during the request",
                ) from None
            if isinstance(exc, requests.Timeout):
                raise _Transient("timed out") from None
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
        asked = _header(headers, "Retry-After")
        asked = f" (Retry-After: {asked[:40]})" if asked else ""
        if self.github_rate_limits and status in (403, 429):
            wait = self._github_wait(headers)
            text = content[:2000].decode("utf-8", "replace").lower()
            if wait is not None:
                raise _Transient(f"HTTP {status} rate limited{asked}", wait)
            if "rate limit" in text:
                raise _Transient(
                    f"HTTP {status} secondary rate limit", self.policy.github_secondary_min_seconds
                )
        if status in _TRANSIENT_STATUSES:
            raise _Transient(f"HTTP {status}{asked}", retry_after)
        if status in (401, 403):
            verb = "rejected the credential" if status == 401 else "denied access"
            raise CredentialsError(
                self.vendor,
                endpoint,
                f"{self.vendor} API {verb} (HTTP {status}) on {endpoint} — check "
                f"{self.credential_variable}",
            )
        message = _error_message(content)
        # Redacted before it is cut short: a key straddling the cut would leak its first half.
        detail = f" ({self.redact(message)[:200]})" if message else ""
        raise ApiError(self.vendor, endpoint, f"{self.vendor} {endpoint}: HTTP {status}{detail}")

    def _wait(
        self, seconds: float, endpoint: str, reason: str, then: str, *, warn: bool = False
    ) -> None:
        """Sleep ``seconds`` before ``then`` — unless that breaks a bound; then fail instead."""
        seconds = max(0.0, seconds)
        policy = self.policy
        prefix = f"{self.vendor} {endpoint}: {reason}"
        if seconds > policy.max_wait_seconds:
            raise WaitLimitError(
                self.vendor,
                endpoint,
                f"{prefix} asks for a {seconds:.0f}s wait, more than the "
                f"{policy.max_wait_seconds:.0f}s a single wait may take "
                "(RetryPolicy.max_wait_seconds): failing now instead of stalling the run — "
                "run again later",
            )
        waited = self.stats.waited_seconds
        if waited + seconds > policy.max_total_wait_seconds:
            raise WaitLimitError(
                self.vendor,
                endpoint,
                f"{prefix} asks for a {seconds:.0f}s wait, but this source has waited "
                f"{waited:.0f}s already and may wait {policy.max_total_wait_seconds:.0f}s in all "
                "(RetryPolicy.max_total_wait_seconds): failing now instead of stalling the run — "
                "run again later",
            )
        if self.deadline is not None and time.monotonic() + seconds >= self.deadline:
            raise DeadlineError(
                self.vendor,
                endpoint,
                f"{self.vendor} {endpoint}: run deadline reached before waiting {seconds:.0f}s "
                f"({reason})",
            )
        self.stats.waited_seconds += seconds
        line = self.redact(f"{prefix}; {then} in {seconds:.1f}s")
        (self.log.warning if warn else self.log.info)(line)
        self.sleep(seconds)

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

    def _respect_not_before(self, endpoint: str) -> None:
        wait = self._not_before - time.time()
        self._not_before = 0.0
        if wait > 0:
            self._wait(wait, endpoint, "rate-limit budget spent", "next request", warn=True)


def _client_secrets(headers: Mapping[str, str], auth: tuple[str, str] | None) -> list[str]:
    """The credential values a client sends: auth-like header values (and the part after a
    ``Bearer``/``token`` scheme), and Basic auth's user, password and ``user:password``."""
    secrets: list[str] = []
    for name, value in headers.items():
        if value and any(word in name.lower() for word in _SECRET_HEADER_WORDS):
            secrets.append(value)
            _, _, credential = value.partition(" ")
            secrets.append(credential.strip())
    if auth is not None:
        user, password = auth
        secrets += [user, password, f"{user}:{password}"]
    return [secret for secret in secrets if secret]


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


def _header(headers: Mapping[str, str], name: str) -> str:
    return (headers.get(name) or headers.get(name.lower()) or "").strip()


def _retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = _header(headers, "Retry-After")
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


def _error_message(content: bytes) -> str | None:
    """The message of an API error body (not yet redacted or shortened), if it has one."""
    try:
        body = json.loads(content)
    except ValueError:
        return None
    message: Any = None
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            message = error.get("message") or error.get("type")
        elif isinstance(error, str):
            message = body.get("message") or error
        else:
            message = body.get("message")
    return str(message) if message else None
