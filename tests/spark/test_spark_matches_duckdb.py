"""The whole pipeline on Spark publishes the same tables as on DuckDB, row for row.

``spark_warehouse`` extracts the tiny sandbox for Spark (dlt into the landing file, the raw layer
published as Parquet) and runs ``dbt build`` on Spark in one session (every model, unit test and
data test must pass); ``built_warehouse`` is the DuckDB build of the same data. Every table of
the ``core``, ``marts`` and ``restricted`` schemas is compared with the normalisation of the
PostgreSQL test (numbers at the DuckDB column's scale, timestamps in UTC, rows as sorted
multisets), plus the differences Spark is allowed:

* columns are compared by name, not position: a Spark table partitioned by day (the incremental
  facts) keeps its partition column last;
* the run record (``fct_source_runs``, ``mart_source_freshness``) and the archive's ledger
  (``fct_day_versions``) carry each run's and load's id and clock times, which differ between two
  extractions: compared without those columns.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.postgres.test_postgres_matches_duckdb import CENT, RUN_COLUMNS, _duckdb_tables, _rows
from tests.spark.conftest import SparkWarehouse
from tests.warehouse.fixtures import Warehouse

pytestmark = [pytest.mark.spark, pytest.mark.slow]

COMPARED_SCHEMAS = ("core", "marts", "restricted")
# Per table: the columns that record when and in which run a source loaded (not data), as the
# PostgreSQL comparison leaves them out.
RUN_RECORD_COLUMNS = RUN_COLUMNS


def _spark_columns(spark: SparkWarehouse, table: str) -> list[str]:
    return [row[0] for row in spark.query(f"describe select * from {{{table}}}")]


def test_same_tables_and_columns(
    built_warehouse: Warehouse, spark_warehouse: SparkWarehouse
) -> None:
    duck = {
        table: sorted(column for column, _ in columns)
        for table, columns in _duckdb_tables(built_warehouse).items()
    }
    assert len(duck) >= 20
    spark = {
        table: sorted(
            column
            for column in _spark_columns(spark_warehouse, table)
            if column not in RUN_RECORD_COLUMNS.get(table, ())
        )
        for table in spark_warehouse.tables(COMPARED_SCHEMAS)
    }
    assert spark == duck


def test_every_mart_and_fact_equals_duckdb_row_for_row(
    built_warehouse: Warehouse, spark_warehouse: SparkWarehouse
) -> None:
    differing: dict[str, str] = {}
    compared = 0
    for table, all_columns in _duckdb_tables(built_warehouse).items():
        skipped = RUN_RECORD_COLUMNS.get(table, set())
        columns = [(name, kind) for name, kind in all_columns if name not in skipped]
        duck = _rows(built_warehouse.query, table, columns)
        spark = _rows(spark_warehouse.query, f"{{{table}}}", columns)
        compared += len(duck)
        if duck != spark:
            only_duck = [r for r in duck if r not in spark][:3]
            only_spark = [r for r in spark if r not in duck][:3]
            differing[table] = (
                f"{len(duck)} rows in DuckDB, {len(spark)} on Spark; "
                f"only in DuckDB: {only_duck}; only on Spark: {only_spark}"
            )
    assert compared > 500
    assert not differing, "\n".join(f"{t}: {d}" for t, d in differing.items())


def test_spark_cost_equals_truth(spark_warehouse: SparkWarehouse) -> None:
    truth = spark_warehouse.raw.truth["totals"]
    ((total,),) = spark_warehouse.query("select sum(cost_usd) from {core.fct_ai_usage}")
    assert Decimal(total).quantize(CENT) == Decimal(truth["cost_usd"]).quantize(CENT)
    by_platform = dict(
        spark_warehouse.query("select platform, sum(cost_usd) from {core.fct_ai_usage} group by 1")
    )
    assert {p: Decimal(c).quantize(CENT) for p, c in by_platform.items()} == {
        p: Decimal(c).quantize(CENT) for p, c in truth["cost_usd_by_platform"].items()
    }


def test_spark_build_ran_every_unit_and_data_test(spark_warehouse: SparkWarehouse) -> None:
    """dbt build on Spark ran (and passed: the fixture asserts success) the unit tests and data
    tests, not only the models."""
    import json

    results = json.loads((spark_warehouse.dbt_dir / "target" / "run_results.json").read_text())[
        "results"
    ]
    kinds = {}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        kinds.setdefault(kind, set()).add(result["status"])
    assert kinds.get("unit_test") == {"pass"}, kinds
    assert kinds.get("test") <= {"pass", "warn"}, kinds
    assert kinds.get("model") == {"success"}, kinds


def test_raw_layer_is_partitioned_by_day_and_republishing_changes_nothing(
    spark_warehouse: SparkWarehouse,
) -> None:
    """Daily raw tables are one Parquet file per day; publishing the same landing file again
    writes nothing (the Spark side of "a re-run of the same day changes nothing")."""
    from orchestration.lib.lake import publish

    lake = spark_warehouse.warehouse.local_lake
    assert lake is not None
    days = sorted(p.name for p in (lake / "raw" / "raw_anthropic" / "messages_usage").iterdir())
    assert days and all(d.startswith("bucket_date=") for d in days), days
    # One file per (daily table, day) in the landing file, and no other file in a day folder.
    import duckdb

    catalog = duckdb.sql(
        f"select dataset, table_name, day_column from "
        f"'{lake}/raw/_tokenworth_tables/catalog.parquet' where day_column <> ''"
    ).fetchall()
    with duckdb.connect(str(spark_warehouse.warehouse.duckdb_path), read_only=True) as landing:
        expected = sum(
            landing.execute(
                f'select count(distinct "{day}") from "{dataset}"."{table}"'
            ).fetchone()[0]
            for dataset, table, day in catalog
        )
    day_files = [p for p in (lake / "raw").rglob("*.parquet") if "=" in p.parent.name]
    assert len(catalog) >= 10
    assert spark_warehouse.first_publish.day_files_written == len(day_files) == expected
    before = {p: p.stat().st_mtime_ns for p in (lake / "raw").rglob("*.parquet")}
    again = publish(spark_warehouse.warehouse.duckdb_path, spark_warehouse.warehouse.lake)
    assert (again.tables_written, again.day_files_written) == (0, 0)
    assert again.tables_unchanged == spark_warehouse.first_publish.tables_written
    after = {p: p.stat().st_mtime_ns for p in (lake / "raw").rglob("*.parquet")}
    changed = {p for p in before if after.get(p) != before[p]} - {
        p for p in before if "_tokenworth_tables" in str(p)
    }
    assert not changed and set(after) == set(before)
