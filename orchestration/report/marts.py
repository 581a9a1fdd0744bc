"""Read the marts the report needs, from DuckDB or PostgreSQL, as plain Python values.

Only ``marts.*`` tables are read, and only at team, repository, platform or period grain: the
report never sees a person. The SQL is plain ANSI (sum, count, group by) so that the same
statements run on both warehouses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from orchestration.lib.warehouse import Warehouse

Row = dict[str, Any]


class MartReader(Protocol):
    def __call__(self, sql: str) -> list[Row]: ...


class ReportDataError(RuntimeError):
    """A mart the report reads is missing or unreadable; the message says which and what to do."""


def _plain(value: Any) -> Any:
    """JSON-friendly values: decimals become floats, dates ISO strings.

    A whole decimal becomes an int: PostgreSQL sums integers as numeric where DuckDB returns an
    int, and the page's data should not depend on the warehouse.
    """
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows(cursor: Any) -> list[Row]:
    """A DB-API cursor's result (DuckDB's or psycopg2's) as JSON-friendly dicts."""
    names = [column[0] for column in cursor.description]
    return [
        {name: _plain(value) for name, value in zip(names, row, strict=True)}
        for row in cursor.fetchall()
    ]


@contextmanager
def open_reader(warehouse: Warehouse) -> Iterator[MartReader]:
    """A function running one SELECT on the warehouse and returning its rows as dicts."""
    if warehouse.kind == "spark":
        raise ReportDataError(
            f"the HTML report reads DuckDB or PostgreSQL, not {warehouse.display}: on Spark, "
            "point a BI tool at the marts schema (docs/spark.md)"
        )
    if warehouse.kind == "duckdb":
        import duckdb

        assert warehouse.duckdb_path is not None
        if not warehouse.duckdb_path.exists():
            raise ReportDataError(
                f"no warehouse at {warehouse.duckdb_path}: run `tokenworth run` or "
                "`tokenworth demo` first, or set TOKENWORTH_WAREHOUSE_URL to an existing warehouse"
            )
        con = duckdb.connect(str(warehouse.duckdb_path), read_only=True)
        try:
            yield _naming_errors(lambda sql: _rows(con.execute(sql)), warehouse)
        finally:
            con.close()
        return

    import psycopg2  # installed with dbt-postgres

    con = psycopg2.connect(
        host=warehouse.host,
        port=warehouse.port,
        user=warehouse.user,
        password=warehouse.password,
        dbname=warehouse.database,
    )
    con.set_session(readonly=True, autocommit=True)

    def read_pg(sql: str) -> list[Row]:
        with con.cursor() as cursor:
            cursor.execute(sql)
            return _rows(cursor)

    try:
        yield _naming_errors(read_pg, warehouse)
    finally:
        con.close()


def _naming_errors(read: MartReader, warehouse: Warehouse) -> MartReader:
    def run(sql: str) -> list[Row]:
        try:
            return read(sql)
        except Exception as error:  # any driver error becomes one clear message
            table = sql.split(" from ", 1)[1].split()[0] if " from " in sql else "?"
            raise ReportDataError(
                f"cannot read {table} from {warehouse.display}: {type(error).__name__}: "
                f"{str(error).splitlines()[0]} — build the marts first (`tokenworth run` or "
                "`dbt build`) so every mart the report reads exists"
            ) from error

    return run


def platform_months(read: MartReader) -> list[Row]:
    return read(
        """
        select
            platform,
            month_start_date as period,
            sum(total_spend_usd) as total_spend_usd,
            sum(usage_spend_usd) as usage_spend_usd,
            sum(seat_cost_usd) as seat_cost_usd,
            sum(attributed_spend_usd) as attributed_spend_usd,
            sum(accepted_outcomes) as accepted_outcomes,
            sum(durable_outcomes) as durable_outcomes,
            sum(rework_adjusted_cost_per_accepted_outcome_usd * accepted_outcomes)
                as rework_adjusted_cost_usd
        from marts.mart_platform_efficiency
        group by platform, month_start_date
        order by month_start_date, platform
        """
    )


def spend_classes(read: MartReader) -> list[Row]:
    # Teams under the cohort size are already merged into `suppressed` by the mart; the report
    # only ever adds these rows up (never splits them), so no smaller group can appear.
    return read(
        """
        select
            week_start_date as period,
            team,
            platform,
            sum(productive_usd) as productive,
            sum(exploratory_usd) as exploratory,
            sum(retry_usd) as retry,
            sum(abandoned_usd) as abandoned,
            sum(rework_usd) as rework,
            sum(pending_usd) as pending,
            sum(total_spend_usd) as total
        from marts.mart_spend_classification
        group by week_start_date, team, platform
        order by week_start_date, team, platform
        """
    )


def cache_by_month(read: MartReader) -> list[Row]:
    # Platform-level: the team-level weekly groups of mart_cache_efficiency are suppressed below
    # the cohort size, which on a small organisation is all of them.
    return read(
        """
        select
            platform,
            month_start_date as period,
            max(cache_hit_rate) as cache_hit_rate
        from marts.mart_platform_efficiency
        group by platform, month_start_date
        order by month_start_date, platform
        """
    )


def cache_token_platforms(read: MartReader) -> list[Row]:
    # Cache tokens of the groups large enough to show: evidence that a platform reports cache
    # data at all (a hit rate of 0 from such a platform is a real 0 %).
    return read(
        """
        select
            platform,
            sum(cache_read_tokens) as cache_read_tokens,
            sum(cache_write_tokens) as cache_write_tokens
        from marts.mart_cache_efficiency
        where not is_suppressed
        group by platform
        order by platform
        """
    )


def cache_savings(read: MartReader) -> list[Row]:
    return read(
        """
        select
            sum(saved_usd) as saved_usd,
            sum(cache_write_tokens) as cache_write_tokens,
            sum(cache_read_tokens) as cache_read_tokens,
            sum(case when is_suppressed then 1 else 0 end) as suppressed_groups,
            count(*) as groups
        from marts.mart_cache_efficiency
        """
    )


def review_drag(read: MartReader) -> list[Row]:
    # Averages become sums weighted by the PR counts they were taken over, so the page can add
    # months up and divide again.
    return read(
        """
        select
            created_month as period,
            is_ai_assisted,
            sum(pull_request_count) as pull_requests,
            sum(merged_count) as merged,
            sum(avg_changed_lines * pull_request_count) as changed_lines,
            sum(avg_hours_to_first_review * pull_request_count) as first_review_hours,
            sum(case when avg_hours_to_first_review is null then 0 else pull_request_count end)
                as reviewed_weight,
            sum(avg_hours_to_merge * merged_count) as merge_hours,
            sum(case when avg_hours_to_merge is null then 0 else merged_count end) as merge_weight,
            sum(avg_review_rounds * pull_request_count) as review_rounds,
            sum(review_cost_usd) as review_cost_usd
        from marts.mart_review_drag
        group by created_month, is_ai_assisted
        order by created_month, is_ai_assisted desc
        """
    )


def rework_by_platform(read: MartReader) -> list[Row]:
    return read(
        """
        select
            merged_month as period,
            primary_platform as platform,
            count(*) as accepted_prs,
            sum(ai_cost_usd) as ai_cost_usd,
            sum(review_cost_usd) as review_cost_usd,
            sum(repair_cost_usd) as repair_cost_usd,
            sum(rework_adjusted_cost_usd) as rework_adjusted_cost_usd
        from marts.mart_rework_adjusted_cost
        group by merged_month, primary_platform
        order by merged_month, primary_platform
        """
    )


def durability(read: MartReader) -> list[Row]:
    return read(
        """
        select
            merged_month as period,
            is_ai_assisted,
            horizon_days,
            sum(merged_pr_count) as merged_prs,
            sum(measured_pr_count) as measured_prs,
            sum(pending_pr_count) as pending_prs,
            sum(effective_lines_added) as effective_lines_added,
            sum(lines_surviving) as lines_surviving,
            sum(durable_pr_count) as durable_prs
        from marts.mart_durability_curve
        group by merged_month, is_ai_assisted, horizon_days
        order by merged_month, horizon_days, is_ai_assisted desc
        """
    )


def data_quality(read: MartReader) -> list[Row]:
    # Every column: the report turns each count column into a sentence, including check columns
    # added after it was written (charts.quality_checks says how).
    return read(
        """
        select *
        from marts.mart_data_quality
        order by activity_date, source_name
        """
    )


def source_freshness(read: MartReader) -> list[Row]:
    """Each source's latest outcome and whether it is stale (``mart_source_freshness``)."""
    return read(
        """
        select source_name, product, latest_status, latest_message, last_loaded_date,
               days_behind, is_stale
        from marts.mart_source_freshness
        order by source_name, product nulls first
        """
    )
