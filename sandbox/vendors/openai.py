"""The OpenAI Administration API's view of the world (vendor-apis.md §2).

Usage and costs cover every request billed through an OpenAI API key (``openai_api`` sessions):
``usage/completions`` in bucketed token counts (unix seconds, end exclusive), ``costs`` in daily
dollars, ``users`` to map ``user_id`` to an email. Attribution is by key: ``user_id`` is the key
owner's OpenAI user and ``project_id`` the key's project.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sandbox.model import AIRequest, Person, World
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
    decode_page,
    encode_page,
    epoch,
    parse_int,
    people_by_id,
    requests_of,
    split_amount,
)

COMPLETIONS_GROUPS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
COSTS_GROUPS = ("project_id", "line_item", "api_key_id")
# Index dimensions (the first six double as the completions group-by fields) and values.
DIMS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
UNCACHED, CACHE_WRITE, CACHE_READ, OUTPUT, REQUESTS, COST = range(6)
# Line items of the costs endpoint, in value order, with prices relative to uncached input —
# used only to split a request's stated cost across line items; the parts sum to the cost.
LINE_ITEMS = (
    (UNCACHED, "input", Decimal("1")),
    (CACHE_WRITE, "cache write", Decimal("1.25")),
    (CACHE_READ, "cached input", Decimal("0.1")),
    (OUTPUT, "output", Decimal("6")),
)
DOLLAR_QUANTUM = Decimal("0.00000001")

ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "insufficient_permissions"),
    404: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
}


def openai_user_id(person: Person) -> str:
    return person.vendor_user_ids.get("openai") or f"user-{person.person_id}"


class OpenAIApi(VendorApi):
    """Serves the OpenAI admin usage, costs and users endpoints."""

    vendor = "openai"

    def __init__(self, world: World, admin_key: str) -> None:
        super().__init__()
        self.world = world
        self.people = people_by_id(world)
        self.admin_key = admin_key
        self.now = epoch(day_start(world.end))
        # How often each costs bucket was served (``truncated_day`` truncates from the second).
        self.served: Counter[int] = Counter()
        p = "/v1/organization"
        self.add_route("GET", p + "/usage/completions", self._completions)
        self.add_route("GET", p + "/costs", self._costs)
        self.add_route("GET", p + "/users", self._users)

    def build_indexes(self) -> None:
        world = self.world
        keys = {k.api_key_id: k for k in world.api_keys if k.vendor == "openai"}
        rows = []
        for _session, r in requests_of(world, ("openai_api",)):
            key = keys.get(r.api_key_id) if r.api_key_id else None
            if key is None:
                continue
            owner = self.people.get(key.owner_person_id)
            user_id = openai_user_id(owner) if owner else None
            dims = (key.project_id, user_id, key.api_key_id, r.model, False, "default")
            rows.append((r.at, dims, _values(r)))
        # Usage nobody owns: a service account's key (no user), Playground usage in a project
        # (no key, no user), and usage the report cannot break down at all (everything null).
        for usage in world.unassigned:
            if usage.platform != "openai_api":
                continue
            key_id = usage.api_key.api_key_id if usage.api_key else None
            for session in usage.sessions:
                for r in session.requests:
                    model = r.model if usage.model_reported else None
                    dims = (usage.project_id, None, key_id, model, False, "default")
                    rows.append((r.at, dims, _values(r)))
        self.usage = TimeSeriesIndex(rows)
        owners = {k.owner_person_id for k in keys.values()}
        self.users = sorted(
            (
                {
                    "object": "organization.user",
                    "id": openai_user_id(p),
                    "name": p.name,
                    "email": p.vendor_emails.get("openai_api") or p.work_email,
                    "role": "reader",
                    "added_at": epoch(day_start(p.joined_on or world.start)),
                }
                for p in world.people
                if "openai_api" in p.platforms or p.person_id in owners
            ),
            key=lambda u: u["id"],
        )

    # --- protocol --------------------------------------------------------------------------

    def authenticate(self, request: ApiRequest) -> None:
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            raise ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        key = auth[7:].strip()
        if key != self.admin_key:
            # Like OpenAI, show only the ends of the key; never echo a credential back whole.
            raise ApiError(401, f"Incorrect API key provided: {key[:8]}***{key[-4:]}.")

    def error(self, status: int, message: str) -> ApiResponse:
        kind, code = ERROR_TYPES.get(status, ("server_error", None))
        return ApiResponse(
            status, {"error": {"message": message, "type": kind, "param": None, "code": code}}
        )

    # --- endpoints -------------------------------------------------------------------------

    def _range(self, request: ApiRequest, width: int) -> tuple[int, int]:
        start = parse_int(request.param("start_time"), "start_time", low=0)
        end_text = request.param("end_time")
        end = parse_int(end_text, "end_time", low=0) if end_text else max(self.now, start)
        if end < start:
            raise ApiError(400, "end_time must not be before start_time")
        return start - start % width, end

    def _filter(
        self, request: ApiRequest, names: dict[str, str]
    ) -> Callable[[tuple[Any, ...]], bool] | None:
        """A predicate for the array filters (``project_ids``, ``models``…) over index dims."""
        active = []
        for param, dim in names.items():
            values = request.params(param, param + "[]")
            if values:
                active.append((DIMS.index(dim), set(values)))
        batch = request.param("batch")
        if batch is not None:
            if batch not in ("true", "false"):
                raise ApiError(400, f"batch must be true or false, got {batch!r}")
            active.append((DIMS.index("batch"), {batch == "true"}))
        if not active:
            return None
        return lambda dims: all(dims[i] in values for i, values in active)

    def _page(
        self,
        request: ApiRequest,
        kind: str,
        width_name: str,
        limits: tuple[int, int],
        build: Callable[[int, int], list[JsonObject]],
    ) -> ApiResponse:
        width = BUCKET_SECONDS[width_name]
        limit = parse_int(request.param("limit"), "limit", default=limits[0], low=1, high=limits[1])
        start, end = self._range(request, width)
        token = request.param("page")
        page = int(decode_page(token, kind)) if token else None
        starts, next_start = bucket_page(start, end, width, limit, page)
        data = [
            {
                "object": "bucket",
                "start_time": s,
                "end_time": s + width,
                "results": build(s, width),
            }
            for s in starts
        ]
        if not self.world.reality.is_tidy:
            data = self._wrong(kind, data)
        return ApiResponse(
            200,
            {
                "object": "page",
                "data": data,
                "has_more": next_start is not None,
                "next_page": encode_page(kind, next_start) if next_start else None,
            },
        )

    def _wrong(self, kind: str, data: list[JsonObject]) -> list[JsonObject]:
        """The wrong answers ``sandbox.reality`` turns on (issue 23), on ``hostile_days``."""
        options = self.world.reality
        days = hostile_days(self.world)
        second, third = (epoch(day_start(days[name])) for name in ("extra", "truncated"))
        for bucket in data:
            start, results = bucket["start_time"], bucket["results"]
            if kind == "costs" and start == third and options.truncated_day:
                self.served[start] += 1
                if self.served[start] >= 2:
                    bucket["results"] = results[:1]
            if start != second:
                continue
            if kind == "costs" and options.duplicate_rows and results:
                results.append(dict(results[0]))
            if kind == "costs" and options.negative_rows:
                results.append(_wrong_cost(NEGATIVE_COST_USD, "proj_negative"))
            if kind == "completions" and options.negative_rows:
                results.append(_negative_tokens())
        if kind == "costs" and options.future_rows and any(b["start_time"] == second for b in data):
            future = epoch(day_start(days["future"]))
            data = [
                *data,
                {
                    "object": "bucket",
                    "start_time": future,
                    "end_time": future + BUCKET_SECONDS["1d"],
                    "results": [_wrong_cost(FUTURE_COST_USD, "proj_future")],
                },
            ]
        return data

    def _completions(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        width_name = request.param("bucket_width") or "1d"
        check_choices([width_name], tuple(BUCKET_SECONDS), "bucket_width")
        groups = check_choices(
            request.params("group_by", "group_by[]"), COMPLETIONS_GROUPS, "group_by"
        )
        keep = [name in groups for name in DIMS]
        accept = self._filter(
            request,
            {
                "project_ids": "project_id",
                "user_ids": "user_id",
                "api_key_ids": "api_key_id",
                "models": "model",
            },
        )

        def build(start: int, width: int) -> list[JsonObject]:
            results = []
            for dims, v in self.usage.grouped(start, width, keep, accept):
                named = dict(zip(DIMS, dims, strict=True))
                results.append(
                    {
                        "object": "organization.usage.completions.result",
                        "input_tokens": v[UNCACHED] + v[CACHE_WRITE] + v[CACHE_READ],
                        "input_cached_tokens": v[CACHE_READ],
                        "input_cache_write_tokens": v[CACHE_WRITE],
                        "input_uncached_tokens": v[UNCACHED],
                        "output_tokens": v[OUTPUT],
                        "input_text_tokens": v[UNCACHED],
                        "output_text_tokens": v[OUTPUT],
                        "input_cached_text_tokens": v[CACHE_READ],
                        "input_audio_tokens": 0,
                        "input_cached_audio_tokens": 0,
                        "output_audio_tokens": 0,
                        "input_image_tokens": 0,
                        "input_cached_image_tokens": 0,
                        "output_image_tokens": 0,
                        "num_model_requests": v[REQUESTS],
                        **{name: named[name] for name in COMPLETIONS_GROUPS},
                    }
                )
            return results

        return self._page(request, "completions", width_name, BUCKET_LIMITS[width_name], build)

    def _costs(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        width_name = request.param("bucket_width") or "1d"
        check_choices([width_name], ("1d",), "bucket_width")
        groups = check_choices(request.params("group_by", "group_by[]"), COSTS_GROUPS, "group_by")
        by_line_item = "line_item" in groups
        # Line items name the model, so grouping by line item also splits by model.
        keep = [
            "project_id" in groups,
            False,
            "api_key_id" in groups,
            by_line_item,
            False,
            False,
        ]
        accept = self._filter(request, {"project_ids": "project_id", "api_key_ids": "api_key_id"})

        def build(start: int, width: int) -> list[JsonObject]:
            results = []
            for dims, v in self.usage.grouped(start, width, keep, accept):
                results.extend(cost_results(dims[0], dims[2], dims[3], v, by_line_item))
            return results

        return self._page(request, "costs", width_name, (7, 180), build)

    def _users(self, request: ApiRequest, _m: re.Match[str]) -> ApiResponse:
        limit = parse_int(request.param("limit"), "limit", default=20, low=1, high=100)
        items = self.users
        emails = set(request.params("emails", "emails[]"))
        if emails:
            items = [u for u in items if u["email"] in emails]
        after = request.param("after")
        start = 0
        if after:
            ids = [u["id"] for u in items]
            if after not in ids:
                raise ApiError(400, f"after: unknown user id {after!r}")
            start = ids.index(after) + 1
        page = items[start : start + limit]
        return ApiResponse(
            200,
            {
                "object": "list",
                "data": page,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
                "has_more": start + limit < len(items),
            },
        )


# The wrong rows ``sandbox.reality`` can add (issue 23).
NEGATIVE_COST_USD = Decimal("-9.66")
FUTURE_COST_USD = Decimal("17500")
NEGATIVE_INPUT_TOKENS = -500


def hostile_days(world: World) -> dict[str, Any]:
    """The days the wrong answers concern: ``extra``, the first day with OpenAI usage (future,
    negative and repeated rows are added to its answers); ``truncated``, the last such day
    (truncated from its second serving); ``future``, five years after ``extra``."""
    used = sorted({r.at.date() for _s, r in requests_of(world, ("openai_api",))})
    if not used:
        raise ValueError("the world has no OpenAI usage to answer wrongly about")
    return {
        "extra": used[0],
        "truncated": used[-1],
        "future": used[0] + timedelta(days=5 * 365),
    }


def _wrong_cost(value: Decimal, project_id: str) -> JsonObject:
    return {
        "object": "organization.costs.result",
        "amount": {"value": float(value), "currency": "usd"},
        "line_item": "gpt-wrong, input",
        "project_id": project_id,
        "api_key_id": None,
        "quantity": None,
        "quantity_unit": None,
    }


def _negative_tokens() -> JsonObject:
    zero = {
        name: 0
        for name in (
            "input_cached_tokens", "input_cache_write_tokens", "output_tokens",
            "input_text_tokens", "output_text_tokens", "input_cached_text_tokens",
            "input_audio_tokens", "input_cached_audio_tokens", "output_audio_tokens",
            "input_image_tokens", "input_cached_image_tokens", "output_image_tokens",
        )
    }  # fmt: skip
    return {
        "object": "organization.usage.completions.result",
        **zero,
        "input_tokens": NEGATIVE_INPUT_TOKENS,
        "input_uncached_tokens": NEGATIVE_INPUT_TOKENS,
        "num_model_requests": 1,
        "project_id": "proj_negative",
        "user_id": None,
        "api_key_id": None,
        "model": "gpt-wrong",
        "batch": False,
        "service_tier": "default",
    }


def _values(r: AIRequest) -> tuple[int, int, int, int, int, Decimal]:
    """A request's index values, in the order of ``UNCACHED``…``COST``."""
    return (
        r.input_tokens,
        r.cache_write_5m_tokens + r.cache_write_1h_tokens,
        r.cache_read_tokens,
        r.output_tokens,
        1,
        r.cost_usd,
    )


def cost_results(
    project_id: str | None,
    api_key_id: str | None,
    model: str | None,
    v: Sequence[Any],
    by_line_item: bool,
) -> list[JsonObject]:
    """Cost results of one group: one total, or one per line item (``"<model>, input"``…)."""

    def result(value: Decimal, line_item: str | None, quantity: int | None) -> JsonObject:
        return {
            "object": "organization.costs.result",
            # Dollars as a JSON number (OpenAI's unit), not cents.
            "amount": {"value": float(value), "currency": "usd"},
            "line_item": line_item,
            "project_id": project_id,
            "api_key_id": api_key_id,
            "quantity": quantity,
            "quantity_unit": "tokens" if quantity is not None else None,
        }

    if not by_line_item:
        return [result(v[COST], None, None)]
    weights = [Decimal(v[i]) * rel for i, _name, rel in LINE_ITEMS]
    parts = split_amount(v[COST], weights, DOLLAR_QUANTUM)
    return [
        # Usage whose model the report does not know has line items without one.
        result(part, f"{model}, {name}" if model else name, v[i])
        for (i, name, _rel), part in zip(LINE_ITEMS, parts, strict=True)
        if v[i] or part
    ]
