"""The raw layer published for Spark (orchestration/lib/lake.py) follows the landing file exactly,
and a publish writes only what changed: the Spark side of "a re-run of the same day changes
nothing". No Spark here: the files are read back with DuckDB."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.lake import publish

DLT_SCHEMA = {
    "tables": {
        "usage": {
            "columns": {
                "usage_date": {"data_type": "date", "merge_key": True},
                "tokens": {"data_type": "bigint"},
            }
        },
        "users": {"columns": {"id": {"data_type": "text", "primary_key": True}}},
    }
}


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw_vendor")
        con.execute("create schema raw_vendor_staging")  # dlt's merge staging: not published
        con.execute("create table raw_vendor_staging.usage (usage_date date, tokens bigint)")
        con.execute("create table raw_vendor._dlt_version (schema varchar, inserted_at timestamp)")
        con.execute(
            "insert into raw_vendor._dlt_version values (?, now())", [json.dumps(DLT_SCHEMA)]
        )
        con.execute("create table raw_vendor._dlt_loads (load_id varchar, status bigint)")
        con.execute("insert into raw_vendor._dlt_loads values ('1', 0)")
        con.execute("create table raw_vendor.usage (usage_date date, tokens bigint)")
        con.execute(
            "insert into raw_vendor.usage values "
            "('2026-10-01', 10), ('2026-10-01', 5), ('2026-10-02', 7), ('2026-10-03', 1)"
        )
        con.execute("create table raw_vendor.users (id varchar)")
        con.execute("insert into raw_vendor.users values ('u1'), ('u2')")
    return path


def _files(lake: Path) -> dict[str, int]:
    """Every published data file (relative path) -> its modification time."""
    return {
        str(p.relative_to(lake / "raw")): p.stat().st_mtime_ns
        for p in (lake / "raw").rglob("*.parquet")
        if "_tokenworth_tables" not in p.parts
    }


def _rows(lake: Path, table: str) -> list[tuple[object, ...]]:
    return sorted(
        duckdb.sql(
            f"select * from read_parquet('{lake}/raw/raw_vendor/{table}/**/*.parquet', "
            "hive_partitioning = false)"
        ).fetchall()
    )


def test_daily_tables_are_one_file_per_day_and_only_changed_days_are_written(
    landing: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    first = publish(landing, str(lake))
    assert (first.tables_written, first.day_files_written) == (3, 3)  # usage, users, _dlt_loads
    files = _files(lake)
    assert set(files) == {
        "raw_vendor/usage/usage_date=2026-10-01/part-0.parquet",
        "raw_vendor/usage/usage_date=2026-10-02/part-0.parquet",
        "raw_vendor/usage/usage_date=2026-10-03/part-0.parquet",
        "raw_vendor/users/part-0.parquet",
        "raw_vendor/_dlt_loads/part-0.parquet",
    }
    assert [(str(d), t) for d, t in _rows(lake, "usage")] == [
        ("2026-10-01", 5), ("2026-10-01", 10), ("2026-10-02", 7), ("2026-10-03", 1),
    ]  # fmt: skip

    again = publish(landing, str(lake))
    assert (again.tables_written, again.day_files_written, again.tables_unchanged) == (0, 0, 3)
    assert _files(lake) == files

    # A re-read replaced 2026-10-02 and removed 2026-10-03 (dlt's delete-insert per day).
    with duckdb.connect(str(landing)) as con:
        con.execute("update raw_vendor.usage set tokens = 8 where usage_date = '2026-10-02'")
        con.execute("delete from raw_vendor.usage where usage_date = '2026-10-03'")
    changed = publish(landing, str(lake))
    assert (changed.tables_written, changed.day_files_written) == (1, 1)
    after = _files(lake)
    assert set(after) == set(files) - {"raw_vendor/usage/usage_date=2026-10-03/part-0.parquet"}
    assert {f for f in after if after[f] != files[f]} == {
        "raw_vendor/usage/usage_date=2026-10-02/part-0.parquet"
    }
    assert [(str(d), t) for d, t in _rows(lake, "usage")] == [
        ("2026-10-01", 5), ("2026-10-01", 10), ("2026-10-02", 8),
    ]  # fmt: skip


def test_a_new_column_rewrites_the_whole_table(landing: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    publish(landing, str(lake))
    with duckdb.connect(str(landing)) as con:
        con.execute("alter table raw_vendor.usage add column model varchar")
    widened = publish(landing, str(lake))
    assert (widened.tables_written, widened.day_files_written) == (1, 3)
    columns = duckdb.sql(
        f"describe select * from '{lake}/raw/raw_vendor/usage/*/part-0.parquet'"
    ).fetchall()
    assert [c[0] for c in columns] == ["usage_date", "tokens", "model"]


def test_the_catalog_lists_every_published_table(landing: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    publish(landing, str(lake))
    catalog = duckdb.sql(
        f"select dataset, table_name, location, day_column "
        f"from '{lake}/raw/_tokenworth_tables/catalog.parquet' order by 2"
    ).fetchall()
    assert catalog == [
        ("raw_vendor", "_dlt_loads", f"{lake}/raw/raw_vendor/_dlt_loads", ""),
        ("raw_vendor", "usage", f"{lake}/raw/raw_vendor/usage", "usage_date"),
        ("raw_vendor", "users", f"{lake}/raw/raw_vendor/users", ""),
    ]


def test_publishing_before_any_extraction_names_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run the extraction first"):
        publish(tmp_path / "missing.duckdb", str(tmp_path / "lake"))
