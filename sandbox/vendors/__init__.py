"""Each vendor's view of the simulated world, served in that vendor's documented shapes.

Every vendor module holds one ``VendorApi`` subclass. It indexes the world once, so a request
only touches the slice of data it asks for (the ``large`` profile has millions of requests; a
page must not cost a pass over all of them). Indexes are built on first use, not in the
constructor: the server listens at once and warms them in the background. The HTTP server
(``sandbox.server``) turns a socket request into an :class:`ApiRequest`, asks the vendor for an
:class:`ApiResponse`, and applies faults and statistics around it; vendor modules never touch
sockets.

This module holds what the vendors share: the request/response values, routing and errors, time
and money helpers, opaque page tokens, and :class:`TimeSeriesIndex`, the pre-aggregated
usage-by-time index behind the bucketed usage and cost reports.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.model import AIRequest, AISession, Person, World

JsonObject = dict[str, Any]

# Bucket widths, in seconds, shared by Anthropic and OpenAI.
BUCKET_SECONDS = {"1m": 60, "1h": 3600, "1d": 86400}
# Buckets per page, by width: (default, maximum); the same numbers for Anthropic and OpenAI.
BUCKET_LIMITS = {"1d": (7, 31), "1h": (24, 168), "1m": (60, 1440)}


# --- requests, responses, routing ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One HTTP request, already parsed; header names are lower-case."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""
    # The server's root URL, for links the response must carry (Copilot downloads, Link headers).
    base_url: str = ""

    def param(self, *names: str) -> str | None:
        """The first value of the first of ``names`` present (``group_by`` or ``group_by[]``)."""
        for name in names:
            values = self.query.get(name)
            if values:
                return values[0]
        return None

    def params(self, *names: str) -> list[str]:
        """All values of all ``names``: vendors repeat array parameters, with or without ``[]``."""
        return [v for name in names for v in self.query.get(name, [])]

    def json_body(self) -> JsonObject:
        """The JSON object body; an empty body is an empty object (Cursor accepts that)."""
        if not self.body.strip():
            return {}
        try:
            body = json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, f"request body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "request body must be a JSON object")
        return body


@dataclass(slots=True)
class ApiResponse:
    """What a vendor answers: a JSON ``payload``, or a raw ``body`` (NDJSON downloads)."""

    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str = "application/json"

    def encode(self) -> bytes:
        """Serialise once, compactly; dict order is insertion order, so bytes are deterministic."""
        if self.body is not None:
            return self.body
        if self.payload is None:
            return b""
        return json.dumps(self.payload, separators=(",", ":")).encode()


class ApiError(Exception):
    """A failure the vendor module renders in its own error envelope (status + message)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


Handler = Callable[[ApiRequest, re.Match[str]], ApiResponse]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    # Stable endpoint name for statistics and rate limits, e.g. "GET /teams/members".
    name: str
    handler: Handler
    # Downloads behind signed URLs carry no credentials.
    public: bool = False


class VendorApi:
    """Routing, authentication and error rendering common to every vendor.

    Subclasses fill ``routes`` and implement ``authenticate`` and ``error``; the flow of a request
    (route → auth → handler → vendor-shaped errors) is the same everywhere, so it lives here.
    """

    vendor = "vendor"

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._index_lock = threading.Lock()
        self._indexed = False

    def build_indexes(self) -> None:
        """Subclasses index the world here; called once, by :meth:`ensure_indexed`."""

    def ensure_indexed(self) -> None:
        """Build the indexes unless done; concurrent callers wait for the one building."""
        if self._indexed:
            return
        with self._index_lock:
            if not self._indexed:
                self.build_indexes()
                self._indexed = True

    def add_route(
        self,
        method: str,
        path_regex: str,
        handler: Handler,
        *,
        name: str | None = None,
        public: bool = False,
    ) -> None:
        """Register an endpoint; ``name`` (for statistics) defaults to "METHOD path"."""
        pattern = re.compile(path_regex + r"\Z")
        self.routes.append(
            Route(method, pattern, name or f"{method} {path_regex}", handler, public)
        )

    def match(self, request: ApiRequest) -> tuple[Route, re.Match[str]] | None:
        for route in self.routes:
            if route.method == request.method:
                m = route.pattern.match(request.path)
                if m:
                    return route, m
        return None

    def route_name(self, request: ApiRequest) -> str:
        """The endpoint name used for statistics; unknown paths are counted as such."""
        found = self.match(request)
        return found[0].name if found else f"{request.method} (unknown {self.vendor} path)"

    def handle(self, request: ApiRequest) -> ApiResponse:
        found = self.match(request)
        try:
            if found is None:
                raise ApiError(404, f"no such endpoint: {request.method} {request.path}")
            route, m = found
            if not route.public:
                self.authenticate(request)
            self.ensure_indexed()
            self.before(route, request)
            response = route.handler(request, m)
        except ApiError as exc:
            response = self.error(exc.status, exc.message)
            response.headers.update(exc.headers)
        self.decorate(request, response)
        return response

    def authenticate(self, request: ApiRequest) -> None:
        """Raise ``ApiError(401, …)`` unless the request carries the configured credential."""
        raise NotImplementedError

    def before(self, route: Route, request: ApiRequest) -> None:
        """Hook for per-endpoint checks after authentication (rate limits)."""

    def decorate(self, request: ApiRequest, response: ApiResponse) -> None:
        """Hook to add headers every response of this vendor carries."""

    def error(self, status: int, message: str) -> ApiResponse:
        """The vendor's error envelope for ``status``."""
        raise NotImplementedError


# --- parameters ------------------------------------------------------------------------------


def parse_int(
    value: str | None,
    name: str,
    *,
    default: int | None = None,
    low: int | None = None,
    high: int | None = None,
) -> int:
    """An integer parameter within bounds, or a 400 that names the parameter and the bounds."""
    if value is None or value == "":
        if default is None:
            raise ApiError(400, f"{name} is required")
        return default
    try:
        number = int(value)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, got {value!r}") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise ApiError(400, f"{name} must be between {low} and {high}, got {number}")
    return number


def parse_rfc3339(value: str | None, name: str) -> datetime:
    """An RFC 3339 timestamp (``Z`` or offset); a value without zone is read as UTC."""
    if not value:
        raise ApiError(400, f"{name} is required (RFC 3339, e.g. 2026-10-02T00:00:00Z)")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(
            400, f"{name} must be an RFC 3339 timestamp such as 2026-10-02T00:00:00Z, got {value!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_day(value: str | None, name: str) -> date:
    """A ``YYYY-MM-DD`` day (exactly that pattern, as the vendors validate it)."""
    if not value or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ApiError(400, f"{name} must be a day in the form YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name} is not a valid calendar day: {value!r}") from None


def check_choices(values: Iterable[str], allowed: Sequence[str], name: str) -> list[str]:
    """Reject unknown enum values with a message listing the allowed ones."""
    out = []
    for value in values:
        if value not in allowed:
            raise ApiError(400, f"{name}: {value!r} is not one of {', '.join(allowed)}")
        if value not in out:
            out.append(value)
    return out


# --- page tokens -----------------------------------------------------------------------------


def encode_page(kind: str, position: int | str) -> str:
    """An opaque page token; the ``kind`` stops a token of one endpoint being used at another."""
    raw = f"{kind}:{position}".encode()
    return "page_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page(token: str, kind: str) -> str:
    """The position inside a page token, or a 400 if the token is not one of ours for ``kind``."""
    try:
        if not token.startswith("page_"):
            raise ValueError
        body = token[5:]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        token_kind, position = raw.split(":", 1)
        if token_kind != kind:
            raise ValueError
    except ValueError:
        raise ApiError(400, f"page: invalid page token {token!r}") from None
    return position


# --- time and money --------------------------------------------------------------------------


def epoch(at: datetime) -> int:
    return int(at.timestamp())


def epoch_ms(at: datetime) -> int:
    """Milliseconds since the epoch, exact (no float rounding of microseconds)."""
    delta = at - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def rfc3339(at: datetime) -> str:
    """``2026-10-02T00:00:00Z``: the form the Anthropic reports use."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(at: datetime) -> str:
    """``2026-10-02T00:00:02.000Z``: the form the Copilot reports use."""
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def days(start: date, end: date) -> Iterator[date]:
    """The days in ``[start, end)``."""
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def decimal_text(amount: Decimal) -> str:
    """A decimal as plain text without exponent or trailing zeros ("123.78912", "0")."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def split_amount(total: Decimal, weights: Sequence[Decimal], quantum: Decimal) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights``, rounded to ``quantum``, summing exactly.

    Cost reports break one total down by token type; the parts must add back to the total so
    that a client summing the breakdown recovers the truth to the last digit. The remainder
    goes to the last non-zero weight.
    """
    weight_sum = sum(weights, Decimal(0))
    parts = [Decimal(0)] * len(weights)
    if weight_sum == 0:
        if weights:
            parts[-1] = total
        return parts
    last = max(i for i, w in enumerate(weights) if w)
    for i, w in enumerate(weights):
        if i != last and w:
            parts[i] = (total * w / weight_sum).quantize(quantum)
    parts[last] = total - sum(parts, Decimal(0))
    return parts


def stable_hash(*parts: object) -> int:
    """A hash that is the same in every process (``hash()`` is salted per process)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def pick(options: Sequence[Any], *parts: object) -> Any:
    """A deterministic choice among ``options`` keyed by ``parts``."""
    return options[stable_hash(*parts) % len(options)]


def model_display_name(model: str) -> str:
    """``claude-sonnet-5-5`` → ``Claude Sonnet 5.5``; ``gpt-5.4-mini`` → ``GPT 5.4 Mini``.

    Cost-report descriptions and billing line items name models for people, not by API id;
    dated snapshots (``-20250929``) are dropped as the vendors' own descriptions do.
    """
    words: list[str] = []
    numbers: list[str] = []
    for token in model.split("-"):
        if re.fullmatch(r"\d{8}", token):
            continue
        if re.fullmatch(r"[\d.]+", token):
            numbers.append(token)
            continue
        if numbers:
            words.append(".".join(numbers))
            numbers = []
        words.append(token.upper() if token in {"gpt", "o"} else token.capitalize())
    if numbers:
        words.append(".".join(numbers))
    return " ".join(words)


# --- walking the world -----------------------------------------------------------------------


def people_by_id(world: World) -> dict[str, Person]:
    """People by id, built here: ``World`` is a slots dataclass, so its cached properties
    cannot cache (and raise); a plain dict per vendor is cheap and always works."""
    return {p.person_id: p for p in world.people}


def requests_of(world: World, platforms: Iterable[str]) -> Iterator[tuple[AISession, AIRequest]]:
    """Every (session, request) of the given platforms, in world order."""
    wanted = set(platforms)
    for session in world.sessions:
        if session.platform in wanted:
            for request in session.requests:
                yield session, request


# --- bucketed aggregation --------------------------------------------------------------------


class TimeSeriesIndex:
    """Usage rows pre-aggregated by hour and by day, for bucketed reports.

    A row is (time, dimension tuple, values); values are summed (ints or Decimals). Hour and day
    buckets read a pre-aggregated map, so a page costs O(groups in its buckets), never
    O(requests); minute buckets bisect the time-sorted rows, which a minute always makes small.
    """

    def __init__(self, rows: Iterable[tuple[datetime, tuple[Any, ...], Sequence[Any]]]) -> None:
        sorted_rows = sorted(
            ((epoch(at), dims, tuple(values)) for at, dims, values in rows), key=lambda row: row[0]
        )
        self._rows = sorted_rows
        self._times = [row[0] for row in sorted_rows]
        self._by_width: dict[int, dict[int, dict[tuple[Any, ...], list[Any]]]] = {}
        for width in (BUCKET_SECONDS["1h"], BUCKET_SECONDS["1d"]):
            buckets: dict[int, dict[tuple[Any, ...], list[Any]]] = {}
            for t, dims, values in sorted_rows:
                groups = buckets.setdefault(t - t % width, {})
                acc = groups.get(dims)
                if acc is None:
                    groups[dims] = list(values)
                else:
                    for i, v in enumerate(values):
                        acc[i] += v
            self._by_width[width] = buckets

    def bucket(self, start: int, width: int) -> Iterator[tuple[tuple[Any, ...], Sequence[Any]]]:
        """(dims, summed values) of every group in the bucket ``[start, start + width)``."""
        if width in self._by_width and start % width == 0:
            yield from self._by_width[width].get(start, {}).items()
            return
        groups: dict[tuple[Any, ...], list[Any]] = {}
        lo = bisect_left(self._times, start)
        hi = bisect_left(self._times, start + width)
        for _t, dims, values in self._rows[lo:hi]:
            acc = groups.get(dims)
            if acc is None:
                groups[dims] = list(values)
            else:
                for i, v in enumerate(values):
                    acc[i] += v
        yield from groups.items()

    def grouped(
        self,
        start: int,
        width: int,
        keep: Sequence[bool],
        accept: Callable[[tuple[Any, ...]], bool] | None = None,
    ) -> list[tuple[tuple[Any, ...], list[Any]]]:
        """The bucket re-grouped on the kept dimensions (others become None), sorted.

        Sorting makes results deterministic; ``None`` sorts first.
        """
        out: dict[tuple[Any, ...], list[Any]] = {}
        for dims, values in self.bucket(start, width):
            if accept is not None and not accept(dims):
                continue
            key = tuple(d if k else None for d, k in zip(dims, keep, strict=True))
            acc = out.get(key)
            if acc is None:
                out[key] = list(values)
            else:
                for i, v in enumerate(values):
                    acc[i] += v
        return sorted(out.items(), key=lambda kv: tuple((d is not None, str(d)) for d in kv[0]))


def bucket_page(
    start: int, end: int, width: int, limit: int, page: int | None
) -> tuple[list[int], int | None]:
    """Bucket starts for one page and the start of the next page (None on the last page).

    ``start`` is already snapped to the width; ``page`` is the first bucket of this page.
    """
    first = start if page is None else page
    if first < start or (first - start) % width:
        raise ApiError(400, "page: the page token does not belong to this time range")
    starts = []
    t = first
    while t < end and len(starts) < limit:
        starts.append(t)
        t += width
    return starts, (t if t < end else None)
