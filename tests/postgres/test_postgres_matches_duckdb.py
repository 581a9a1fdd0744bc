"""The whole pipeline on PostgreSQL publishes the same marts as on DuckDB, row for row.

``pg_warehouse`` extracts the tiny sandbox (the days of ``tiny_raw``) into a fresh PostgreSQL
database and runs ``dbt build`` there (every model and every test must pass);
``built_warehouse`` is the DuckDB build of the same data. Every table of the ``marts``,
``restricted`` and ``core`` schemas is compared after one normalisation, the only differences
the two engines are allowed:

* numbers are compared at the DuckDB column's scale — a ``decimal(p, s)`` column rounded to
  ``s`` places (PostgreSQL's unconstrained ``numeric`` keeps more digits of a division), an
  integer column as an integer (PostgreSQL's ``sum(bigint)`` is ``numeric``), a ``double``
  to 9 significant digits (the engines sum floats in different orders);
* timestamps are compared in UTC without a zone (``timestamptz`` comes back zone-aware from
  PostgreSQL, and the session runs in UTC);
* rows are compared as sorted multisets (neither engine promises an order);
* the pipeline's own run log (``fct_source_runs`` and ``mart_source_freshness``) is compared
  without the columns that name the run or its wall-clock times: two builds are two runs.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest

from tests.postgres.conftest import PostgresWarehouse
from tests.warehouse.fixtures import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

COMPARED_SCHEMAS = ("core", "marts", "restricted")
CENT = Decimal("0.01")
# The run log's and the archive ledger's columns that differ between any two runs (their ids,
# load ids and clock times).
RUN_COLUMNS = {
    "core.fct_source_runs": {"source_run_id", "run_id", "started_at", "finished_at"},
    "core.fct_day_versions": {
        "day_version_id",
        "load_id",
        "run_id",
        "loaded_at",
        "recorded_at",
        "previous_load_id",
    },
    "marts.mart_source_freshness": {"latest_run_at", "last_loaded_at"},
}


def _normaliser(duckdb_type: str) -> Any:
    """How to normalise one column's values, from its DuckDB type."""
    kind = duckdb_type.upper()
    if kind.startswith("DECIMAL"):
        scale = int(kind.split(",")[1].rstrip(") "))
        step = Decimal(1).scaleb(-scale)
        return lambda v: None if v is None else Decimal(v).quantize(step, ROUND_HALF_EVEN)
    if kind in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return lambda v: None if v is None else int(v)
    if kind in ("DOUBLE", "FLOAT", "REAL"):
        return lambda v: None if v is None or math.isnan(float(v)) else float(f"{float(v):.9g}")
    if kind.startswith("TIMESTAMP"):
        return lambda v: (
            v.astimezone(UTC).replace(tzinfo=None)
            if isinstance(v, datetime) and v.tzinfo is not None
            else v
        )
    if kind.endswith("[]"):
        return lambda v: None if v is None else tuple(v)
    return lambda v: v


def _rows(fetch: Any, table: str, columns: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
    normalisers = [_normaliser(kind) for _, kind in columns]
    select = ", ".join(f'"{name}"' for name, _ in columns)
    rows = fetch(f"select {select} from {table}")
    normalised = [tuple(n(v) for n, v in zip(normalisers, row, strict=True)) for row in rows]
    return sorted(normalised, key=repr)


def _duckdb_tables(built: Warehouse) -> dict[str, list[tuple[str, str]]]:
    placeholders = ", ".join("?" for _ in COMPARED_SCHEMAS)
    rows = built.query(
        "select table_schema || '.' || table_name, column_name, data_type "
        f"from information_schema.columns where table_schema in ({placeholders}) "
        "order by 1, ordinal_position",
        list(COMPARED_SCHEMAS),
    )
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        if column not in RUN_COLUMNS.get(table, ()):
            tables.setdefault(table, []).append((column, kind))
    return tables


def _postgres_tables(pg: PostgresWarehouse) -> dict[str, list[str]]:
    rows = pg.query(
        "select table_schema || '.' || table_name, column_name "
        "from information_schema.columns where table_schema = any(%s) "
        "order by 1, ordinal_position",
        (list(COMPARED_SCHEMAS),),
    )
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def test_postgres_build_time_fits_the_ci_budget(pg_warehouse: PostgresWarehouse) -> None:
    """The fixture's cost (extraction + dbt build) stays bounded: the whole suite must stay well
    under 30 minutes in CI. The bound leaves room for a busy shared machine; the failure message
    gives both durations."""
    seconds = pg_warehouse.seconds
    total = seconds["extract"] + seconds["dbt_build"]
    assert total < 20 * 60, f"PostgreSQL end to end took {seconds} (seconds)"


def test_same_tables_and_columns(
    built_warehouse: Warehouse, pg_warehouse: PostgresWarehouse
) -> None:
    duck = {
        table: [column for column, _ in columns]
        for table, columns in _duckdb_tables(built_warehouse).items()
    }
    assert len(duck) >= 20
    postgres = {
        table: [column for column in columns if column not in RUN_COLUMNS.get(table, ())]
        for table, columns in _postgres_tables(pg_warehouse).items()
    }
    assert postgres == duck


def test_every_mart_and_fact_equals_duckdb_row_for_row(
    built_warehouse: Warehouse, pg_warehouse: PostgresWarehouse
) -> None:
    differing: dict[str, str] = {}
    compared = 0
    for table, columns in _duckdb_tables(built_warehouse).items():
        duck = _rows(built_warehouse.query, table, columns)
        pg = _rows(pg_warehouse.query, table, columns)
        compared += len(duck)
        if duck != pg:
            only_duck = [r for r in duck if r not in pg][:3]
            only_pg = [r for r in pg if r not in duck][:3]
            differing[table] = (
                f"{len(duck)} rows in DuckDB, {len(pg)} in PostgreSQL; "
                f"only in DuckDB: {only_duck}; only in PostgreSQL: {only_pg}"
            )
    assert compared > 500  # the tiny sandbox: about 970 rows in 25 tables
    assert not differing, "\n".join(f"{t}: {d}" for t, d in differing.items())


def test_postgres_cost_equals_truth(pg_warehouse: PostgresWarehouse) -> None:
    truth = pg_warehouse.raw.truth["totals"]
    ((total,),) = pg_warehouse.query("select sum(cost_usd) from core.fct_ai_usage")
    assert Decimal(total).quantize(CENT) == Decimal(truth["cost_usd"]).quantize(CENT)
    by_platform = dict(
        pg_warehouse.query("select platform, sum(cost_usd) from core.fct_ai_usage group by 1")
    )
    assert {p: Decimal(c).quantize(CENT) for p, c in by_platform.items()} == {
        p: Decimal(c).quantize(CENT) for p, c in truth["cost_usd_by_platform"].items()
    }


def test_postgres_raw_tables_hold_every_truth_record(pg_warehouse: PostgresWarehouse) -> None:
    """The extraction into PostgreSQL loaded every pull request of the world exactly once."""
    truth = pg_warehouse.raw.truth
    ((prs, distinct),) = pg_warehouse.query(
        "select count(*), count(distinct (repo, number)) from raw_github.pull_requests"
    )
    assert prs == distinct == len(truth["pull_requests"])
