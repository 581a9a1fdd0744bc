"""What GitHub checks before it runs a query: pagination bounds, node limit and point cost; and
how GitHub words parse and validation errors (GraphQL-Ruby's shapes, not graphql-core's).

Cost follows GitHub's documented rule: add up, over every connection in the query, the number of
requests needed to fulfil it assuming every parent connection returns its full ``first``/``last``;
divide by 100 and round; at least 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    Lexer,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TokenKind,
    get_named_type,
)
from graphql.execution.values import get_argument_values

MAX_PAGE = 100
MAX_NODES = 500_000

Error = dict[str, Any]


@dataclass
class Plan:
    """The static facts about one operation that GitHub computes before running it."""

    requests: int = 0
    node_count: int = 0
    dry_run: bool = False
    errors: list[Error] = field(default_factory=list)

    @property
    def cost(self) -> int:
        # Ruby rounds half away from zero; Python's round() would round 250/100 down to 2.
        return max(1, int(self.requests / 100 + 0.5))


def _location(node: FieldNode) -> list[dict[str, int]]:
    loc = node.loc
    if loc is None:
        return []
    location = loc.source.get_location(loc.start)
    return [{"line": location.line, "column": location.column}]


def plan_operation(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> Plan:
    """Walk the operation with its variables; collect cost, node count and GitHub's pagination
    errors (MISSING_PAGINATION_BOUNDARIES, EXCESSIVE_PAGINATION, MAX_NODE_LIMIT_EXCEEDED)."""
    plan = Plan()
    root = schema.query_type
    assert root is not None
    _walk(schema, operation.selection_set, root, 1, [], fragments, variables, plan, set())
    if not plan.errors and plan.node_count > MAX_NODES:
        plan.errors.append(
            {
                "type": "MAX_NODE_LIMIT_EXCEEDED",
                "message": (
                    f"This query requests up to {plan.node_count:,} possible nodes which exceeds "
                    f"the maximum limit of {MAX_NODES:,}."
                ),
            }
        )
    return plan


def _walk(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    parent: Any,
    multiplier: int,
    path: list[str],
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    plan: Plan,
    visiting: set[str],
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = schema.get_type(condition.name.value) if condition else parent
            _walk(
                schema,
                selection.selection_set,
                target,
                multiplier,
                path,
                fragments,
                variables,
                plan,
                visiting,
            )
            continue
        if isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visiting:  # validation has reported both already
                continue
            target = schema.get_type(fragment.type_condition.name.value)
            _walk(
                schema,
                fragment.selection_set,
                target,
                multiplier,
                path,
                fragments,
                variables,
                plan,
                visiting | {name},
            )
            continue
        assert isinstance(selection, FieldNode)
        name = selection.name.value
        if name.startswith("__") or not isinstance(
            parent, (GraphQLObjectType, GraphQLInterfaceType)
        ):
            continue
        field_def = parent.fields.get(name)
        if field_def is None:
            continue
        args = get_argument_values(field_def, selection, variables)
        key = selection.alias.value if selection.alias else name
        here = [*path, key]
        if name == "rateLimit" and args.get("dryRun"):
            plan.dry_run = True
        child_multiplier = multiplier
        return_type = get_named_type(field_def.type)
        if return_type.name.endswith("Connection") and "first" in field_def.args:
            size = _page_size(name, args, selection, here, plan)
            if size is None:
                continue
            plan.requests += multiplier
            plan.node_count += multiplier * size
            child_multiplier = multiplier * size
        if selection.selection_set is not None:
            _walk(
                schema,
                selection.selection_set,
                return_type,
                child_multiplier,
                here,
                fragments,
                variables,
                plan,
                visiting,
            )


def _page_size(
    name: str, args: dict[str, Any], node: FieldNode, path: list[str], plan: Plan
) -> int | None:
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        plan.errors.append(
            {
                "type": "MISSING_PAGINATION_BOUNDARIES",
                "path": path,
                "locations": _location(node),
                "message": (
                    "You must provide a `first` or `last` value to properly paginate the "
                    f"`{name}` connection."
                ),
            }
        )
        return None
    for arg, value in (("first", first), ("last", last)):
        if value is None:
            continue
        if value > MAX_PAGE:
            plan.errors.append(
                {
                    "type": "EXCESSIVE_PAGINATION",
                    "path": path,
                    "locations": _location(node),
                    "message": (
                        f"Requesting {value} records on the `{name}` connection exceeds the "
                        f"`{arg}` limit of {MAX_PAGE} records."
                    ),
                }
            )
            return None
        if value < 0:
            plan.errors.append(
                {
                    "type": "INVALID_PAGINATION",
                    "path": path,
                    "locations": _location(node),
                    "message": f"`{arg}` on the `{name}` connection cannot be less than zero.",
                }
            )
            return None
    return max(v for v in (first, last) if v is not None)


# ---------------------------------------------------------------------------- error formatting

_TOKEN_NAMES = {
    TokenKind.BRACE_L: "LCURLY",
    TokenKind.BRACE_R: "RCURLY",
    TokenKind.PAREN_L: "LPAREN",
    TokenKind.PAREN_R: "RPAREN",
    TokenKind.BRACKET_L: "LBRACKET",
    TokenKind.BRACKET_R: "RBRACKET",
    TokenKind.COLON: "COLON",
    TokenKind.EQUALS: "EQUALS",
    TokenKind.BANG: "BANG",
    TokenKind.DOLLAR: "VAR_SIGN",
    TokenKind.AT: "DIR_SIGN",
    TokenKind.SPREAD: "ELLIPSIS",
    TokenKind.PIPE: "PIPE",
    TokenKind.AMP: "AMP",
    TokenKind.NAME: "IDENTIFIER",
    TokenKind.INT: "INT",
    TokenKind.FLOAT: "FLOAT",
    TokenKind.STRING: "STRING",
    TokenKind.BLOCK_STRING: "STRING",
}


def parse_error(query: str, error: GraphQLSyntaxError) -> Error:
    """GraphQL-Ruby's wording: ``Parse error on "}" (RCURLY) at [3, 5]``."""
    line, column = 1, 1
    if error.locations:
        line, column = error.locations[0].line, error.locations[0].column
    location = [{"line": line, "column": column}]
    position = error.positions[0] if error.positions else 0
    token = None
    try:
        lexer = Lexer(Source(query))
        token = lexer.advance()
        while token.kind != TokenKind.EOF and token.end <= position:
            token = lexer.advance()
    except GraphQLSyntaxError:
        token = None
    if token is None:
        return {"message": error.message, "locations": location}
    if token.kind == TokenKind.EOF:
        return {"message": "Unexpected end of document", "locations": location}
    text = token.value if token.value is not None else token.kind.value
    kind = _TOKEN_NAMES.get(token.kind, token.kind.name)
    message = f'Parse error on "{text}" ({kind}) at [{line}, {column}]'
    return {"message": message, "locations": location}


_UNDEFINED_FIELD = re.compile(r"^Cannot query field '(?P<field>[^']+)' on type '(?P<type>[^']+)'")
_UNKNOWN_ARGUMENT = re.compile(
    r"^Unknown argument '(?P<arg>[^']+)' on field '[^.']+\.(?P<field>[^']+)'"
)
_MISSING_ARGUMENT = re.compile(
    r"^Field '(?P<field>[^']+)' argument '(?P<arg>[^']+)' of type '[^']+' is required"
)


def _node_paths(document: Any) -> dict[int, list[str]]:
    """Path of every field and argument node, GraphQL-Ruby style: ``["query Name", "a", "b"]``."""
    paths: dict[int, list[str]] = {}

    def visit(selection_set: SelectionSetNode | None, path: list[str]) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                here = [*path, selection.alias.value if selection.alias else selection.name.value]
                paths[id(selection)] = here
                for argument in selection.arguments:
                    paths[id(argument)] = [*here, argument.name.value]
                visit(selection.selection_set, here)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                label = f"... on {condition.name.value}" if condition else "..."
                visit(selection.selection_set, [*path, label])

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            head = definition.operation.value
            if definition.name:
                head = f"{head} {definition.name.value}"
            visit(definition.selection_set, [head])
        elif isinstance(definition, FragmentDefinitionNode):
            visit(definition.selection_set, [f"fragment {definition.name.value}"])
    return paths


def validation_errors(document: Any, errors: list[GraphQLError]) -> list[Error]:
    """graphql-core's validation errors reworded as GitHub (GraphQL-Ruby) words them."""
    paths = _node_paths(document)
    shaped: list[Error] = []
    missing: dict[int, Error] = {}
    for error in errors:
        node = error.nodes[0] if error.nodes else None
        path = paths.get(id(node)) if node is not None else None
        locations = [{"line": loc.line, "column": loc.column} for loc in error.locations or []]
        out: Error = {}
        if path is not None:
            out["path"] = path
        if (match := _UNDEFINED_FIELD.match(error.message)) is not None:
            out["extensions"] = {
                "code": "undefinedField",
                "typeName": match["type"],
                "fieldName": match["field"],
            }
            message = f"Field '{match['field']}' doesn't exist on type '{match['type']}'"
        elif (match := _UNKNOWN_ARGUMENT.match(error.message)) is not None:
            out["extensions"] = {
                "code": "argumentNotAccepted",
                "name": match["field"],
                "typeName": "Field",
                "argumentName": match["arg"],
            }
            message = f"Field '{match['field']}' doesn't accept argument '{match['arg']}'"
        elif (match := _MISSING_ARGUMENT.match(error.message)) is not None:
            # GraphQL-Ruby reports all missing arguments of one field in one error.
            previous = missing.get(id(node))
            if previous is not None:
                names = f"{previous['extensions']['arguments']}, {match['arg']}"
                previous["extensions"]["arguments"] = names
                previous["message"] = (
                    f"Field '{match['field']}' is missing required arguments: {names}"
                )
                continue
            out["extensions"] = {
                "code": "missingRequiredArguments",
                "className": "Field",
                "name": match["field"],
                "arguments": match["arg"],
            }
            message = f"Field '{match['field']}' is missing required arguments: {match['arg']}"
            missing[id(node)] = out
        else:
            message = error.message
        out["locations"] = locations
        out["message"] = message
        shaped.append(out)
    return shaped


def variable_errors(errors: list[GraphQLError], raw: dict[str, Any]) -> list[Error]:
    """Variable coercion errors in GraphQL-Ruby's wording."""
    shaped = []
    for error in errors:
        match = re.match(r"^Variable '\$(\w+)' (?:of (?:required )?type '([^']+)')?", error.message)
        locations = [{"line": loc.line, "column": loc.column} for loc in error.locations or []]
        if match is None:
            shaped.append({"message": error.message, "locations": locations})
            continue
        name, type_name = match.group(1), match.group(2) or ""
        shaped.append(
            {
                "extensions": {
                    "value": raw.get(name),
                    "problems": [{"path": [], "explanation": error.message}],
                },
                "locations": locations,
                "message": f"Variable ${name} of type {type_name} was provided invalid value",
            }
        )
    return shaped
