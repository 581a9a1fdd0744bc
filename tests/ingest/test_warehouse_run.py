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


@pytest.mark.parametrize(
    "url", ["mysql://a:b@h/db", "postgresql://u:topsecret@/db", "duckdb:relative.db"]
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
