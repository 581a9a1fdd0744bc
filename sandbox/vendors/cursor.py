"""The Cursor Admin API's view of the world (vendor-apis.md §4).

One usage event per Cursor request (``filtered-usage-events``, epoch-ms bounds both inclusive,
newest first), daily per-user activity (``daily-usage-data``), the team roster (``members``) and
the current billing cycle's spend (``spend``). ``chargedCents`` of an event is exactly the
request's true cost in cents; ``tokenUsage.totalCents`` is the model cost before the Cursor Token
Rate and any discount, as the docs define it.

The sandbox's team is on the Enterprise plan unless told otherwise, so the AI Code Tracking API
answers too (``GET /analytics/ai-code/commits``): one item per commit made in a Cursor session.
On other plans it answers ``403``.

Cursor limits each endpoint per team per minute; the sandbox enforces those limits (scaled by
``rate_limit_scale``) and answers ``429`` with the documented body plus a ``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import threading
import time
import uuid
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from sandbox.model import AIRequest, AISession, Commit, Person, PullRequest, World
from sandbox.vendors import (
    ApiError,
    ApiRequest,
    ApiResponse,
    JsonObject,
    Route,
    VendorApi,
    check_choices,
    day_start,
    days,
    epoch_ms,
    iso_ms,
    parse_int,
    people_by_id,
    pick,
    stable_hash,
)

DAY_MS = 86_400_000
MAX_DAILY_RANGE_MS = 30 * DAY_MS
AI_CODE_DEFAULT_RANGE_MS = 7 * DAY_MS
# A commit counts as the session's if authored by its end plus this grace (as the generator has it).
COMMIT_GRACE = timedelta(minutes=5)
# Requests per minute per endpoint (Aug-2026 docs); other endpoints default to 20.
RATE_LIMITS = {
    "POST /teams/filtered-usage-events": 60,
    "POST /teams/daily-usage-data": 20,
}
DEFAULT_RATE_LIMIT = 20
RATE_LIMIT_BODY = {
    "error": "Too Many Requests",
    "message": "Rate limit exceeded. Please try again later.",
}
HOSTING_TYPES = ("CLOUD", "SELF_HOSTED", "SELF_HOSTED_POOL", "SELF_HOSTED_MACHINE")
REQUEST_KINDS = ("agent",) * 14 + ("composer",) * 3 + ("chat",) * 2 + ("cmdk",)
EXTENSIONS = (".py", ".ts", ".tsx", ".go", ".rs")
CLIENT_VERSIONS = ("1.7.2", "1.7.5", "1.8.0", "1.8.1")
INCLUDED = "Included in Business"
USAGE_BASED = "Usage-based"
SIX = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Event:
    """A Cursor request, positioned for the events index."""

    ms: int
    person: Person
    session: AISession
    index: int
    request: AIRequest

    @property
    def kind(self) -> str:
        # About 40% of events are billed on demand; the rest fall in the plan's included usage.
        return USAGE_BASED if self._hash % 10 < 4 else INCLUDED

    @property
    def _hash(self) -> int:
        return stable_hash("cursor-event", self.session.session_id, self.index)


def cursor_email(person: Person) -> str:
    return person.vendor_emails.get("cursor") or person.work_email


def cursor_numeric_id(person: Person) -> int:
    value = person.vendor_user_ids.get("cursor_numeric")
    return (
        int(value) if value and value.isdigit() else 10_000 + stable_hash(person.person_id) % 10**6
    )


def cursor_user_id(person: Person) -> str:
    return person.vendor_user_ids.get("cursor") or f"user_{person.person_id}"


def cents(amount: Decimal) -> float:
    """Dollars → cents as a JSON number, exact to the digits the Decimal carries."""
    return float(amount * 100)


class CursorApi(VendorApi):
    """Serves the Cursor Admin endpoints and enforces Cursor's per-minute limits."""

    vendor = "cursor"

    def __init__(
        self,
        world: World,
        admin_key: str,
        *,
        rate_limit_scale: float = 1.0,
        enterprise: bool = True,
    ) -> None:
        super().__init__()
        self.enterprise = enterprise
        self.world = world
        self.people = people_by_id(world)
        self.admin_key = admin_key
        self.rate_limit_scale = rate_limit_scale
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        # The sandbox's "now": the end of the last simulated day.
        self.now_ms = epoch_ms(day_start(world.end))
        last_day = world.end - timedelta(days=1)
        self.cycle_start = date(last_day.year, last_day.month, 1)

        self.add_route("GET", "/teams/members", self._members)
        self.add_route("POST", "/teams/daily-usage-data", self._daily)
        self.add_route("POST", "/teams/filtered-usage-events", self._events)
        self.add_route("POST", "/teams/spend", self._spend)
        self.add_route("GET", "/analytics/ai-code/commits", self._ai_commits)

    # --- indexes ---------------------------------------------------------------------------

    def build_indexes(self) -> None:
        world = self.world
        events: list[Event] = []
        for session in world.sessions:
            if session.platform != "cursor":
                continue
            person = self.people[session.person_id]
            for i, r in enumerate(session.requests):
                events.append(Event(epoch_ms(r.at), person, session, i, r))
        users = {e.person.person_id: e.person for e in events}
        members = [p for p in world.people if "cursor" in p.platforms or p.person_id in users]
        self.members = members
        # Members removed from the team: their events and days stay in the usage reports, but
        # the team's members and spend no longer list them.
        removed = [u.former for u in world.unassigned if u.platform == "cursor" and u.former]
        for usage in world.unassigned:
            if usage.platform == "cursor" and usage.former is not None:
                for session in usage.sessions:
                    for i, r in enumerate(session.requests):
                        events.append(Event(epoch_ms(r.at), usage.former, session, i, r))
        self.users = members + removed
        self.by_email = {cursor_email(p): p for p in self.users}
        self.by_numeric = {cursor_numeric_id(p): p for p in self.users}

        # Ascending by (time, user, session, index): a total order, so pages are stable and
        # ties at the same millisecond never overlap or skip a page boundary.
        def order(e: Event) -> tuple[int, int, str, int]:
            return (e.ms, cursor_numeric_id(e.person), e.session.session_id, e.index)

        events.sort(key=order)
        self.events = events
        self.event_ms = [e.ms for e in events]
        per_user: dict[str, list[Event]] = defaultdict(list)
        for e in events:
            per_user[e.person.person_id].append(e)
        self.user_events = {pid: (es, [e.ms for e in es]) for pid, es in per_user.items()}

        # Daily activity per (person, day) for daily-usage-data.
        self.daily: dict[tuple[str, date], list[Event]] = defaultdict(list)
        for e in events:
            self.daily[(e.person.person_id, e.request.at.astimezone(UTC).date())].append(e)

        # Spend in the current billing cycle.
        cycle_ms = epoch_ms(day_start(self.cycle_start))
        self.spend: dict[str, list[Any]] = {
            p.person_id: [Decimal(0), Decimal(0), 0] for p in members
        }
        for e in events[bisect_left(self.event_ms, cycle_ms) :]:
            acc = self.spend.get(e.person.person_id)
            if acc is None:
                continue  # a removed member's spend is no longer listed
            acc[1] += e.request.cost_usd
            acc[2] += 1
            if e.kind == USAGE_BASED:
                acc[0] += e.request.cost_usd

        # AI code commits, ascending by (commitTs, commitHash); per user for the ``user`` filter.
        commits = ai_code_rows(world, self.people)
        self.ai_commits = [item for _ms, _pid, item in commits]
        self.ai_commit_ms = [ms for ms, _pid, _item in commits]
        per_user_commits: dict[str, tuple[list[JsonObject], list[int]]] = defaultdict(
            lambda: ([], [])
        )
        for ms, pid, item in commits:
            items, times = per_user_commits[pid]
            items.append(item)
            times.append(ms)
        self.user_ai_commits = dict(per_user_commits)
        # ``user`` may be an email, an encoded id or a numeric id, as the docs allow.
        self.ai_users: dict[str, str] = {}
        for p in [*world.people, *removed]:
            for key in (cursor_email(p), cursor_user_id(p), str(cursor_numeric_id(p))):
                self.ai_users.setdefault(key, p.person_id)

    # --- protocol --------------------------------------------------------------------------

    def authenticate(self, request: ApiRequest) -> None:
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("basic "):
            raise ApiError(401, "Missing API key: use HTTP Basic auth with the key as username")
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise ApiError(401, "Malformed Basic authorization header") from None
        if user != self.admin_key or password:
            raise ApiError(401, "Invalid API key")

    def before(self, route: Route, request: ApiRequest) -> None:
        """Cursor's per-endpoint, per-minute limits, over a sliding one-minute window."""
        limit = max(1, int(RATE_LIMITS.get(route.name, DEFAULT_RATE_LIMIT) * self.rate_limit_scale))
        now = time.monotonic()
        with self._lock:
            calls = self._calls[route.name]
            while calls and calls[0] <= now - 60:
                calls.popleft()
            if len(calls) >= limit:
                wait = max(1, math.ceil(calls[0] + 60 - now))
                raise ApiError(429, RATE_LIMIT_BODY["message"], headers={"Retry-After": str(wait)})
            calls.append(now)

    def error(self, status: int, message: str) -> ApiResponse:
        if status == 429:
            return ApiResponse(429, dict(RATE_LIMIT_BODY))
        if status == 404:
            return ApiResponse(404, {"error": "Not Found", "message": "Resource not found"})
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        return ApiResponse(status, {"error": phrase, "message": message})

    # --- endpoints -------------------------------------------------------------------------

    def _members(self, _request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        return ApiResponse(
            200,
            {
                "teamMembers": [
                    {
                        "id": cursor_user_id(p),
                        "name": p.name,
                        "email": cursor_email(p),
                        "role": "owner" if i == 0 else "member",
                        "isRemoved": False,
                    }
                    for i, p in enumerate(self.members)
                ]
            },
        )

    def _daily(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        body = request.json_body()
        start_ms = body_int(body, "startDate")
        end_ms = body_int(body, "endDate")
        if end_ms < start_ms:
            raise ApiError(400, "endDate must not be before startDate")
        if end_ms - start_ms > MAX_DAILY_RANGE_MS:
            raise ApiError(400, "Date range cannot exceed 30 days (startDate to endDate)")
        # Days are whole UTC days; both bounds inclusive, as Cursor treats them.
        first = ms_date(start_ms)
        last = ms_date(end_ms)
        span = list(days(first, last + timedelta(days=1)))
        paged = "page" in body or "pageSize" in body
        if not paged:
            rows = [
                self._daily_row(p, d)
                for d in span
                for p in sorted(self.users, key=cursor_numeric_id)
                if (p.person_id, d) in self.daily
            ]
            return ApiResponse(
                200, {"data": rows, "period": {"startDate": start_ms, "endDate": end_ms}}
            )
        page = body_int(body, "page", default=1, low=1)
        size = body_int(body, "pageSize", default=1000, low=1, high=1000)
        members = sorted(self.members, key=cursor_numeric_id)
        pages = max(1, math.ceil(len(members) / size))
        chosen = members[(page - 1) * size : page * size]
        rows = [self._daily_row(p, d) for d in span for p in chosen]
        return ApiResponse(
            200,
            {
                "data": rows,
                "period": {"startDate": start_ms, "endDate": end_ms},
                "pagination": {
                    "page": page,
                    "pageSize": size,
                    "totalUsers": len(members),
                    "totalPages": pages,
                    "hasNextPage": page < pages,
                    "hasPreviousPage": page > 1,
                },
            },
        )

    def _daily_row(self, person: Person, day: date) -> JsonObject:
        events = self.daily.get((person.person_id, day), [])
        kinds = Counter(pick(REQUEST_KINDS, e.session.session_id, e.index) for e in events)
        billing = Counter(e.kind for e in events)
        models = Counter(e.request.model for e in events)
        top_model = min(models, key=lambda m: (-models[m], m)) if models else None
        active = bool(events)
        added = sum(e.request.lines_added for e in events)
        removed = sum(e.request.lines_removed for e in events)
        return {
            "userId": cursor_numeric_id(person),
            "day": day.isoformat(),
            "date": epoch_ms(day_start(day)),
            "isActive": active,
            "totalLinesAdded": added,
            "totalLinesDeleted": removed,
            "acceptedLinesAdded": added,
            "acceptedLinesDeleted": removed,
            "totalApplies": sum(
                e.request.edits_accepted + e.request.edits_rejected for e in events
            ),
            "totalAccepts": sum(e.request.edits_accepted for e in events),
            "totalRejects": sum(e.request.edits_rejected for e in events),
            "totalTabsShown": 0,
            "totalTabsAccepted": 0,
            "composerRequests": kinds["composer"],
            "chatRequests": kinds["chat"],
            "agentRequests": kinds["agent"],
            "cmdkUsages": kinds["cmdk"],
            "subscriptionIncludedReqs": billing[INCLUDED],
            "apiKeyReqs": 0,
            "usageBasedReqs": billing[USAGE_BASED],
            "bugbotUsages": 0,
            "mostUsedModel": top_model,
            "applyMostUsedExtension": pick(EXTENSIONS, person.person_id) if active else None,
            "tabMostUsedExtension": None,
            "clientVersion": pick(CLIENT_VERSIONS, person.person_id) if active else None,
            "email": cursor_email(person),
        }

    def _events(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        body = request.json_body()
        end_ms = body_int(body, "endDate", default=self.now_ms - 1)
        start_ms = body_int(body, "startDate", default=end_ms - MAX_DAILY_RANGE_MS)
        if end_ms < start_ms:
            raise ApiError(400, "endDate must not be before startDate")
        page = body_int(body, "page", default=1, low=1)
        size = body_int(body, "pageSize", default=100, low=1, high=1000)
        hosting = body.get("hostingType")
        if hosting is not None:
            check_choices([str(hosting)], HOSTING_TYPES, "hostingType")
        person: Person | None = None
        empty = False
        if body.get("email") is not None:
            person = self.by_email.get(str(body["email"]))
            empty |= person is None
        if body.get("userId") is not None:
            by_id = self.by_numeric.get(body_int(body, "userId"))
            empty |= by_id is None or (person is not None and by_id is not person)
            person = person or by_id
        # No simulated request ran in a cloud agent, an automation or a service account.
        empty |= any(body.get(k) for k in ("hostingType", "cloudAgentId", "automationId"))
        empty |= bool(body.get("serviceAccountId"))
        events, times = self.events, self.event_ms
        if empty:
            events, times = [], []
        elif person is not None:
            events, times = self.user_events.get(person.person_id, ([], []))
        # Both bounds inclusive: [lo, hi) over the ascending index.
        lo = bisect_left(times, start_ms)
        hi = bisect_right(times, end_ms)
        total = hi - lo
        pages = math.ceil(total / size)
        # Newest first: page 1 starts at the newest event in range.
        top = hi - (page - 1) * size
        chosen = (
            [events[i] for i in range(top - 1, max(lo, top - size) - 1, -1)] if top > lo else []
        )
        return ApiResponse(
            200,
            {
                "totalUsageEventsCount": total,
                "pagination": {
                    "numPages": pages,
                    "currentPage": page,
                    "pageSize": size,
                    "hasNextPage": page < pages,
                    "hasPreviousPage": page > 1,
                },
                "usageEvents": [event_json(e) for e in chosen],
                "period": {"startDate": start_ms, "endDate": end_ms},
            },
        )

    def _ai_commits(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        if not self.enterprise:
            raise ApiError(403, "The AI Code Tracking API is available on Enterprise plans only")
        end_raw = request.param("endDate")
        start_raw = request.param("startDate")
        end_ms = self._date_bound(end_raw, "endDate", end_of_day=True, default=self.now_ms)
        start_ms = self._date_bound(
            start_raw, "startDate", end_of_day=False, default=end_ms - AI_CODE_DEFAULT_RANGE_MS
        )
        if end_ms < start_ms:
            # Only a given startDate can pass the end: the default one is 7 days before it.
            raise ApiError(
                400, f"endDate ({end_raw or 'now'}) must not be before startDate ({start_raw})"
            )
        page = parse_int(request.param("page"), "page", default=1, low=1, high=10**9)
        size = parse_int(request.param("pageSize"), "pageSize", default=100, low=1, high=1000)
        items, times = self.ai_commits, self.ai_commit_ms
        user = request.param("user")
        if user:
            pid = self.ai_users.get(user)
            items, times = self.user_ai_commits.get(pid, ([], [])) if pid else ([], [])
        lo = bisect_left(times, start_ms)
        hi = bisect_right(times, end_ms)
        first = lo + (page - 1) * size
        return ApiResponse(
            200,
            {
                "items": [dict(i) for i in items[first : min(hi, first + size)]],
                "totalCount": hi - lo,
                "page": page,
                "pageSize": size,
            },
        )

    def _date_bound(self, value: str | None, name: str, *, end_of_day: bool, default: int) -> int:
        """``startDate``/``endDate`` in epoch ms: an ISO day or datetime, ``now`` or ``Nd``.

        A bare day covers the whole UTC day, so a one-day window is ``start == end``.
        """
        if value is None or value == "":
            return default
        if value == "now":
            return self.now_ms
        relative = re.fullmatch(r"(\d{1,6})d", value)
        if relative:
            return self.now_ms - int(relative.group(1)) * DAY_MS
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                start = epoch_ms(day_start(date.fromisoformat(value)))
                return start + DAY_MS - 1 if end_of_day else start
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}T.+", value):
                at = datetime.fromisoformat(value)
                return epoch_ms(at if at.tzinfo else at.replace(tzinfo=UTC))
        except (ValueError, OverflowError):
            pass
        raise ApiError(
            400,
            f"{name} must be an ISO date (YYYY-MM-DD), an ISO datetime, 'now' or relative days "
            f"like '7d', got {value!r}",
        )

    def _spend(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        body = request.json_body()
        sort_by = str(body.get("sortBy", "date"))
        check_choices([sort_by], ("amount", "date", "user"), "sortBy")
        direction = str(body.get("sortDirection", "desc"))
        check_choices([direction], ("asc", "desc"), "sortDirection")
        page = body_int(body, "page", default=1, low=1)
        size = body_int(body, "pageSize", default=100, low=1, high=1000)
        term = str(body.get("searchTerm") or "").lower()
        members = [
            p for p in self.members if term in p.name.lower() or term in cursor_email(p).lower()
        ]
        keys: dict[str, Callable[[Person], Any]] = {
            "amount": lambda p: (self.spend[p.person_id][0], cursor_numeric_id(p)),
            "date": lambda p: (p.joined_on or self.world.start, cursor_numeric_id(p)),
            "user": lambda p: (p.name, cursor_numeric_id(p)),
        }
        members.sort(key=keys[sort_by], reverse=direction == "desc")
        pages = max(1, math.ceil(len(members) / size))
        rows = []
        for p in members[(page - 1) * size : page * size]:
            on_demand, overall, count = self.spend[p.person_id]
            limit = 200 if stable_hash("cursor-limit", p.person_id) % 4 == 0 else None
            rows.append(
                {
                    "userId": cursor_user_id(p),
                    "spendCents": cents(on_demand),
                    "overallSpendCents": cents(overall),
                    "fastPremiumRequests": count,
                    "name": p.name,
                    "email": cursor_email(p),
                    "role": "owner" if p is self.members[0] else "member",
                    "hardLimitOverrideDollars": 0,
                    "monthlyLimitDollars": limit,
                    "effectivePerUserLimitDollars": limit or 100,
                }
            )
        return ApiResponse(
            200,
            {
                "teamMemberSpend": rows,
                "subscriptionCycleStart": epoch_ms(day_start(self.cycle_start)),
                "totalMembers": len(members),
                "totalPages": pages,
            },
        )


def ai_code_commits(world: World) -> list[JsonObject]:
    """Every commit made with Cursor's AI, as ``/analytics/ai-code/commits`` serves it, unfiltered.

    The ground truth for the endpoint: ascending by (commitTs, commitHash).
    """
    return [item for _ms, _pid, item in ai_code_rows(world, people_by_id(world))]


def ai_code_rows(world: World, people: dict[str, Person]) -> list[tuple[int, str, JsonObject]]:
    """(commit epoch ms, person id, item) per AI commit, sorted as the endpoint pages them.

    A session's commits are its PR's commits authored while it ran (plus a grace): the same rule
    that sets ``AISession.commits_during``. The first session claiming a commit owns it.
    """
    prs: dict[tuple[str, int], PullRequest] = {
        (pr.repo, pr.number): pr for repo in world.repositories for pr in repo.pull_requests
    }
    rows: list[tuple[int, str, JsonObject]] = []
    seen: set[str] = set()
    for session in world.sessions:
        if session.platform != "cursor" or session.pr is None:
            continue
        pr = prs.get(session.pr)
        if pr is None:
            continue
        person = people[session.person_id]
        for commit in pr.commits:
            if commit.oid is None or commit.oid in seen:
                continue
            if session.started_at <= commit.authored_at <= session.ended_at + COMMIT_GRACE:
                seen.add(commit.oid)
                item = ai_commit_json(commit, commit.oid, pr, person)
                rows.append((epoch_ms(commit.authored_at), person.person_id, item))
    rows.sort(key=lambda row: (row[0], row[2]["commitHash"]))
    return rows


def ai_commit_json(commit: Commit, oid: str, pr: PullRequest, person: Person) -> JsonObject:
    """One AI code commit; the tab/composer/non-AI split is derived from the oid alone, so the
    world's random draws (and so the world itself) stay untouched."""
    h = stable_hash("cursor-ai-commit", oid)
    composer_pct = 50 + h % 41
    tab_pct = (h >> 16) % 21

    def split(total: int) -> tuple[int, int, int]:
        # Rounded to nearest: floors would leave small commits without any tab lines.
        composer = (total * composer_pct + 50) // 100
        tab = ((total - composer) * tab_pct + 50) // 100
        return tab, composer, total - composer - tab

    tab_added, composer_added, non_ai_added = split(commit.additions)
    tab_deleted, composer_deleted, non_ai_deleted = split(commit.deletions)
    # Cursor records a commit shortly after it is made.
    created = commit.authored_at + timedelta(seconds=10 + (h >> 32) % 50)
    return {
        "commitHash": oid,
        "userId": cursor_user_id(person),
        "userEmail": cursor_email(person),
        "repoName": pr.repo,
        "branchName": pr.head_ref,
        "isPrimaryBranch": False,
        "totalLinesAdded": commit.additions,
        "totalLinesDeleted": commit.deletions,
        "tabLinesAdded": tab_added,
        "tabLinesDeleted": tab_deleted,
        "composerLinesAdded": composer_added,
        "composerLinesDeleted": composer_deleted,
        "nonAiLinesAdded": non_ai_added,
        "nonAiLinesDeleted": non_ai_deleted,
        "message": commit.message,
        "commitTs": iso_ms(commit.authored_at),
        "createdAt": iso_ms(created),
    }


def event_json(e: Event) -> JsonObject:
    """One usage event; ``chargedCents`` / 100 is exactly the request's true cost in dollars.

    Some events carry the Cursor Token Rate (third-party models), some a discount; the model
    cost before both (``totalCents``) is derived backwards so the documented rule holds:
    charged = total × (1 − discount) + fee.
    """
    r = e.request
    h = stable_hash("cursor-event", e.session.session_id, e.index)
    charged = r.cost_usd * 100
    tokens = r.input_tokens + r.output_tokens + r.cache_read_tokens
    tokens += r.cache_write_5m_tokens + r.cache_write_1h_tokens
    own_model = r.model.startswith(("composer", "cursor"))
    fee = None
    if not own_model and (h >> 8) % 2 == 0:
        # $0.25 per million tokens, in cents; never more than a fifth of the charge.
        fee = min(Decimal(tokens) * Decimal("0.000025"), charged / 5).quantize(SIX)
    discount = 10 if (h >> 16) % 8 == 0 else None
    total = charged - (fee or 0)
    if discount:
        total = total / (1 - Decimal(discount) / 100)
    token_usage: JsonObject = {
        "inputTokens": r.input_tokens,
        "outputTokens": r.output_tokens,
        "cacheWriteTokens": r.cache_write_5m_tokens + r.cache_write_1h_tokens,
        "cacheReadTokens": r.cache_read_tokens,
        "totalCents": float(total.quantize(SIX)),
    }
    if discount:
        token_usage["discountPercentOff"] = discount
    kind = e.kind
    event: JsonObject = {
        "timestamp": str(e.ms),
        "userEmail": cursor_email(e.person),
        "conversationId": str(uuid.uuid5(uuid.NAMESPACE_URL, "cursor:" + e.session.session_id)),
        "model": r.model,
        "kind": kind,
        "maxMode": (h >> 24) % 3 == 0,
        "requestsCosts": max(1.0, round(float(charged) / 4, 1)),
        "isTokenBasedCall": True,
        "isChargeable": kind == USAGE_BASED,
        "isHeadless": False,
        "tokenUsage": token_usage,
        "chargedCents": float(charged),
    }
    if fee is not None:
        event["cursorTokenFee"] = float(fee)
    return event


def body_int(
    body: JsonObject,
    name: str,
    *,
    default: int | None = None,
    low: int | None = None,
    high: int | None = None,
) -> int:
    """An integer body field (epoch ms, page…) with a 400 naming the field when it is wrong."""
    value = body.get(name)
    if value is None:
        if default is None:
            raise ApiError(400, f"{name} is required")
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ApiError(400, f"{name} must be a number, got {value!r}")
    try:
        number = int(value)
        if isinstance(value, float) and value != number:
            raise ValueError
    except ValueError:
        raise ApiError(400, f"{name} must be an integer number, got {value!r}") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise ApiError(400, f"{name} must be between {low} and {high}, got {number}")
    return number


def ms_date(ms: int) -> date:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)).date()
