"""The agent telemetry source: Collector files (as recorded in tests/fixtures/otel) → raw_otel."""

from __future__ import annotations

import gzip
import json
import shutil
import struct
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import dlt
import duckdb
import fsspec
import pytest
import zstandard

from orchestration.defs.ingest.common import LoggedNotes
from orchestration.defs.ingest.otel.collector import CollectorFiles
from orchestration.defs.ingest.otel.source import otel_source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "otel"
DAY = date(2026, 10, 5)
LOG_FILES = ("claude_code_logs.jsonl", "claude_code_metrics.jsonl", "codex_logs.jsonl")


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: str, *args: Any) -> None:
        self.lines.append(msg)

    def warning(self, msg: str, *args: Any) -> None:
        self.lines.append(msg)


def _collector_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "otel"
    directory.mkdir()
    for name in LOG_FILES:
        shutil.copy(FIXTURES / name, directory / name)
    return directory


def _load(url: str, warehouse: Path, days: list[date] | None = None) -> LoggedNotes:
    log = _Log()
    notes = LoggedNotes(log)
    pipeline = dlt.pipeline(
        pipeline_name="otel_test",
        pipelines_dir=str(warehouse.parent / "dlt"),
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name="raw_otel",
    )
    pipeline.run(otel_source(CollectorFiles(url), days or [DAY], log, notes))
    return notes


def _query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _counts(warehouse: Path) -> tuple[int, ...]:
    """Rows of each table (a table no row reached yet is not created: 0)."""
    tables = {t for (t,) in _query(warehouse, "select table_name from duckdb_tables()")}
    return tuple(
        _query(warehouse, f"select count(*) from raw_otel.{t}")[0][0] if t in tables else 0
        for t in ("api_requests", "agent_events", "metric_points")
    )


def test_fixture_records_load_with_their_documented_values(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    notes = _load(str(_collector_dir(tmp_path)), warehouse)
    assert not notes.failed
    # 2 Claude Code requests and 1 Codex response.completed; the Codex stream delta is no row.
    assert _counts(warehouse) == (3, 7, 5)
    rows = _query(
        warehouse,
        "select agent, session_id, model, cost_usd, input_tokens, output_tokens, "
        "cache_read_tokens, cache_creation_tokens, cached_input_tokens, resource_team, "
        "resource_repository, query_source from raw_otel.api_requests order by event_at",
    )
    assert rows == [
        ("claude_code", "1b7a3c52-9f0e-4d8e-a6b1-2f4c8e9d0a11", "claude-sonnet-4-5-20250929",
         Decimal("0.074191500000"), 12, 873, 0, 15870, None, "payments", "acme/payments-api",
         "repl_main_thread"),
        # Token counts sent as stringValue and as JSON numbers read the same.
        ("claude_code", "1b7a3c52-9f0e-4d8e-a6b1-2f4c8e9d0a11", "claude-haiku-4-5-20251001",
         Decimal("0.001900000000"), 350, 120, 1200, 0, None, "payments", "acme/payments-api",
         "subagent"),
        ("codex", "0199a3e2-5b1c-7d2e-9f3a-4b5c6d7e8f90", "gpt-5-codex", None, 18422, 911, None,
         None, 16128, "platform", "acme/infra", None),
    ]  # fmt: skip
    prompts = _query(
        warehouse,
        "select event_name, prompt_length from raw_otel.agent_events "
        "where event_name like '%user_prompt' order by event_name",
    )
    assert prompts == [("claude_code.user_prompt", 41), ("codex.user_prompt", 58)]
    lines = _query(
        warehouse,
        "select type, value, aggregation_temporality from raw_otel.metric_points "
        "where metric_name = 'claude_code.lines_of_code.count' order by type",
    )
    assert lines == [("added", 24.0, "delta"), ("removed", 3.0, "delta")]


def test_prompt_text_and_tool_parameters_never_reach_the_warehouse(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    _load(str(_collector_dir(tmp_path)), warehouse)
    text = json.dumps(
        {
            table: _query(warehouse, f"select * from raw_otel.{table}")
            for table in ("api_requests", "agent_events", "metric_points")
        },
        default=str,
    )
    assert "refactor the invoice rounding" not in text
    assert "billing.py" not in text  # tool_parameters
    assert "overloaded" not in text  # api_error's free text


def test_rereading_renamed_and_repeated_files_changes_nothing(tmp_path: Path) -> None:
    directory = _collector_dir(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    _load(str(directory), warehouse)
    before = _query(warehouse, "select record_key, event_at from raw_otel.api_requests order by 1")
    # Rotation renames the file and a new one starts; a Collector retry writes a batch twice.
    rotated = directory / "claude_code_logs-2026-10-05T10-00-00.000.jsonl"
    shutil.copy(directory / "claude_code_logs.jsonl", rotated)
    with (directory / "codex_logs.jsonl").open("ab") as handle:
        handle.write((FIXTURES / "codex_logs.jsonl").read_bytes())
    _load(str(directory), warehouse)
    _load(str(directory), warehouse)
    assert _counts(warehouse) == (3, 7, 5)
    after = _query(warehouse, "select record_key, event_at from raw_otel.api_requests order by 1")
    assert after == before


def test_half_written_last_line_waits_for_the_next_run(tmp_path: Path) -> None:
    directory = tmp_path / "otel"
    directory.mkdir()
    complete, second = (FIXTURES / "claude_code_logs.jsonl").read_bytes().splitlines(True)
    target = directory / "otel.json"
    target.write_bytes(complete + second[: len(second) // 2])
    warehouse = tmp_path / "w.duckdb"
    files = CollectorFiles(str(directory))
    _load(str(directory), warehouse)
    assert _counts(warehouse)[0] == 1
    target.write_bytes(complete + second)
    _load(str(directory), warehouse)
    assert _counts(warehouse)[0] == 2
    assert files.stats.pending == 0


def test_compressed_files_read_like_plain_ones(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    _collector_dir(tmp_path).rename(plain)
    packed = tmp_path / "packed"
    packed.mkdir()
    compressor = zstandard.ZstdCompressor()
    for name in LOG_FILES:
        lines = (plain / name).read_bytes().splitlines()
        # `compression: zstd`: each message zstd-compressed and length-prefixed.
        framed = b"".join(
            struct.pack(">I", len(c)) + c for c in (compressor.compress(line) for line in lines)
        )
        (packed / f"{name}.bin").write_bytes(framed)
        # A rotated file gzipped afterwards.
        (packed / f"{name}.gz").write_bytes(gzip.compress((plain / name).read_bytes()))
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    _load(str(plain), a)
    notes = _load(str(packed), b)
    assert not notes.failed
    sql = "select record_key, cost_usd, input_tokens from raw_otel.api_requests order by 1"
    assert _query(a, sql) == _query(b, sql)
    assert _counts(b) == _counts(a)


def test_object_store_prefix_through_fsspec(tmp_path: Path) -> None:
    memory = fsspec.filesystem("memory")
    for name in LOG_FILES:
        memory.pipe(f"/collector/otel/{name}", (FIXTURES / name).read_bytes())
    warehouse = tmp_path / "w.duckdb"
    _load("memory://collector/otel", warehouse)
    assert _counts(warehouse) == (3, 7, 5)


def test_days_outside_the_run_are_not_loaded(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    _load(str(_collector_dir(tmp_path)), warehouse, days=[date(2026, 10, 6)])
    assert _counts(warehouse) == (0, 0, 0)


def test_a_malformed_line_fails_its_file_by_name_and_the_rest_loads(tmp_path: Path) -> None:
    directory = _collector_dir(tmp_path)
    bad = json.loads((FIXTURES / "codex_logs.jsonl").read_text())
    record = bad["resourceLogs"][0]["scopeLogs"][0]["logRecords"][3]
    for attribute in record["attributes"]:
        if attribute["key"] == "input_token_count":
            attribute["value"] = {"stringValue": "lots"}
    (directory / "codex_logs.jsonl").write_text(json.dumps(bad) + "\n")
    warehouse = tmp_path / "w.duckdb"
    notes = _load(str(directory), warehouse)
    ((path, reason),) = notes.failed.items()
    assert path.endswith("codex_logs.jsonl")
    assert "codex_logs.jsonl line 1" in reason and "input_token_count" in reason
    assert _counts(warehouse)[0] == 2  # the Claude Code file still loaded


def test_a_missing_path_says_which_variable_to_fix(tmp_path: Path) -> None:
    files = CollectorFiles(str(tmp_path / "nowhere"))
    with pytest.raises(Exception, match=r"TOKENWORTH_OTEL_PATH=.*does not exist"):
        files.listing()
