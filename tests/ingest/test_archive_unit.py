"""The archive's boundary and its change from merged days, without a server (issue 23)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pyarrow as pa
import pytest

from orchestration.defs.ingest.archive import LOAD_ID, ArchivedTable, Gate, guard
from orchestration.defs.ingest.common import archived_per, replaced_per
from orchestration.defs.ingest.sources import SOURCES
from orchestration.lib import settings

RUN = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
COSTS = ArchivedTable(
    "costs", "bucket_date", ("row_key",), "openai_api", cost="amount_usd",
    timestamps=("bucket_start",),
)  # fmt: skip
EVENTS = ArchivedTable(
    "usage_events", "event_date", ("event_key",), "cursor", cost="charged_cents",
    tokens=("token_usage__input_tokens", "token_usage__output_tokens"),
    money=("token_usage__total_cents",), cost_needs_tokens=True,
)  # fmt: skip


def _gate(spec: ArchivedTable) -> Gate:
    return Gate(spec=spec, source="test", load_id="L1", started_at=RUN)


def test_an_arrow_table_loses_its_impossible_rows_and_repeats_and_gains_the_load_id() -> None:
    gate = _gate(COSTS)
    table = pa.table(
        {
            "row_key": ["a", "b", "a", "f", "t"],
            "bucket_date": [date(2026, 10, 2)] * 3 + [date(2031, 10, 1), date(2026, 12, 7)],
            "amount_usd": [0.5, -9.66, 0.5, 17500.0, 1.0],
            "bucket_start": [datetime(2026, 10, 2, tzinfo=UTC)] * 4
            + [datetime(2026, 12, 7, 6, tzinfo=UTC)],
        }
    )
    kept = gate.item(table)
    assert kept.column("row_key").to_pylist() == ["a"]
    assert kept.column(LOAD_ID).to_pylist() == ["L1"]
    reasons = {(q["row_key"], q["reason"]) for q in gate.quarantined}
    # t: today, but an hour after the run began.
    assert reasons == {("b", "negative"), ("f", "future"), ("t", "future")}
    assert gate.duplicates == {date(2026, 10, 2): 1}
    assert all('"amount_usd"' in q["row_json"] for q in gate.quarantined)


def test_dict_rows_are_judged_by_the_column_names_dlt_gives_them() -> None:
    gate = _gate(EVENTS)
    rows = [
        {"eventKey": "1", "eventDate": "2026-10-02", "chargedCents": 3,
         "tokenUsage": {"inputTokens": 10, "outputTokens": 2, "totalCents": 3}},
        {"eventKey": "2", "eventDate": "2026-10-02", "chargedCents": 3,
         "tokenUsage": {"inputTokens": 0, "outputTokens": 0, "totalCents": 3}},
        {"eventKey": "3", "eventDate": "2026-10-02", "chargedCents": 1,
         "tokenUsage": {"inputTokens": -4, "outputTokens": 0, "totalCents": 1}},
    ]  # fmt: skip
    kept = gate.item(rows)
    assert [r["eventKey"] for r in kept] == ["1"]
    assert all(r[LOAD_ID] == "L1" for r in kept)
    assert sorted(q["reason"] for q in gate.quarantined) == ["cost_without_tokens", "negative"]


def test_every_archived_table_is_appended_and_registered() -> None:
    """The registry and the sources agree: each ArchivedTable names a resource that appends
    and stamps its load, and each such resource is registered (its rows would never be read)."""
    from orchestration.defs.ingest.sources import _described

    for source in SOURCES:
        described = _described(source).resources
        registered = {t.table for t in source.archived}
        appended = {
            name
            for name, resource in described.items()
            if LOAD_ID in (resource.columns or {})  # type: ignore[operator]
        }
        assert registered == appended, source.name
        for name in registered:
            assert described[name].write_disposition == "append", (source.name, name)


def test_guard_skips_tables_a_source_does_not_have() -> None:
    @dlt.source(name="s")
    def source() -> Any:
        return [dlt.resource([{"row_key": "a"}], name="other")]

    load_id, gates = guard(source(), "s", (COSTS,), RUN)
    assert gates == {} and load_id.startswith("20261207T0500")


def test_a_merged_table_becomes_an_archive_without_losing_rows(tmp_path: Path) -> None:
    """A warehouse whose day-keyed table was merged per day keeps its rows (no load id) when
    loads start appending versions."""
    pipeline = dlt.pipeline(
        pipeline_name="archive_unit",
        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        dataset_name="raw_test",
        pipelines_dir=str(tmp_path / "dlt"),
    )
    rows = [{"row_key": "a", "bucket_date": date(2026, 10, 2), "amount_usd": Decimal("0.5")}]
    pipeline.run(
        dlt.resource(rows, name="costs", **replaced_per("bucket_date", ("row_key",)))
    ).raise_on_failed_jobs()
    newer = [{**rows[0], "amount_usd": Decimal("0.7"), LOAD_ID: "L2"}]
    pipeline.run(
        dlt.resource(newer, name="costs", **archived_per("bucket_date", ("row_key",)))
    ).raise_on_failed_jobs()
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        stored = con.execute(
            f"select amount_usd, {LOAD_ID} from raw_test.costs order by 1"
        ).fetchall()
        nullable = con.execute(
            "select is_nullable from information_schema.columns where table_schema = "
            "'raw_test' and table_name = 'costs' and column_name = 'row_key'"
        ).fetchall()
    assert stored == [(Decimal("0.5"), None), (Decimal("0.7"), "L2")]
    assert nullable == [("NO",)]


@pytest.mark.parametrize("value", ["-0.1", "1.5", "a fifth"])
def test_a_max_drop_outside_0_to_1_is_refused_naming_the_variable(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.TOKENWORTH_ARCHIVE_MAX_DROP, value)
    with pytest.raises(ValueError, match=r"^TOKENWORTH_ARCHIVE_MAX_DROP must be a share"):
        settings.archive_max_drop()


def test_max_drop_defaults_to_a_fifth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.TOKENWORTH_ARCHIVE_MAX_DROP, raising=False)
    assert settings.archive_max_drop() == 0.2


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: str, *args: Any) -> None:
        self.lines.append(msg)

    warning = error = info


def test_a_drop_the_vendors_total_confirms_is_applied_one_it_does_not_is_held(
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    from orchestration.defs.ingest import archive
    from orchestration.defs.resources import WarehouseResource

    warehouse = WarehouseResource(url=f"duckdb:///{tmp_path / 'w.duckdb'}", home=str(tmp_path))
    spec = ArchivedTable(
        "usage_events", "event_date", ("event_key",), "cursor", cost="charged_cents",
        vendor_total="day_total_events",
    )  # fmt: skip
    day = date(2026, 10, 2)
    log = _Log()

    def night(n: int, keys: list[str], total: int) -> list[str]:
        started = RUN + timedelta(days=n)
        load_id = archive.new_load_id(started)
        gate = Gate(spec=spec, source="cursor", load_id=load_id, started_at=started)
        rows = [{"event_key": k, "event_date": day, "charged_cents": Decimal(2)} for k in keys]
        rows = [{**row, "day_total_events": total} for row in rows]
        hints = archived_per("event_date", ("event_key",))
        resource = dlt.resource(gate.item(rows), name="usage_events", **hints)
        warehouse.pipeline("cursor").run(resource).raise_on_failed_jobs()
        return archive.record_versions(
            warehouse, "cursor", "Cursor Admin", {"usage_events": gate}, load_id, [day], 0.2,
            f"run{n}", log,
        )  # fmt: skip

    assert night(0, ["a", "b", "c", "d", "e"], 5) == []
    # Two of five, and Cursor's own total says two: the vendor confirms the smaller day.
    assert night(1, ["a", "b"], 2) == []
    # One of two while Cursor says two: held, with one line that says what to do.
    (held,) = night(2, ["a"], 2)
    assert "usage_events 2026-10-02: held" in held
    assert "tokenworth archive accept cursor 2026-10-02" in held
    statuses = archive.status.query(
        warehouse, archive.VERSIONS,
        "select status, row_count, previous_row_count from {table} order by recorded_at",
    )  # fmt: skip
    assert statuses == [("applied", 5, 0), ("confirmed", 2, 5), ("held", 1, 2)]
    # Every version is still stored.
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        stored = con.execute(
            f"select {LOAD_ID}, count(*) from raw_cursor.usage_events group by 1 order by 1"
        ).fetchall()
    assert [n for _load, n in stored] == [5, 2, 1]
    assert [h.day for h in archive.held_days(warehouse, "run2")] == [day]
    assert [h.table_name for h in archive.accept(warehouse, "cursor", day, log)] == ["usage_events"]
    assert archive.held_days(warehouse) == []
