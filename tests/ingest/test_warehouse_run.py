"""Warehouse URL parsing and partition-range validation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from orchestration.lib.warehouse import WarehouseConfigError, parse_warehouse_url
from orchestration.run import validate_range


def test_duckdb_default_and_paths(tmp_path: Path) -> None:
    default = parse_warehouse_url("", home=tmp_path)
    assert default.kind == "duckdb" and default.duckdb_path == tmp_path / "warehouse.duckdb"
    absolute = parse_warehouse_url(f"duckdb:///{tmp_path}/w.duckdb")
    assert absolute.duckdb_path == tmp_path / "w.duckdb"
    assert absolute.dbt_env() == {
        "TOKENWORTH_DBT_TARGET": "duckdb",
        "TOKENWORTH_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
    }


def test_postgres_url_and_secret_hiding() -> None:
    wh = parse_warehouse_url("postgresql://alice:s%40cret@db.internal:6543/analytics")
    assert (wh.host, wh.port, wh.user, wh.password, wh.database) == (
        "db.internal", 6543, "alice", "s@cret", "analytics",
    )  # fmt: skip
    assert "s@cret" not in repr(wh) and "s@cret" not in wh.display
    assert wh.dbt_env()["TOKENWORTH_DBT_TARGET"] == "postgres"
    assert wh.dbt_env()["TOKENWORTH_PG_PASSWORD"] == "s@cret"


def test_spark_urls_name_the_lake_and_land_in_the_home(tmp_path: Path) -> None:
    """``spark:///path`` (a local lake; four slashes for an absolute path, as for DuckDB) or
    ``spark:<scheme>://…`` (an object store); dlt lands in the home, dbt gets the lake."""
    local = parse_warehouse_url(f"spark:///{tmp_path}/lake", home=tmp_path / "home")
    assert (local.kind, local.lake, local.local_lake) == (
        "spark", str(tmp_path / "lake"), tmp_path / "lake",
    )  # fmt: skip
    assert local.duckdb_path == tmp_path / "home" / "spark-landing.duckdb"
    assert parse_warehouse_url(local.display, home=tmp_path / "home") == local
    assert local.dbt_env() == {
        "TOKENWORTH_DBT_TARGET": "spark",
        "TOKENWORTH_SPARK_LAKE": str(tmp_path / "lake"),
        "TOKENWORTH_SPARK_WAREHOUSE_DIR": f"{tmp_path}/lake/warehouse",
        "TOKENWORTH_SPARK_METASTORE_DIR": str(tmp_path / "lake" / "metastore"),
    }
    remote = parse_warehouse_url("spark:s3://bucket/tokenworth/", home=tmp_path)
    assert (remote.lake, remote.local_lake, remote.display) == (
        "s3://bucket/tokenworth", None, "spark:s3://bucket/tokenworth",
    )  # fmt: skip
    assert remote.dbt_env()["TOKENWORTH_SPARK_WAREHOUSE_DIR"] == "s3://bucket/tokenworth/warehouse"


@pytest.mark.parametrize(
    "url",
    [
        "mysql://a:b@h/db",
        "postgresql://u:topsecret@/db",
        "duckdb:relative.db",
        "spark:///",
        "spark:ftp://u:topsecret@host/lake",
        "spark://lake",
    ],
)
def test_bad_urls_fail_without_echoing_secrets(url: str) -> None:
    with pytest.raises(WarehouseConfigError) as info:
        parse_warehouse_url(url)
    assert "TOKENWORTH_WAREHOUSE_URL" in str(info.value)
    assert "topsecret" not in str(info.value)


def test_validate_range() -> None:
    today = date(2026, 11, 22)
    assert validate_range("2026-10-02", None, today=today) == (date(2026, 10, 2),) * 2
    assert validate_range(date(2026, 10, 2), "2026-10-05", today=today)[1] == date(2026, 10, 5)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        validate_range("2026-13-01", None, today=today)
    with pytest.raises(ValueError, match="before --start"):
        validate_range("2026-10-05", "2026-10-02", today=today)
    with pytest.raises(ValueError, match="in the future"):
        validate_range("2026-11-20", "2026-11-30", today=today)
    with pytest.raises(ValueError, match="not complete"):
        validate_range("2026-11-22", None, today=today)
    with pytest.raises(ValueError, match="first partition"):
        validate_range("2001-01-01", None, today=today)
