"""``POST /graphql`` of the sandbox: GitHub's GraphQL API over a simulated world.

A real executor (graphql-core) runs every query against a subset of GitHub's schema
(``schema.graphql``), so any valid query over the subset works and anything else fails as it
would on GitHub. Before a query runs, GitHub's static checks apply (pagination bounds, node limit)
and its point cost is charged against an hourly budget, with GitHub's rate-limit headers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLSyntaxError,
    GraphQLUnionType,
    OperationDefinitionNode,
    build_schema,
    execute,
    get_operation_ast,
    is_abstract_type,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from sandbox.github.analysis import (
    Error,
    parse_error,
    plan_operation,
    validation_errors,
    variable_errors,
)
from sandbox.github.index import VIEWER_ID, WorldIndex
from sandbox.github.views import ERROR_TYPE_KEY, Ctx, github_error
from sandbox.model import World

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
WINDOW_SECONDS = 3600

Response = tuple[int, dict[str, str], dict[str, Any]]


def _resolve_type(value: Any, info: GraphQLResolveInfo, abstract_type: Any) -> str:
    # Every view names its GraphQL object type; events carry the world's own typename.
    return value.typename


@cache
def github_schema() -> GraphQLSchema:
    """The schema subset, built once per process (building it takes a few milliseconds)."""
    schema = build_schema(SCHEMA_PATH.read_text())
    for named in schema.type_map.values():
        if is_abstract_type(named):
            named.resolve_type = _resolve_type  # type: ignore[attr-defined]
    return schema


def _timeline_types(schema: GraphQLSchema) -> frozenset[str]:
    union = schema.get_type("PullRequestTimelineItems")
    assert isinstance(union, GraphQLUnionType)
    return frozenset(t.name for t in union.types)


class _Root:
    """``Query``'s fields for one request."""

    def __init__(self, ctx: Ctx, rate: dict[str, Any], late_errors: list[Error]) -> None:
        self.ctx = ctx
        self._rate = rate
        self._late_errors = late_errors
        self.viewer = ctx.viewer

    def rateLimit(self, info: GraphQLResolveInfo, dryRun: bool = False) -> dict[str, Any]:
        return self._rate

    def repository(self, info: GraphQLResolveInfo, owner: str, name: str, **_: Any) -> Any:
        repo = self.ctx.ix.repo_by_name(owner, name)
        if repo is None:
            raise github_error(
                "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
            )
        return self.ctx.repo(repo)

    def organization(self, info: GraphQLResolveInfo, login: str) -> Any:
        if login.lower() != self.ctx.ix.org.lower():
            raise github_error(
                "NOT_FOUND", f"Could not resolve to an Organization with the login of '{login}'."
            )
        return self.ctx.org

    def user(self, info: GraphQLResolveInfo, login: str) -> Any:
        view = self.ctx.user(login)
        known = view is not None and (view.person is not None or view is self.ctx.viewer)
        if not known:
            raise github_error(
                "NOT_FOUND", f"Could not resolve to a User with the login of '{login}'."
            )
        return view

    def repositoryOwner(self, info: GraphQLResolveInfo, login: str) -> Any:
        if login.lower() == self.ctx.ix.org.lower():
            return self.ctx.org
        view = self.ctx.user(login)
        return view if view is not None and view.person is not None else None

    def node(self, info: GraphQLResolveInfo, id: str) -> Any:
        found = self.ctx.node(id)
        if found is None:
            raise github_error(
                "NOT_FOUND", f"Could not resolve to a node with the global id of '{id}'"
            )
        return found

    def nodes(self, info: GraphQLResolveInfo, ids: list[str]) -> list[Any]:
        found = []
        for i, node_id in enumerate(ids):
            node = self.ctx.node(node_id)
            if node is None:
                # graphql-core cannot fail one list item, so the error is added afterwards.
                self._late_errors.append(
                    {
                        "type": "NOT_FOUND",
                        "path": [*_response_path(info), i],
                        "message": f"Could not resolve to a node with the global id of '{node_id}'",
                    }
                )
            found.append(node)
        return found


def _response_path(info: GraphQLResolveInfo) -> list[str | int]:
    return list(info.path.as_list())


def _shape_error(error: GraphQLError) -> Error:
    """A resolver's error as GitHub shows it: ``type`` beside ``message``, no extensions."""
    formatted = dict(error.formatted)
    extensions = dict(formatted.pop("extensions", None) or {})
    out: Error = {}
    error_type = extensions.pop(ERROR_TYPE_KEY, None)
    if error_type is not None:
        out["type"] = error_type
    for key in ("path", "locations"):
        if formatted.get(key) is not None:
            out[key] = formatted[key]
    if extensions:
        out["extensions"] = extensions
    out["message"] = formatted["message"]
    return out


class GraphQLApi:
    """GitHub's GraphQL endpoint over one world, with GitHub's point budget per hour."""

    def __init__(
        self,
        world: World,
        points_per_hour: int = 5000,
        *,
        clock: Callable[[], float] = time.time,
        as_of: date | None = None,
    ) -> None:
        self.schema = github_schema()
        self.index = WorldIndex(world, as_of)
        self.ctx = Ctx(self.index, _timeline_types(self.schema))
        self.limit = points_per_hour
        self.clock = clock
        # Benchmarks read these: every POST, and every point charged to executed queries.
        self.requests = 0
        self.points_used = 0
        self._window_reset: float | None = None
        self._window_used = 0
        self._lock = threading.Lock()
        self._documents: dict[str, DocumentNode | list[Error]] = {}

    def set_as_of(self, day: date | None) -> None:
        """Answer as of ``day``: repositories renamed, transferred, archived or deleted by then."""
        with self._lock:
            self.index.as_of = day

    # ---------------------------------------------------------------------------- rate budget

    def _roll_window(self, now: float) -> None:
        # GitHub's hourly window starts at the first request after the previous one ended.
        if self._window_reset is None or now >= self._window_reset:
            self._window_reset = now + WINDOW_SECONDS
            self._window_used = 0

    def _headers(self) -> dict[str, str]:
        assert self._window_reset is not None
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(0, self.limit - self._window_used)),
            "x-ratelimit-used": str(self._window_used),
            "x-ratelimit-reset": str(int(self._window_reset)),
            "x-ratelimit-resource": "graphql",
        }

    # ------------------------------------------------------------------------------- execute

    def execute(self, body: dict[str, Any]) -> Response:
        """(HTTP status, headers such as x-ratelimit-*, JSON body) for one POST /graphql body."""
        with self._lock:
            self.requests += 1
            self._roll_window(self.clock())
        query = body.get("query") if isinstance(body, dict) else None
        if not isinstance(query, str) or not query.strip():
            message = "A query attribute must be specified and must be a string."
            return self._reply({"errors": [{"message": message}]})
        checked = self._checked(query)
        if isinstance(checked, list):
            return self._reply({"errors": checked})
        document = checked
        operation_name = body.get("operationName") or None
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f'No operation named "{operation_name}"'
                if operation_name
                else "An operation name is required"
            )
            return self._reply({"errors": [{"message": message}]})
        if operation.operation.value != "query":
            message = f"Schema is not configured for {operation.operation.value}s"
            return self._reply({"errors": [{"message": message}]})
        raw_variables = body.get("variables") or {}
        if not isinstance(raw_variables, dict):
            return self._reply({"errors": [{"message": "Variables must be a JSON object"}]})
        coerced = get_variable_values(self.schema, operation.variable_definitions, raw_variables)
        if isinstance(coerced, list):
            return self._reply({"errors": variable_errors(coerced, raw_variables)})
        return self._run(document, operation, coerced, raw_variables)

    def _checked(self, query: str) -> DocumentNode | list[Error]:
        """The parsed, validated document, or GitHub-shaped errors; cached per query text because
        a client sends the same query for every page and validation costs as much as running."""
        cached = self._documents.get(query)
        if cached is not None:
            return cached
        try:
            document = parse(query)
        except GraphQLSyntaxError as error:
            return [parse_error(query, error)]
        errors = validate(self.schema, document)
        checked: DocumentNode | list[Error] = (
            validation_errors(document, errors) if errors else document
        )
        with self._lock:
            if len(self._documents) >= 256:
                self._documents.clear()
            self._documents[query] = checked
        return checked

    def _run(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        raw_variables: dict[str, Any],
    ) -> Response:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        plan = plan_operation(self.schema, operation, fragments, variables)
        if plan.errors:
            return self._reply({"errors": plan.errors})
        cost = plan.cost
        with self._lock:
            remaining = self.limit - self._window_used
            limited = cost > remaining
            if limited:
                # Past the limit the budget counts as spent until the window resets, as GitHub
                # answers with remaining 0 and a client waits for x-ratelimit-reset.
                self._window_used = self.limit
            elif not plan.dry_run:
                self._window_used += cost
                self.points_used += cost
            assert self._window_reset is not None
            rate = {
                "cost": cost,
                "limit": self.limit,
                "nodeCount": plan.node_count,
                "remaining": self.limit - self._window_used,
                "used": self._window_used,
                "resetAt": datetime.fromtimestamp(int(self._window_reset), UTC).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
            }
        if limited:
            message = f"API rate limit exceeded for user ID {VIEWER_ID}."
            return self._reply({"errors": [{"type": "RATE_LIMITED", "message": message}]})
        late_errors: list[Error] = []
        result = execute(
            self.schema,
            document,
            root_value=_Root(self.ctx, rate, late_errors),
            variable_values=raw_variables,
            operation_name=operation.name.value if operation.name else None,
        )
        assert not hasattr(result, "__await__")  # every resolver is synchronous
        payload: dict[str, Any] = {}
        shaped = [_shape_error(e) for e in result.errors or []] + late_errors  # type: ignore[union-attr]
        if shaped:
            payload["errors"] = shaped
        payload["data"] = result.data  # type: ignore[union-attr]
        return self._reply(payload)

    def _reply(self, payload: dict[str, Any]) -> Response:
        with self._lock:
            headers = self._headers()
        headers["content-type"] = "application/json; charset=utf-8"
        return 200, headers, payload
