"""Tables replaced per day (or pull request) merge on that key alone, also in old warehouses."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import dlt
import duckdb

from orchestration.defs.ingest.common import first_per_key, replaced_per

DAY_1, DAY_2 = date(2026, 11, 1), date(2026, 11, 2)


def _rows(day: date, keys: list[str]) -> list[dict[str, Any]]:
    return [{"row_key": f"{day}#{key}", "bucket_date": day, "tokens": len(key)} for key in keys]


def _load(pipeline: Any, rows: list[dict[str, Any]], **hints: Any) -> None:
    pipeline.run(dlt.resource(rows, name="usage", **hints)).raise_on_failed_jobs()


def test_an_old_warehouses_primary_key_is_cleared_and_days_are_replaced(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name="replaced_per",
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name="raw_test",
        pipelines_dir=str(tmp_path / "dlt"),
    )
    # As tables were declared before: a primary key and a merge key.
    _load(
        pipeline,
        _rows(DAY_1, ["a", "bb"]) + _rows(DAY_2, ["a", "bb", "ccc"]),
        primary_key="row_key",
        merge_key="bucket_date",
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
    )
    # Day 2 again, revised by the vendor: "bb" gone, "dddd" new.
    _load(
        pipeline,
        _rows(DAY_2, ["a", "ccc", "dddd"]),
        **replaced_per("bucket_date", ("row_key",)),
    )

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select bucket_date, row_key, tokens from raw_test.usage order by 1, 2"
        ).fetchall()
        ((stored,),) = con.execute(
            "select schema from raw_test._dlt_version order by inserted_at desc limit 1"
        ).fetchall()
        ((nullable,),) = con.execute(
            "select is_nullable from information_schema.columns "
            "where table_schema = 'raw_test' and table_name = 'usage' and column_name = 'row_key'"
        ).fetchall()
    assert rows == [
        (DAY_1, "2026-11-01#a", 1),
        (DAY_1, "2026-11-01#bb", 2),
        (DAY_2, "2026-11-02#a", 1),
        (DAY_2, "2026-11-02#ccc", 3),
        (DAY_2, "2026-11-02#dddd", 4),
    ]
    columns = json.loads(stored)["tables"]["usage"]["columns"]
    assert [name for name, c in columns.items() if c.get("primary_key")] == []
    assert [name for name, c in columns.items() if c.get("merge_key")] == ["bucket_date"]
    assert nullable == "NO"


def test_replaced_per_keeps_other_column_hints() -> None:
    hints = replaced_per(
        ("repo", "number"),
        ("repo", "number", "oid"),
        columns={"oid": {"data_type": "text"}, "lines": {"data_type": "bigint"}},
    )
    assert hints["merge_key"] == ("repo", "number")
    assert hints["write_disposition"] == {"disposition": "merge", "strategy": "delete-insert"}
    assert hints["columns"] == {
        "oid": {"data_type": "text", "primary_key": False, "nullable": False},
        "lines": {"data_type": "bigint"},
        "repo": {"primary_key": False, "nullable": False},
        "number": {"primary_key": False, "nullable": False},
    }


def test_first_per_key_drops_repeats_a_shifting_page_brings() -> None:
    pages = [
        {"day": "2026-11-01", "userId": 1, "n": "first"},
        {"day": "2026-11-01", "userId": 2, "n": "first"},
        {"day": "2026-11-01", "userId": 2, "n": "repeat"},
        {"day": "2026-11-02", "userId": 2, "n": "first"},
    ]
    kept = list(first_per_key(pages, ("day", "userId")))
    assert [(r["day"], r["userId"], r["n"]) for r in kept] == [
        ("2026-11-01", 1, "first"),
        ("2026-11-01", 2, "first"),
        ("2026-11-02", 2, "first"),
    ]
