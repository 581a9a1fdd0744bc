"""GitHub's view of the world: Copilot REST endpoints and the GraphQL pass-through (§3, §5).

* Usage-metrics reports: ``users-1-day`` / ``users-28-day/latest`` answer with signed-looking
  download links to NDJSON files the sandbox serves without auth, one record per user per day
  built from that day's Copilot requests; big days are split over several files.
* ``copilot/billing/seats`` (page/per_page, ``Link`` header) and the AI-credit billing usage.
* ``POST /graphql`` is answered by ``sandbox.github_graphql.GraphQLApi`` (imported lazily, as
  it is written separately), behind the same token check.

Every authenticated REST response carries GitHub's ``x-ratelimit-*`` headers; the REST budget
(5,000 an hour, scaled by ``rate_limit_scale``) is enforced with a 403 as GitHub does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import math
import re
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from sandbox.model import AIRequest, AISession, CopilotSeat, Person, World
from sandbox.vendors import (
    ApiError,
    ApiRequest,
    ApiResponse,
    JsonObject,
    Route,
    VendorApi,
    day_start,
    days,
    iso_ms,
    model_display_name,
    parse_day,
    parse_int,
    people_by_id,
    pick,
    rfc3339,
    stable_hash,
)

DOCS = "https://docs.github.com/rest"
# What GitHub answers when the organisation cannot read Copilot's reports or seats. A 404's
# message is always "Not Found" (see ``GitHubApi.error``).
REPORT_REFUSALS = {
    403: "Copilot usage metrics are disabled by this organization's Copilot policy.",
    404: "Not Found",
    422: "Copilot Usage Metrics API setting is disabled",
}
SEAT_REFUSALS = {
    403: "Resource not accessible by personal access token",
    404: "Not Found",
}
REST_LIMIT_PER_HOUR = 5000
# Feature of a Copilot session (one per session, weighted), and the IDEs people use.
FEATURES = (
    ("code_completion",) * 4
    + ("chat_panel_ask_mode",) * 2
    + ("chat_panel_agent_mode",) * 3
    + ("agent_edit",) * 2
    + ("copilot_cli",) * 2
)
CHAT_FEATURES = {"chat_panel_ask_mode", "chat_panel_agent_mode"}
AGENT_FEATURES = {"chat_panel_agent_mode", "agent_edit"}
# Suggestions shown to the user; agent edits and the CLI write directly.
SUGGESTING = {"code_completion", "chat_panel_ask_mode"}
IDES = (("vscode", "1.105.1"), ("intellij", "2026.2.1"), ("visualstudio", "17.14.3"))
PLUGIN_VERSION = "1.372.0"
CLI_VERSION = "1.0.41"
LANGUAGES = ("python", "typescript", "go", "java", "markdown")
COUNTERS = (
    "user_initiated_interaction_count",
    "code_generation_activity_count",
    "code_acceptance_activity_count",
    "loc_suggested_to_add_sum",
    "loc_suggested_to_delete_sum",
    "loc_added_sum",
    "loc_deleted_sum",
)


def session_feature(session: AISession) -> str:
    return pick(FEATURES, "copilot-feature", session.session_id)


def request_counters(feature: str, index: int, r: AIRequest) -> list[int]:
    """The report's counters for one request, in ``COUNTERS`` order."""
    prompt = 1 if feature != "code_completion" and index % 3 == 0 else 0
    suggesting = feature in SUGGESTING
    return [
        prompt,
        1,
        r.edits_accepted,
        r.lines_added if suggesting else 0,
        r.lines_removed if suggesting else 0,
        r.lines_added,
        r.lines_removed,
    ]


def node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"04:{kind}{number}".encode()).decode()


class GitHubApi(VendorApi):
    """Serves the Copilot REST endpoints, the report downloads and ``POST /graphql``."""

    vendor = "github"

    def __init__(
        self,
        world: World,
        token: str,
        *,
        rate_limit_scale: float = 1.0,
        records_per_file: int = 100,
        as_of: date | None = None,
    ) -> None:
        super().__init__()
        self.as_of = as_of
        self.world = world
        self.people = people_by_id(world)
        self.token = token
        self.records_per_file = max(1, records_per_file)
        # GitHub's GraphQL budget is also 5,000 (points) an hour; both scale together.
        self.rest_limit = max(1, int(REST_LIMIT_PER_HOUR * rate_limit_scale))
        self._secret = hashlib.sha256(f"copilot-downloads:{world.seed}:{token}".encode()).digest()
        self._lock = threading.Lock()
        self._window_start = time.time()
        self._used = 0
        self._graphql: Any = None
        self.last_day = world.end - timedelta(days=1)
        self.org_id = str(1_000_000 + stable_hash("github-org", world.org) % 10**8)
        self.enterprise_id = str(200_000 + stable_hash("github-enterprise", world.org) % 10**5)
        self._day_records = lru_cache(maxsize=64)(self._build_day_records)

        # Statistics name endpoints by their documented paths, not by these regexes.
        org = r"/orgs/(?P<org>[^/]+)"
        reports = org + "/copilot/metrics/reports"
        for method, path, handler, name in (
            ("GET", reports + "/users-1-day", self._users_1_day,
             "GET /orgs/{org}/copilot/metrics/reports/users-1-day"),
            ("GET", reports + "/users-28-day/latest", self._users_28_day,
             "GET /orgs/{org}/copilot/metrics/reports/users-28-day/latest"),
            ("GET", org + "/copilot/billing/seats", self._seats,
             "GET /orgs/{org}/copilot/billing/seats"),
            ("GET", r"/organizations/(?P<org>[^/]+)/settings/billing/ai_credit/usage",
             self._credits, "GET /organizations/{org}/settings/billing/ai_credit/usage"),
            ("POST", "/graphql", self._graphql_call, "POST /graphql"),
        ):  # fmt: skip
            self.add_route(method, path, handler, name=name)
        self.add_route(
            "GET",
            r"/copilot-usage-reports/(?P<org>[^/]+)/(?P<report>users-1-day|users-28-day)"
            r"/(?P<day>\d{4}-\d{2}-\d{2})/part-(?P<part>\d+)\.ndjson",
            self._download,
            name="GET /copilot-usage-reports/{report} (download)",
            public=True,
        )

    # --- indexes ---------------------------------------------------------------------------

    def build_indexes(self) -> None:
        """Copilot requests by (day, person), last activity per person, credits by day."""
        world = self.world
        self.activity: dict[date, dict[str, list[tuple[AISession, int, AIRequest]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.last_activity: dict[str, tuple[Any, str]] = {}
        self.credits: dict[date, dict[tuple[str, str], list[Decimal]]] = defaultdict(dict)
        # Users who left keep their user-days in the reports: no seat, not in the organisation.
        departed = [u for u in world.unassigned if u.platform == "copilot" and u.former]
        for usage in departed:
            assert usage.former is not None
            self.people[usage.former.person_id] = usage.former
        sessions = [*world.sessions, *(s for u in departed for s in u.sessions)]
        for session in sessions:
            if session.platform != "copilot":
                continue
            person = self.people[session.person_id]
            feature = session_feature(session)
            for i, r in enumerate(session.requests):
                day = r.at.astimezone(UTC).date()
                self.activity[day][person.person_id].append((session, i, r))
                last = self.last_activity.get(person.person_id)
                if last is None or r.at > last[0]:
                    self.last_activity[person.person_id] = (r.at, feature)
                acc = self.credits[day].setdefault(
                    (person.github_login, r.model), [Decimal(0), Decimal(0)]
                )
                acc[0] += r.ai_credits
                acc[1] += r.cost_usd
        self.seats = sorted(
            world.copilot_seats,
            key=lambda s: (s.created_at, self.people[s.person_id].github_login),
        )

    def _build_day_records(self, day: date) -> list[JsonObject]:
        people = self.activity.get(day, {})
        records = [self._user_record(self.people[pid], day, items) for pid, items in people.items()]
        records.sort(key=lambda rec: rec["user_login"])
        return records

    def _user_record(
        self, person: Person, day: date, items: Sequence[tuple[AISession, int, AIRequest]]
    ) -> JsonObject:
        total = [0] * len(COUNTERS)
        by_feature: dict[str, list[int]] = {}
        by_language_feature: dict[tuple[str, str], list[int]] = {}
        by_language_model: dict[tuple[str, str], list[int]] = {}
        by_model_feature: dict[tuple[str, str], list[int]] = {}
        ide_total = [0] * len(COUNTERS)
        ide_seen = None
        cli = {"sessions": set(), "requests": 0, "prompts": 0, "in": 0, "out": 0, "last": None}
        credits = Decimal(0)
        features: set[str] = set()
        for session, i, r in items:
            feature = session_feature(session)
            features.add(feature)
            language = pick(LANGUAGES, "copilot-language", session.repo or session.session_id)
            counts = request_counters(feature, i, r)
            credits += r.ai_credits
            groups = [
                total,
                by_feature.setdefault(feature, [0] * len(COUNTERS)),
                by_language_feature.setdefault((language, feature), [0] * len(COUNTERS)),
            ]
            if feature != "code_completion":
                # Model breakdowns cover chat and agents, not completions (GitHub docs).
                groups.append(by_language_model.setdefault((language, r.model), [0] * 7))
                groups.append(by_model_feature.setdefault((r.model, feature), [0] * 7))
            if feature == "copilot_cli":
                cli["sessions"].add(session.session_id)
                cli["requests"] += 1
                cli["prompts"] += counts[0]
                cli["in"] += (
                    r.input_tokens
                    + r.cache_read_tokens
                    + r.cache_write_5m_tokens
                    + r.cache_write_1h_tokens
                )
                cli["out"] += r.output_tokens
                cli["last"] = max(cli["last"] or r.at, r.at)
            else:
                groups.append(ide_total)
                ide_seen = max(ide_seen or r.at, r.at)
            for acc in groups:
                for k, n in enumerate(counts):
                    acc[k] += n

        def counters(values: Sequence[int], *, interactions: bool = True) -> JsonObject:
            out = dict(zip(COUNTERS, values, strict=True))
            if not interactions:
                del out["user_initiated_interaction_count"]
            return out

        ide, ide_version = pick(IDES, "copilot-ide", person.person_id)
        record: JsonObject = {
            **{k: v for k, v in counters(total).items() if k != "user_initiated_interaction_count"},
            "day": day.isoformat(),
            "enterprise_id": self.enterprise_id,
            "organization_id": self.org_id,
        }
        if cli["requests"]:
            prompt_tokens, output_tokens = cli["in"], cli["out"]
            record["totals_by_cli"] = {
                "last_known_cli_version": {
                    "cli_version": CLI_VERSION,
                    "sampled_at": iso_ms(cli["last"]),
                },
                "prompt_count": cli["prompts"],
                "request_count": cli["requests"],
                "session_count": len(cli["sessions"]),
                "token_usage": {
                    "avg_tokens_per_request": round(
                        (prompt_tokens + output_tokens) / cli["requests"], 1
                    ),
                    "output_tokens_sum": output_tokens,
                    "prompt_tokens_sum": prompt_tokens,
                },
            }
        record["totals_by_feature"] = [
            {"feature": f, **counters(v)} for f, v in sorted(by_feature.items())
        ]
        record["totals_by_ide"] = (
            [
                {
                    **{
                        k: v
                        for k, v in counters(ide_total).items()
                        if k != "user_initiated_interaction_count"
                    },
                    "ide": ide,
                    "last_known_ide_version": {
                        "ide_version": ide_version,
                        "sampled_at": iso_ms(ide_seen),
                    },
                    "last_known_plugin_version": {
                        "plugin": "copilot-chat" if ide == "vscode" else "copilot",
                        "plugin_version": PLUGIN_VERSION,
                        "sampled_at": iso_ms(ide_seen),
                    },
                    "user_initiated_interaction_count": ide_total[0],
                }
            ]
            if ide_seen
            else []
        )
        record["totals_by_language_feature"] = [
            {"feature": f, "language": lang, **counters(v, interactions=False)}
            for (lang, f), v in sorted(by_language_feature.items())
        ]
        record["totals_by_language_model"] = [
            {"language": lang, "model": m, **counters(v, interactions=False)}
            for (lang, m), v in sorted(by_language_model.items())
        ]
        record["totals_by_model_feature"] = [
            {"model": m, "feature": f, **counters(v)}
            for (m, f), v in sorted(by_model_feature.items())
        ]
        record.update(
            {
                "used_agent": bool(features & AGENT_FEATURES),
                "used_chat": bool(features & CHAT_FEATURES),
                "used_cli": bool(cli["requests"]),
                "used_copilot_code_review_active": False,
                "used_copilot_code_review_passive": False,
                "user_id": person.github_id,
                "user_login": person.github_login,
                "user_initiated_interaction_count": total[0],
                "ai_credits_used": float(credits),
                "etl_id": "sandbox",
                "day_partition": day.isoformat(),
                "entity_id_partition": int(self.org_id),
            }
        )
        return record

    # --- protocol --------------------------------------------------------------------------

    def authenticate(self, request: ApiRequest) -> None:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() not in ("bearer", "token") or token.strip() != self.token:
            raise ApiError(401, "Bad credentials")

    def before(self, route: Route, request: ApiRequest) -> None:
        """GitHub's primary REST budget: a fixed hourly window per token."""
        if route.name == "POST /graphql":
            return  # GraphQL counts points, not requests; its module reports its own budget.
        with self._lock:
            now = time.time()
            if now - self._window_start >= 3600:
                self._window_start, self._used = now, 0
            if self._used >= self.rest_limit:
                raise ApiError(
                    403,
                    "API rate limit exceeded for user ID 1. If you reach out to GitHub Support "
                    "for help, please include the request ID.",
                    headers=self._rate_headers(),
                )
            self._used += 1

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.rest_limit),
            "x-ratelimit-remaining": str(max(0, self.rest_limit - self._used)),
            "x-ratelimit-used": str(self._used),
            "x-ratelimit-reset": str(int(self._window_start + 3600)),
            "x-ratelimit-resource": "core",
        }

    def decorate(self, request: ApiRequest, response: ApiResponse) -> None:
        found = self.match(request)
        if found and (found[0].public or found[0].name == "POST /graphql"):
            return
        with self._lock:
            for name, value in self._rate_headers().items():
                response.headers.setdefault(name, value)
        response.headers.setdefault("X-GitHub-Api-Version-Selected", "2026-03-10")

    def error(self, status: int, message: str) -> ApiResponse:
        if status == 404:
            message = "Not Found"
        return ApiResponse(
            status, {"message": message, "documentation_url": DOCS, "status": str(status)}
        )

    def _check_org(self, m: re.Match[str]) -> None:
        if m.group("org").lower() != self.world.org.lower():
            raise ApiError(404, "Not Found")

    # --- usage-metrics reports -------------------------------------------------------------

    def _links(self, request: ApiRequest, report: str, day: date, records: int) -> list[str]:
        parts = max(1, math.ceil(records / self.records_per_file))
        links = []
        for n in range(1, parts + 1):
            path = f"/copilot-usage-reports/{self.world.org}/{report}/{day}/part-{n}.ndjson"
            expiry = rfc3339(day_start(self.world.end + timedelta(days=1)))
            query = urlencode(
                {"sv": "2025-11-05", "sp": "r", "se": expiry, "sig": self._sign(path, expiry)},
                quote_via=quote,
            )
            links.append(f"{request.base_url}{path}?{query}")
        return links

    def _sign(self, path: str, expiry: str) -> str:
        mac = hmac.new(self._secret, f"{path}\n{expiry}".encode(), hashlib.sha256).digest()
        return base64.b64encode(mac).decode()

    def _check_reports(self) -> None:
        """The organisation's Copilot metrics policy and licence (``sandbox.reality``)."""
        status = self.world.reality.reports_status
        if status != 200:
            raise ApiError(status, REPORT_REFUSALS[status])

    def _users_1_day(self, request: ApiRequest, m: re.Match[str]) -> ApiResponse:
        self._check_org(m)
        self._check_reports()
        day = parse_day(request.param("day"), "day")
        if not self.world.start <= day < self.world.end:
            return ApiResponse(204)  # "A header with no content is returned": no report.
        count = len(self.activity.get(day, {}))
        return ApiResponse(
            200,
            {
                "download_links": self._links(request, "users-1-day", day, count),
                "report_day": day.isoformat(),
            },
        )

    def _28_days(self) -> list[date]:
        first = max(self.world.start, self.last_day - timedelta(days=27))
        return list(days(first, self.last_day + timedelta(days=1)))

    def _users_28_day(self, request: ApiRequest, m: re.Match[str]) -> ApiResponse:
        self._check_org(m)
        self._check_reports()
        span = self._28_days()
        count = sum(len(self.activity.get(d, {})) for d in span)
        return ApiResponse(
            200,
            {
                "download_links": self._links(request, "users-28-day", self.last_day, count),
                "report_start_day": span[0].isoformat(),
                "report_end_day": span[-1].isoformat(),
            },
        )

    def _download(self, request: ApiRequest, m: re.Match[str]) -> ApiResponse:
        self._check_org(m)
        expiry = request.param("se") or ""
        signature = request.param("sig") or ""
        if not hmac.compare_digest(signature, self._sign(request.path, expiry)):
            raise ApiError(403, "Signature does not match the download link")
        day = date.fromisoformat(m.group("day"))
        if m.group("report") == "users-1-day":
            records = self._day_records(day) if self.world.start <= day < self.world.end else []
        else:
            records = [rec for d in self._28_days() for rec in self._day_records(d)]
        part = int(m.group("part"))
        chunk = records[(part - 1) * self.records_per_file : part * self.records_per_file]
        if part > 1 and not chunk:
            raise ApiError(404, "Not Found")
        body = "".join(json.dumps(rec, separators=(",", ":")) + "\n" for rec in chunk).encode()
        return ApiResponse(200, body=body, content_type="application/x-ndjson")

    # --- seats and billing -----------------------------------------------------------------

    def _seats(self, request: ApiRequest, m: re.Match[str]) -> ApiResponse:
        self._check_org(m)
        status = self.world.reality.seats_status
        if status != 200:
            raise ApiError(status, SEAT_REFUSALS[status])
        page = parse_int(request.param("page"), "page", default=1, low=1)
        per_page = parse_int(request.param("per_page"), "per_page", default=50, low=1, high=100)
        seats = self.seats
        last = max(1, math.ceil(len(seats) / per_page))
        chosen = seats[(page - 1) * per_page : page * per_page]
        response = ApiResponse(
            200,
            {
                "total_seats": len(seats),
                "seats": [self._seat(request, s) for s in chosen],
            },
        )
        base = f"{request.base_url}/orgs/{self.world.org}/copilot/billing/seats?per_page={per_page}"
        links = []
        if page < last:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
            links.append(f'<{base}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{base}&page=1>; rel="first"')
            links.append(f'<{base}&page={min(page - 1, last)}>; rel="prev"')
        if links:
            response.headers["Link"] = ", ".join(links)
        return response

    def _seat(self, request: ApiRequest, seat: CopilotSeat) -> JsonObject:
        person = self.people[seat.person_id]
        last = self.last_activity.get(person.person_id)
        ide, ide_version = pick(IDES, "copilot-ide", person.person_id)
        editor = None
        if last is not None:
            editor = (
                f"copilot-cli/{CLI_VERSION}"
                if last[1] == "copilot_cli"
                else f"{ide}/{ide_version}/copilot/{PLUGIN_VERSION}"
            )
        team_id = 1 + stable_hash("github-team", person.team) % 10**6
        api = request.base_url
        login = person.github_login
        return {
            "created_at": rfc3339(seat.created_at),
            "updated_at": rfc3339(seat.created_at),
            "pending_cancellation_date": (
                seat.pending_cancellation_date.isoformat()
                if seat.pending_cancellation_date
                else None
            ),
            "last_activity_at": rfc3339(last[0]) if last else None,
            "last_activity_editor": editor,
            "plan_type": seat.plan_type,
            "assignee": {
                "login": login,
                "id": person.github_id,
                "node_id": node_id("User", person.github_id),
                "avatar_url": f"https://avatars.githubusercontent.com/u/{person.github_id}?v=4",
                "gravatar_id": "",
                "url": f"{api}/users/{login}",
                "html_url": f"https://github.com/{login}",
                "followers_url": f"{api}/users/{login}/followers",
                "following_url": f"{api}/users/{login}/following{{/other_user}}",
                "gists_url": f"{api}/users/{login}/gists{{/gist_id}}",
                "starred_url": f"{api}/users/{login}/starred{{/owner}}{{/repo}}",
                "subscriptions_url": f"{api}/users/{login}/subscriptions",
                "organizations_url": f"{api}/users/{login}/orgs",
                "repos_url": f"{api}/users/{login}/repos",
                "events_url": f"{api}/users/{login}/events{{/privacy}}",
                "received_events_url": f"{api}/users/{login}/received_events",
                "type": "User",
                "site_admin": False,
            },
            "assigning_team": {
                "id": team_id,
                "node_id": node_id("Team", team_id),
                "url": f"{api}/teams/{team_id}",
                "html_url": f"https://github.com/orgs/{self.world.org}/teams/{person.team}",
                "name": person.team,
                "slug": person.team,
                "description": f"The {person.team} team.",
                "privacy": "closed",
                "notification_setting": "notifications_enabled",
                "permission": "pull",
                "members_url": f"{api}/teams/{team_id}/members{{/member}}",
                "repositories_url": f"{api}/teams/{team_id}/repos",
                "parent": None,
            },
        }

    def _credits(self, request: ApiRequest, m: re.Match[str]) -> ApiResponse:
        """AI-credit usage for a year, a month or a day, per model (``usageItems`` shape)."""
        self._check_org(m)
        year_text, month_text = request.param("year"), request.param("month")
        day_text = request.param("day")
        current = self.last_day
        year = parse_int(year_text, "year", default=current.year, low=2000, high=9999)
        month = None
        if month_text or not year_text:
            month = parse_int(month_text, "month", default=current.month, low=1, high=12)
        day = None
        if day_text:
            if month is None:
                raise ApiError(400, "day requires month")
            day = parse_int(day_text, "day", low=1, high=31)
            try:
                date(year, month, day)
            except ValueError:
                raise ApiError(400, f"day {day} is not in {year}-{month:02d}") from None
        user, model_filter = request.param("user"), request.param("model")
        product = request.param("product")
        period: JsonObject = {"year": year}
        if month is not None:
            period["month"] = month
        if day is not None:
            period["day"] = day
        totals: dict[str, list[Decimal]] = {}
        if product is None or product.lower() == "copilot":
            for d, groups in self.credits.items():
                if d.year != year or (month and d.month != month) or (day and d.day != day):
                    continue
                for (login, model), (n, usd) in groups.items():
                    name = model_display_name(model)
                    if (user and login != user) or (model_filter and model_filter != name):
                        continue
                    acc = totals.setdefault(name, [Decimal(0), Decimal(0)])
                    acc[0] += n
                    acc[1] += usd
        body: JsonObject = {"timePeriod": period, "organization": self.world.org}
        if user:
            body["user"] = user
        if model_filter:
            body["model"] = model_filter
        if product:
            body["product"] = product
        body["usageItems"] = [
            {
                "product": "Copilot",
                "sku": "Copilot AI Credits",
                "model": name,
                "unitType": "credits",
                "pricePerUnit": 0.01,
                "grossQuantity": float(n),
                "grossAmount": float(usd),
                "discountQuantity": 0,
                "discountAmount": 0,
                "netQuantity": float(n),
                "netAmount": float(usd),
            }
            for name, (n, usd) in sorted(totals.items())
        ]
        return ApiResponse(200, body)

    # --- GraphQL ---------------------------------------------------------------------------

    def _graphql_call(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            raise ApiError(400, "Problems parsing JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Problems parsing JSON")
        api = self._graphql_api()
        status, headers, payload = api.execute(body)
        return ApiResponse(status, payload, headers=dict(headers))

    def _graphql_api(self) -> Any:
        """Build the GraphQL API on first use: its module is optional and its index costs time."""
        with self._lock:
            if self._graphql is None:
                try:
                    module = importlib.import_module("sandbox.github_graphql")
                except ModuleNotFoundError as exc:
                    if exc.name != "sandbox.github_graphql":
                        raise
                    raise ApiError(501, "GraphQL is not available in this sandbox build") from None
                self._graphql = module.GraphQLApi(
                    self.world, points_per_hour=self.rest_limit, as_of=self.as_of
                )
            return self._graphql

    def set_as_of(self, day: date | None) -> None:
        """Answer GraphQL as of ``day`` (repository renames, transfers, archives, deletions)."""
        with self._lock:
            self.as_of = day
            if self._graphql is not None:
                self._graphql.set_as_of(day)
