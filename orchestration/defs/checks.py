"""Asset checks that need the API's own totals (row counts), and the raw tables' freshness.

Row counts compare what landed with what the vendor said it had: Cursor's
``totalUsageEventsCount`` per day, GitHub's ``totalCount`` of each nested connection per pull
request (proof that nothing was truncated), Copilot's ``total_seats``. The totals are stored next
to the rows at load time, so a check only reads the warehouse (DuckDB or PostgreSQL, through the
dlt SQL client). The archived tables hold every load's version of a day
(``orchestration/defs/ingest/archive.py``), so they are counted per day and load.
"""

from datetime import timedelta
from typing import Any

import dagster as dg

from orchestration.defs.resources import WarehouseResource


def _query(warehouse: WarehouseResource, source: str, sql: str) -> list[tuple[Any, ...]] | None:
    """Rows of ``sql`` with ``{t:name}`` replaced by qualified table names; None if missing."""
    pipeline = warehouse.pipeline(source)
    with pipeline.sql_client() as client:
        names = {}
        for part in sql.split("{t:")[1:]:
            table = part.split("}", 1)[0]
            names["{t:" + table + "}"] = client.make_qualified_table_name(table)
            if not client.has_dataset():
                return None
        for placeholder, qualified in names.items():
            sql = sql.replace(placeholder, qualified)
        try:
            with client.execute_query(sql) as cursor:
                return list(cursor.fetchall())
        except Exception as exc:
            if "does not exist" in str(exc).lower() or "not found" in str(exc).lower():
                return None
            raise


def _result(rows: list[tuple[Any, ...]] | None, what: str) -> dg.AssetCheckResult:
    if rows is None:
        return dg.AssetCheckResult(passed=True, metadata={"note": "table not loaded yet"})
    mismatches = [r for r in rows if r[1] != r[2]]
    return dg.AssetCheckResult(
        passed=not mismatches,
        metadata={
            "checked": len(rows),
            "mismatches": len(mismatches),
            "examples": dg.MetadataValue.json([list(map(str, r)) for r in mismatches[:10]]),
            "rule": what,
        },
    )


@dg.asset_check(
    asset=dg.AssetKey(["raw_cursor", "usage_events"]),
    description="Events per day equal Cursor's totalUsageEventsCount for that day.",
)
def cursor_events_match_api_total(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    rows = _query(
        warehouse,
        "cursor",
        "select event_date, count(*), max(day_total_events) from {t:usage_events} "
        "group by event_date, _tokenworth_load_id",
    )
    return _result(rows, "count(*) per event_date = totalUsageEventsCount")


def _github_child_check(table: str, total_column: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw_github", table]),
        name=f"{table}_match_total_count",
        description=f"Rows per pull request equal GraphQL totalCount ({total_column}).",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        rows = _query(
            warehouse,
            "github",
            f"select p.id, coalesce(c.n, 0), p.{total_column} from {{t:pull_requests}} p "
            f"left join (select pull_request_id, count(*) as n from {{t:{table}}} "
            f"group by 1) c on c.pull_request_id = p.id where p.{total_column} is not null",
        )
        return _result(rows, f"rows per pull request = {total_column}")

    return _check


github_child_checks = [
    _github_child_check("pull_request_commits", "commits_total_count"),
    _github_child_check("pull_request_reviews", "reviews_total_count"),
    _github_child_check("pull_request_review_threads", "review_threads_total_count"),
    _github_child_check("pull_request_files", "files_total_count"),
    _github_child_check("pull_request_labels", "labels_total_count"),
    _github_child_check("pull_request_timeline_events", "timeline_items_total_count"),
]


@dg.asset_check(
    asset=dg.AssetKey(["raw_copilot", "seats"]),
    description="Seats per snapshot equal the API's total_seats.",
)
def copilot_seats_match_api_total(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    rows = _query(
        warehouse,
        "copilot",
        "select snapshot_date, count(*), max(total_seats) from {t:seats} "
        "group by snapshot_date, _tokenworth_load_id",
    )
    return _result(rows, "count(*) per snapshot_date = total_seats")


def api_total_checks() -> list[dg.AssetChecksDefinition]:
    """Checks comparing loaded rows with the vendor's own totals."""
    return [cursor_events_match_api_total, copilot_seats_match_api_total, *github_child_checks]


def raw_freshness_policy() -> dg.FreshnessPolicy:
    """Each night's load is due by 04:00 UTC (the schedule starts at 02:00): Dagster marks a
    raw table stale when no load landed in the 24 hours before that deadline."""
    return dg.FreshnessPolicy.cron(
        deadline_cron="0 4 * * *", lower_bound_delta=timedelta(hours=24), timezone="UTC"
    )
