"""The Anthropic Admin API's view of the world (vendor-apis.md §1).

* ``usage_report/claude_code``: one record per person per UTC day from their Claude Code
  requests (subscription or key-billed alike), tokens by model, cost as a number in cents.
* ``usage_report/messages`` and ``cost_report``: every request billed through an Anthropic API
  key — ``anthropic_api`` traffic *and* Claude Code traffic billed through a key in the
  "Claude Code" workspace. The latter is the same usage the Claude Code report shows; a client
  must count it once (PRODUCT.md, "Never count the same tokens twice").
* ``users`` and ``api_keys``: the organisation's members and keys (Anthropic list shape).
"""

from __future__ import annotations

import itertools
import re
import threading
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date
from decimal import Decimal
from typing import Any

from sandbox.model import AIRequest, ApiKey, Person, World
from sandbox.vendors import (
    BUCKET_LIMITS,
    BUCKET_SECONDS,
    ApiError,
    ApiRequest,
    ApiResponse,
    JsonObject,
    TimeSeriesIndex,
    VendorApi,
    bucket_page,
    check_choices,
    day_start,
    decimal_text,
    decode_page,
    encode_page,
    epoch,
    from_epoch,
    model_display_name,
    parse_day,
    parse_int,
    parse_rfc3339,
    people_by_id,
    pick,
    requests_of,
    rfc3339,
    split_amount,
    stable_hash,
)

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}

MESSAGES_GROUPS = (
    "account_id",
    "api_key_id",
    "context_window",
    "inference_geo",
    "model",
    "service_account_id",
    "service_tier",
    "speed",
    "workspace_id",
)
COST_GROUPS = ("workspace_id", "description")
TOOLS = ("edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool")
TERMINALS = ("vscode", "iTerm.app", "tmux", "cursor", "ghostty", "Apple_Terminal")

# Token types of the cost report, in the order of the usage values below, with the words of
# their description and their price relative to uncached input (Anthropic's standard multipliers
# — used only to split one request's stated cost across token types).
TOKEN_TYPES = (
    ("uncached_input_tokens", "Input Tokens", Decimal("1")),
    ("cache_creation.ephemeral_5m_input_tokens", "Cache Write (5m) Input Tokens", Decimal("1.25")),
    ("cache_creation.ephemeral_1h_input_tokens", "Cache Write (1h) Input Tokens", Decimal("2")),
    ("cache_read_input_tokens", "Cache Read Input Tokens", Decimal("0.1")),
    ("output_tokens", "Output Tokens", Decimal("5")),
)
# Index dimensions and values of key-billed usage.
DIMS = ("api_key_id", "workspace_id", "model", "context_window", "service_account_id")
UNCACHED, WRITE_5M, WRITE_1H, CACHE_READ, OUTPUT, COST = range(6)
# Dimensions that do not vary in the simulation: every request is standard tier, global
# inference, API-key (not OAuth) traffic and not fast mode.
CONSTANT_DIMS = {
    "account_id": None,
    "service_tier": "standard",
    "inference_geo": "global",
    "speed": "standard",
}
CENTS_QUANTUM = Decimal("0.000001")


def context_window(request: AIRequest) -> str:
    """The context-window band the vendor prices by: total prompt size over 200k is long."""
    prompt = (
        request.input_tokens
        + request.cache_write_5m_tokens
        + request.cache_write_1h_tokens
        + request.cache_read_tokens
    )
    return "200k-1M" if prompt > 200_000 else "0-200k"


def _values(r: AIRequest) -> tuple[int, int, int, int, int, Decimal]:
    """A request's index values, in the order of ``UNCACHED``…``COST``."""
    return (
        r.input_tokens,
        r.cache_write_5m_tokens,
        r.cache_write_1h_tokens,
        r.cache_read_tokens,
        r.output_tokens,
        r.cost_usd,
    )


def anthropic_email(person: Person) -> str:
    return (
        person.vendor_emails.get("claude_code")
        or person.vendor_emails.get("anthropic_api")
        or person.work_email
    )


def anthropic_user_id(person: Person) -> str:
    return person.vendor_user_ids.get("anthropic") or f"user_{person.person_id}"


class AnthropicApi(VendorApi):
    """Serves the Anthropic Admin endpoints from indexes built once from the world."""

    vendor = "anthropic"

    def __init__(self, world: World, admin_key: str) -> None:
        super().__init__()
        self.world = world
        self.people = people_by_id(world)
        self.admin_key = admin_key
        # "Now" for the sandbox: the end of the last simulated day; reports stop there.
        self.now = day_start(world.end)
        self.org_id = world.anthropic_org_id or str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"tokenworth-sandbox:{world.org}:{world.seed}")
        )
        self._request_ids = itertools.count(1)
        self._lock = threading.Lock()
        self.keys = [k for k in world.api_keys if k.vendor == "anthropic"]

        p = "/v1/organizations"
        self.add_route("GET", p + "/usage_report/claude_code", self._claude_code)
        self.add_route("GET", p + "/usage_report/messages", self._messages)
        self.add_route("GET", p + "/cost_report", self._cost_report)
        self.add_route("GET", p + "/users", self._users)
        self.add_route("GET", p + "/api_keys", self._api_keys)

    # --- indexes ---------------------------------------------------------------------------

    def build_indexes(self) -> None:
        self._index_key_billed()
        self._index_claude_code()
        self._index_users()

    def _index_key_billed(self) -> None:
        """Messages usage and cost: every request billed through an Anthropic key."""
        keys = {k.api_key_id: k for k in self.keys}
        rows = []
        for _session, r in requests_of(self.world, ("claude_code", "anthropic_api")):
            key = keys.get(r.api_key_id) if r.api_key_id else None
            if key is None:
                continue
            dims = (key.api_key_id, key.workspace_id, r.model, context_window(r), None)
            rows.append((r.at, dims, _values(r)))
        # Usage nobody owns: Console usage (no key; the default workspace, which the reports
        # show as null), a service account's key, a key whose creator left, a CI bot's Claude
        # Code key (key-billed, so here too).
        for usage in self.world.unassigned:
            if usage.platform not in ("claude_code", "anthropic_api"):
                continue
            key = usage.api_key
            for session in usage.sessions:
                for r in session.requests:
                    dims = (
                        key.api_key_id if key else None,
                        key.workspace_id if key else None,
                        r.model,
                        context_window(r),
                        key.service_account_id if key else None,
                    )
                    rows.append((r.at, dims, _values(r)))
        self.usage = TimeSeriesIndex(rows)

    def _index_claude_code(self) -> None:
        """One Claude Code record per person per day, built once (records are small)."""
        world = self.world
        by_person_day: dict[tuple[str, date], list[AIRequest]] = defaultdict(list)
        sessions_started: dict[tuple[str, date], int] = defaultdict(int)
        commits: dict[tuple[str, date], int] = defaultdict(int)
        uses_key: set[str] = set()
        tools: dict[tuple[str, date], dict[str, list[int]]] = {}
        for session in world.sessions:
            if session.platform != "claude_code":
                continue
            start_key = (session.person_id, session.started_at.astimezone(UTC).date())
            sessions_started[start_key] += 1
            commits[start_key] += session.commits_during
            for i, r in enumerate(session.requests):
                key = (session.person_id, r.at.astimezone(UTC).date())
                by_person_day[key].append(r)
                if r.api_key_id:
                    uses_key.add(session.person_id)
                if r.edits_accepted or r.edits_rejected:
                    # Spread edits over the edit tools deterministically, per request.
                    tool = pick(TOOLS, session.session_id, i)
                    acc = tools.setdefault(key, {t: [0, 0] for t in TOOLS})[tool]
                    acc[0] += r.edits_accepted
                    acc[1] += r.edits_rejected
        prs: dict[tuple[str, date], int] = defaultdict(int)
        for repo in world.repositories:
            for pr in repo.pull_requests:
                if pr.platform == "claude_code" and pr.person_id:
                    prs[(pr.person_id, pr.created_at.astimezone(UTC).date())] += 1

        self.claude_code: dict[date, list[JsonObject]] = defaultdict(list)
        for key in sorted(set(by_person_day) | set(sessions_started)):
            person_id, day = key
            person = self.people[person_id]
            requests = by_person_day.get(key, [])
            self.claude_code[day].append(
                self._claude_code_record(
                    person,
                    day,
                    requests,
                    num_sessions=sessions_started.get(key, 0),
                    commits=commits.get(key, 0),
                    prs=prs.get(key, 0),
                    tools=tools.get(key, {t: [0, 0] for t in TOOLS}),
                    api=person_id in uses_key,
                )
            )
        # Keys no person holds (a CI bot's) are reported as API actors, by key name.
        for usage in world.unassigned:
            if usage.platform != "claude_code" or usage.api_key is None:
                continue
            by_day: dict[date, list[AIRequest]] = defaultdict(list)
            started: dict[date, int] = defaultdict(int)
            for session in usage.sessions:
                started[session.started_at.astimezone(UTC).date()] += 1
                for r in session.requests:
                    by_day[r.at.astimezone(UTC).date()].append(r)
            for day in sorted(set(by_day) | set(started)):
                record = self._claude_code_record(
                    None,
                    day,
                    by_day.get(day, []),
                    num_sessions=started.get(day, 0),
                    commits=0,
                    prs=0,
                    tools={t: [0, 0] for t in TOOLS},
                    api=True,
                    api_key_name=usage.api_key.name,
                )
                self.claude_code[day].append(record)
        for records in self.claude_code.values():
            records.sort(key=lambda rec: (_actor_name(rec["actor"]), rec["date"]))

    def _claude_code_record(
        self,
        person: Person | None,
        day: date,
        requests: Sequence[AIRequest],
        *,
        num_sessions: int,
        commits: int,
        prs: int,
        tools: dict[str, list[int]],
        api: bool,
        api_key_name: str | None = None,
    ) -> JsonObject:
        """One actor-day: a person (``user_actor``) or, without one, an API key (``api_actor``)."""
        by_model: dict[str, list[Any]] = {}
        for r in requests:
            acc = by_model.setdefault(r.model, [0, 0, 0, 0, Decimal(0)])
            acc[0] += r.input_tokens
            acc[1] += r.output_tokens
            acc[2] += r.cache_read_tokens
            acc[3] += r.cache_write_5m_tokens + r.cache_write_1h_tokens
            acc[4] += r.cost_usd
        actor = (
            {"email_address": anthropic_email(person), "type": "user_actor"}
            if person is not None
            else {"api_key_name": api_key_name, "type": "api_actor"}
        )
        return {
            "actor": actor,
            "core_metrics": {
                "commits_by_claude_code": commits,
                "lines_of_code": {
                    "added": sum(r.lines_added for r in requests),
                    "removed": sum(r.lines_removed for r in requests),
                },
                "num_sessions": num_sessions,
                "pull_requests_by_claude_code": prs,
            },
            "customer_type": "api" if api else "subscription",
            "date": rfc3339(day_start(day)),
            "is_remote": False,
            "model_breakdown": [
                {
                    "estimated_cost": {
                        # Cents as a JSON number, 6 decimals kept so sums reconcile to the cent.
                        "amount": float((acc[4] * 100).quantize(CENTS_QUANTUM)),
                        "currency": "USD",
                    },
                    "model": model,
                    "tokens": {
                        "cache_creation": acc[3],
                        "cache_read": acc[2],
                        "input": acc[0],
                        "output": acc[1],
                    },
                }
                for model, acc in sorted(by_model.items())
            ],
            "organization_id": self.org_id,
            "terminal_type": pick(TERMINALS, person.person_id) if person else "non-interactive",
            "tool_actions": {t: {"accepted": a, "rejected": r} for t, (a, r) in tools.items()},
            "subscription_type": None if api else "enterprise",
        }

    def _index_users(self) -> None:
        owners = {k.owner_person_id for k in self.keys}
        members = [
            p
            for p in self.world.people
            if {"claude_code", "anthropic_api"} & set(p.platforms) or p.person_id in owners
        ]
        self.users = sorted(
            (
                {
                    "id": anthropic_user_id(p),
                    "type": "user",
                    "email": anthropic_email(p),
                    "name": p.name,
                    "role": "user",
                    "added_at": rfc3339(day_start(p.joined_on or self.world.start)),
                }
                for p in members
            ),
            key=lambda u: u["id"],
        )
        self.key_objects = sorted(
            (self._key_object(k) for k in self.keys), key=lambda k: (k["created_at"], k["id"])
        )

    def _key_object(self, key: ApiKey) -> JsonObject:
        owner = self.people.get(key.owner_person_id)
        hint_tail = f"{stable_hash('anthropic-key', key.api_key_id) % 36**4:04x}"[-4:]
        if key.created_by is not None:  # a key no person owns: a service account's, or orphaned
            created_by = {"id": key.created_by[1], "type": key.created_by[0]}
        else:
            creator = anthropic_user_id(owner) if owner else key.owner_person_id
            created_by = {"id": creator, "type": "user"}
        return {
            "id": key.api_key_id,
            "type": "api_key",
            "name": key.name,
            "workspace_id": key.workspace_id,
            "created_at": rfc3339(key.created_at),
            "created_by": created_by,
            "partial_key_hint": f"sk-ant-api03-{key.api_key_id[-3:]}...{hint_tail}",
            "status": "active",
        }

    # --- protocol --------------------------------------------------------------------------

    def authenticate(self, request: ApiRequest) -> None:
        key = request.headers.get("x-api-key")
        if key is None:
            auth = request.headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                key = auth[7:].strip()
        if not key:
            raise ApiError(401, "x-api-key header is required")
        if key != self.admin_key:
            raise ApiError(401, "invalid x-api-key")
        if not request.headers.get("anthropic-version"):
            raise ApiError(400, "anthropic-version: header is required")

    def decorate(self, request: ApiRequest, response: ApiResponse) -> None:
        """Every Anthropic response carries a ``request-id`` header."""
        response.headers.setdefault("request-id", self._next_request_id())

    def _next_request_id(self) -> str:
        with self._lock:
            n = next(self._request_ids)
        return f"req_011{stable_hash('anthropic-request', n) % 36**21:021x}"[:28]

    def error(self, status: int, message: str) -> ApiResponse:
        request_id = self._next_request_id()
        return ApiResponse(
            status,
            {
                "type": "error",
                "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message},
                "request_id": request_id,
            },
            headers={"request-id": request_id},
        )

    # --- endpoints -------------------------------------------------------------------------

    def _claude_code(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        day = parse_day(request.param("starting_at"), "starting_at")
        limit = parse_int(request.param("limit"), "limit", default=20, low=1, high=1000)
        token = request.param("page")
        offset = 0
        if token:
            position = decode_page(token, "claude_code")
            day_text, _, offset_text = position.partition("/")
            if day_text != day.isoformat() or not offset_text.isdigit():
                raise ApiError(400, "page: the page token belongs to another starting_at")
            offset = int(offset_text)
        records = self.claude_code.get(day, [])
        page = records[offset : offset + limit]
        more = offset + limit < len(records)
        return ApiResponse(
            200,
            {
                "data": page,
                "has_more": more,
                "next_page": (
                    encode_page("claude_code", f"{day.isoformat()}/{offset + limit}")
                    if more
                    else None
                ),
            },
        )

    def _time_range(self, request: ApiRequest, width_name: str) -> tuple[int, int, int]:
        """Snapped ``[start, end)`` in epoch seconds and the bucket width."""
        width = BUCKET_SECONDS[width_name]
        start_at = parse_rfc3339(request.param("starting_at"), "starting_at")
        ending = request.param("ending_at")
        end_at = parse_rfc3339(ending, "ending_at") if ending else max(self.now, start_at)
        if end_at < start_at:
            raise ApiError(400, "ending_at must not be before starting_at")
        start = epoch(start_at)
        start -= start % width
        return start, epoch(end_at), width

    def _messages(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        width_name = request.param("bucket_width") or "1d"
        check_choices([width_name], tuple(BUCKET_SECONDS), "bucket_width")
        default_limit, max_limit = BUCKET_LIMITS[width_name]
        limit = parse_int(
            request.param("limit"), "limit", default=default_limit, low=1, high=max_limit
        )
        groups = check_choices(
            request.params("group_by[]", "group_by"), MESSAGES_GROUPS, "group_by"
        )
        if "speed" in groups and "fast-mode" not in request.headers.get("anthropic-beta", ""):
            raise ApiError(
                400, "group_by: speed requires the anthropic-beta header fast-mode-2026-02-01"
            )
        start, end, width = self._time_range(request, width_name)
        accept = self._messages_filter(request)
        token = request.param("page")
        page = int(decode_page(token, "messages")) if token else None
        starts, next_start = bucket_page(start, end, width, limit, page)
        keep = [name in groups for name in DIMS]
        data = []
        for bucket_start in starts:
            results = []
            for dims, v in self.usage.grouped(bucket_start, width, keep, accept):
                result = {
                    "uncached_input_tokens": v[UNCACHED],
                    "cache_creation": {
                        "ephemeral_1h_input_tokens": v[WRITE_1H],
                        "ephemeral_5m_input_tokens": v[WRITE_5M],
                    },
                    "cache_read_input_tokens": v[CACHE_READ],
                    "output_tokens": v[OUTPUT],
                    "server_tool_use": {"web_search_requests": 0},
                }
                named = dict(zip(DIMS, dims, strict=True))
                for name in MESSAGES_GROUPS:
                    if name == "speed" and name not in groups:
                        continue  # only present in the newest shape when asked for
                    value = named.get(name, CONSTANT_DIMS.get(name))
                    result[name] = value if name in groups else None
                results.append(result)
            data.append(
                {
                    "starting_at": rfc3339(from_epoch(bucket_start)),
                    "ending_at": rfc3339(from_epoch(bucket_start + width)),
                    "results": results,
                }
            )
        return ApiResponse(
            200,
            {
                "data": data,
                "has_more": next_start is not None,
                "next_page": encode_page("messages", next_start) if next_start else None,
            },
        )

    def _messages_filter(self, request: ApiRequest) -> Any:
        """A predicate over index dims for the ``*_ids[]`` / ``models[]`` filters, or None."""
        on_dims = {
            "service_account_id": set(
                request.params("service_account_ids[]", "service_account_ids")
            ),
            "api_key_id": set(request.params("api_key_ids[]", "api_key_ids")),
            "workspace_id": set(request.params("workspace_ids[]", "workspace_ids")),
            "model": set(request.params("models[]", "models")),
            "context_window": set(request.params("context_window[]", "context_window")),
        }
        on_constants = {
            "account_id": request.params("account_ids[]", "account_ids"),
            "service_tier": request.params("service_tiers[]", "service_tiers"),
            "inference_geo": request.params("inference_geos[]", "inference_geos"),
            "speed": request.params("speeds[]", "speeds"),
        }
        if any(
            CONSTANT_DIMS[name] not in values for name, values in on_constants.items() if values
        ):
            return lambda _dims: False
        active = [(DIMS.index(name), values) for name, values in on_dims.items() if values]
        if not active:
            return None
        return lambda dims: all(dims[i] in values for i, values in active)

    def _cost_report(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        width_name = request.param("bucket_width") or "1d"
        check_choices([width_name], ("1d",), "bucket_width")
        limit = parse_int(request.param("limit"), "limit", default=7, low=1, high=31)
        groups = check_choices(request.params("group_by[]", "group_by"), COST_GROUPS, "group_by")
        start, end, width = self._time_range(request, width_name)
        token = request.param("page")
        page = int(decode_page(token, "cost_report")) if token else None
        starts, next_start = bucket_page(start, end, width, limit, page)
        by_description = "description" in groups
        # Re-group on workspace (if asked) and, for descriptions, model and context window.
        keep = [False, "workspace_id" in groups, by_description, by_description, False]
        data = []
        for bucket_start in starts:
            results = []
            for (_key, workspace_id, model, window, _account), v in self.usage.grouped(
                bucket_start, width, keep
            ):
                results.extend(self._cost_results(workspace_id, model, window, v, by_description))
            data.append(
                {
                    "starting_at": rfc3339(from_epoch(bucket_start)),
                    "ending_at": rfc3339(from_epoch(bucket_start + width)),
                    "results": results,
                }
            )
        return ApiResponse(
            200,
            {
                "data": data,
                "has_more": next_start is not None,
                "next_page": encode_page("cost_report", next_start) if next_start else None,
            },
        )

    @staticmethod
    def _cost_results(
        workspace_id: str | None,
        model: str | None,
        window: str | None,
        v: Sequence[Any],
        by_description: bool,
    ) -> list[JsonObject]:
        cents = v[COST] * 100
        base = {
            "currency": "USD",
            "workspace_id": workspace_id,
        }
        if not by_description:
            return [
                {
                    "amount": decimal_text(cents),
                    "context_window": None,
                    "cost_type": None,
                    "description": None,
                    "inference_geo": None,
                    "model": None,
                    "service_tier": None,
                    "token_type": None,
                    **base,
                }
            ]
        tokens = [v[UNCACHED], v[WRITE_5M], v[WRITE_1H], v[CACHE_READ], v[OUTPUT]]
        weights = [Decimal(n) * rel for n, (_t, _d, rel) in zip(tokens, TOKEN_TYPES, strict=True)]
        parts = split_amount(cents, weights, CENTS_QUANTUM)
        out = []
        for n, part, (token_type, words, _rel) in zip(tokens, parts, TOKEN_TYPES, strict=True):
            if not n and not part:
                continue
            out.append(
                {
                    "amount": decimal_text(part),
                    "context_window": window,
                    "cost_type": "tokens",
                    "description": f"{model_display_name(model or '')} Usage - {words}",
                    "inference_geo": CONSTANT_DIMS["inference_geo"],
                    "model": model,
                    "service_tier": CONSTANT_DIMS["service_tier"],
                    "token_type": token_type,
                    **base,
                }
            )
        return out

    def _users(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        items = self.users
        email = request.param("email")
        if email:
            items = [u for u in items if u["email"] == email]
        return ApiResponse(200, list_page(request, items))

    def _api_keys(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        items = self.key_objects
        status = request.param("status")
        if status:
            check_choices([status], ("active", "inactive", "archived"), "status")
            items = [k for k in items if k["status"] == status]
        workspace = request.param("workspace_id")
        if workspace:
            items = [k for k in items if k["workspace_id"] == workspace]
        creator = request.param("created_by_user_id")
        if creator:
            items = [k for k in items if k["created_by"]["id"] == creator]
        return ApiResponse(200, list_page(request, items))


def _actor_name(actor: JsonObject) -> str:
    return actor.get("email_address") or actor.get("api_key_name") or ""


def list_page(request: ApiRequest, items: Sequence[JsonObject]) -> JsonObject:
    """Anthropic's id-cursor list page: ``limit`` 1–1000 (default 20), after_id, before_id."""
    limit = parse_int(request.param("limit"), "limit", default=20, low=1, high=1000)
    after_id, before_id = request.param("after_id"), request.param("before_id")
    ids = [item["id"] for item in items]
    if after_id and before_id:
        raise ApiError(400, "after_id and before_id cannot be used together")
    if after_id:
        if after_id not in ids:
            raise ApiError(400, f"after_id: unknown id {after_id!r}")
        start = ids.index(after_id) + 1
        page = list(items[start : start + limit])
        more = start + limit < len(items)
    elif before_id:
        if before_id not in ids:
            raise ApiError(400, f"before_id: unknown id {before_id!r}")
        stop = ids.index(before_id)
        page = list(items[max(0, stop - limit) : stop])
        more = stop - limit > 0
    else:
        page = list(items[:limit])
        more = limit < len(items)
    return {
        "data": page,
        "has_more": more,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
    }
