"""The tiny sandbox extracted for Spark and built there with dbt-spark (``spark_warehouse``).

Spark tests run when ``TOKENWORTH_TEST_SPARK=1`` (``.ci/run`` sets it), the ``spark`` extra is
installed (``pip install -e '.[spark]'``) and Java is on the PATH; elsewhere they are skipped.
The session extracts the world once into the landing file (dlt, exactly as for DuckDB), publishes
the raw layer as Parquet into a fresh lake and runs one ``dbt build`` (every model, unit test and
data test) in one Spark session: one JVM per test session.

The built tables are read back from the Parquet files Spark wrote under the lake
(``warehouse/<schema>.db/<table>``) with DuckDB: no second JVM.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.lib.lake import Published, publish
from orchestration.lib.warehouse import Warehouse, parse_warehouse_url
from tests.warehouse.fixtures import DbtRunner, RawWarehouse, dbt_runner_with_env, extract_tiny


@dataclass
class SparkWarehouse:
    """A built Spark lake: its warehouse, the extraction's truth, a dbt runner and timings."""

    warehouse: Warehouse
    raw: RawWarehouse
    dbt: DbtRunner
    seconds: dict[str, float]
    first_publish: Published
    dbt_dir: Path

    @property
    def tables_dir(self) -> Path:
        assert self.warehouse.local_lake is not None
        return self.warehouse.local_lake / "warehouse"

    def tables(self, schemas: tuple[str, ...]) -> dict[str, Path]:
        """``schema.table`` -> its directory, for every table Spark wrote in ``schemas``."""
        return {
            f"{schema}.{path.name}": path
            for schema in schemas
            for path in sorted((self.tables_dir / f"{schema}.db").glob("*"))
            if path.is_dir()
        }

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """``sql`` on DuckDB, where ``{schema.table}`` reads that Spark table's Parquet files."""
        return (
            duckdb.sql(self.expand(sql), params=params).fetchall()
            if params
            else (duckdb.sql(self.expand(sql)).fetchall())
        )

    def expand(self, sql: str) -> str:
        import re

        def files(match: re.Match[str]) -> str:
            schema, table = match.group(1).split(".")
            path = self.tables_dir / f"{schema}.db" / table
            return f"read_parquet('{path}/**/*.parquet', hive_partitioning = true)"

        return re.sub(r"\{(\w+\.\w+)\}", files, sql)


def spark_available() -> str | None:
    """Why Spark tests cannot run here, or None when they can."""
    if os.environ.get("TOKENWORTH_TEST_SPARK") != "1":
        return "TOKENWORTH_TEST_SPARK is not 1 (.ci/run sets it)"
    for module in ("pyspark", "dbt.adapters.spark"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed: pip install -e '.[spark]'"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java (Spark needs Java 17+)"
    return None


@pytest.fixture(scope="session")
def spark_warehouse(tmp_path_factory: pytest.TempPathFactory) -> SparkWarehouse:
    """The tiny sandbox (the same days as ``tiny_raw``) extracted for Spark, its raw layer
    published to a fresh lake, then a full ``dbt build`` (every model and test) on Spark."""
    if reason := spark_available():
        pytest.skip(reason)
    seconds: dict[str, float] = {}
    base = tmp_path_factory.mktemp("spark")
    url = f"spark:///{base / 'lake'}"
    started = time.monotonic()
    raw = extract_tiny(base / "sandbox", base / "home", warehouse_url=url)
    seconds["extract"] = time.monotonic() - started
    warehouse = parse_warehouse_url(url, home=base / "home")
    assert warehouse.duckdb_path is not None
    started = time.monotonic()
    published = publish(warehouse.duckdb_path, warehouse.lake)
    seconds["publish"] = time.monotonic() - started
    dbt_dir = base / "dbt"
    dbt = dbt_runner_with_env(warehouse.dbt_env(), dbt_dir)
    started = time.monotonic()
    done = dbt("build")
    seconds["dbt_build"] = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-8000:]
    return SparkWarehouse(
        warehouse=warehouse,
        raw=raw,
        dbt=dbt,
        seconds=seconds,
        first_publish=published,
        dbt_dir=dbt_dir,
    )
