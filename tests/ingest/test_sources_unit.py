"""Record-level rules of the sources: required fields, unknown fields, exact money, keys, types."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from orchestration.defs.ingest.common import cents_to_usd, day_bounds_ms_inclusive, row_key
from orchestration.defs.ingest.cursor.source import events_to_arrow
from orchestration.defs.ingest.github.source import commit_rows, pull_request_row
from orchestration.defs.ingest.github.source import table as github_table
from orchestration.lib.http import MissingFieldError, SourceError

DAY = date(2026, 10, 2)


def _event(**extra: object) -> dict[str, object]:
    event: dict[str, object] = {
        "timestamp": "1790899200123",
        "userEmail": "dev@example.com",
        "model": "claude-4.5-sonnet",
        "kind": "Usage-based",
        "isTokenBasedCall": True,
        "tokenUsage": {"inputTokens": 126, "outputTokens": 450, "cacheWriteTokens": 6112,
                       "cacheReadTokens": 11964, "totalCents": 20.18232},
        "chargedCents": 21.36232,
    }  # fmt: skip
    event.update(extra)
    return event


def test_cursor_events_exact_cents_and_timestamp() -> None:
    table = events_to_arrow([_event(), _event(chargedCents=8, cursorTokenFee=1.18)], DAY, 2)
    rows = table.to_pylist()
    assert rows[0]["charged_cents"] == Decimal("21.36232")
    assert rows[1]["charged_cents"] == Decimal("8") and rows[1]["cursor_token_fee"] == Decimal(
        "1.18"
    )
    assert rows[0]["token_usage__total_cents"] == Decimal("20.18232")
    assert rows[0]["timestamp"] == "1790899200123"  # kept as the API sends it
    assert rows[0]["event_at"].isoformat() == "2026-10-02T00:00:00.123000+00:00"
    assert rows[0]["cursor_token_fee"] is None  # missing optional field → null
    assert rows[0]["day_total_events"] == 2 and rows[0]["event_date"] == DAY


def test_cursor_unknown_fields_are_kept() -> None:
    table = events_to_arrow(
        [_event(newField="x", nested={"a": 1}, tokenUsage={"inputTokens": 1, "newTok": 5})],
        DAY,
        1,
    )
    row = table.to_pylist()[0]
    assert row["new_field"] == "x"
    assert row["nested"] == '{"a": 1}'
    assert row["token_usage__new_tok"] == 5


@pytest.mark.parametrize("missing", ["timestamp", "model", "chargedCents"])
def test_cursor_missing_required_field_names_vendor_endpoint_field(missing: str) -> None:
    event = _event()
    del event[missing]
    with pytest.raises(MissingFieldError) as info:
        events_to_arrow([_event(), event], DAY, 2)
    assert str(info.value).startswith(
        f"Cursor Admin teams/filtered-usage-events: required field '{missing}'"
    )


def test_helpers() -> None:
    start, end = day_bounds_ms_inclusive(DAY)
    assert end - start == 86_400_000 - 1  # T00:00:00.000 .. T23:59:59.999, both inclusive
    assert cents_to_usd("123.78912") == Decimal("1.2378912")
    assert row_key("a", None, 1) == "a||1"  # what the warehouse has always held


def _pull_request_node(**extra: object) -> dict[str, object]:
    node: dict[str, object] = {
        "repo": "acme/api", "id": "PR_1", "number": 7, "title": "Add retries",
        "isDraft": False, "createdAt": "2026-10-02T09:30:00Z",
        "updatedAt": "2026-10-02T11:00:00+02:00", "mergedAt": None, "additions": 12,
        "author": {"__typename": "User", "login": "ada", "databaseId": 42},
        "commits": {"totalCount": 1, "pageInfo": {"hasNextPage": False}, "nodes": [{"commit": {
            "oid": "abc", "authoredDate": "2026-10-01T23:59:59.5Z", "newCommitField": 3,
        }}]},
    }  # fmt: skip
    node.update(extra)
    return node


def test_github_tables_have_the_warehouse_types() -> None:
    node = _pull_request_node(newField="x", newObject={"a": 1})
    prs = github_table("pull_requests", [pull_request_row(node)])
    assert prs.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert prs.schema.field("id").nullable is False
    row = prs.to_pylist()[0]
    assert row["updated_at"].isoformat() == "2026-10-02T09:00:00+00:00"  # offset applied
    assert row["merged_at"] is None and row["closed_at"] is None  # declared, even if absent
    assert (row["is_draft"], row["number"], row["author_database_id"]) == (False, 7, 42)
    assert row["commits_total_count"] == 1
    # A field added to the query loads with an inferred type; nested values as JSON text.
    assert (row["new_field"], row["new_object"]) == ("x", '{"a": 1}')
    commits = github_table("pull_request_commits", list(commit_rows(node)))
    commit = commits.to_pylist()[0]
    assert commit["authored_date"].isoformat() == "2026-10-01T23:59:59.500000+00:00"
    assert commit["pull_request_id"] == "PR_1" and commit["position"] == 0
    assert commit["new_commit_field"] == 3


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"number": "seven"}, "column 'number' expects int64, row 0 holds 'seven'"),
        ({"createdAt": "yesterday"}, "column 'created_at' is not ISO 8601 time"),
        ({"id": None}, "column 'id' is a key and cannot be null"),
    ],
)
def test_github_value_that_does_not_fit_names_table_and_column(
    extra: dict[str, object], message: str
) -> None:
    with pytest.raises(SourceError) as info:
        github_table("pull_requests", [pull_request_row(_pull_request_node(**extra))])
    assert str(info.value).startswith(
        f"GitHub graphql pullRequests, table pull_requests: {message}"
    )
