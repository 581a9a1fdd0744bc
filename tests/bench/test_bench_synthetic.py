"""``tokenworth bench --synthetic`` on the tiny template: the raw tables it writes, and dbt on them.

Two shards of the tiny organisation over its ten days: every raw table holds exactly twice the
rows one shard gives, dbt builds every model and test on them without an error, and each shard's
usage, sessions and pull requests equal the other's (identifiers rewritten consistently in every
table, so every join holds inside a shard and none crosses shards). The cost attributed to pull
requests does not yet match across shards: a strict xfail names what differs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.bench.synthetic import LEDGER, LEDGER_SUMS, RUN_RECORD, plan, write


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One ``tokenworth bench --synthetic`` run on the tiny template: two shards, ten days."""
    tmp_path = tmp_path_factory.mktemp("synthetic")
    home = tmp_path / "home"
    out = tmp_path / "synthetic.json"
    tokenworth = Path(sys.executable).parent / "tokenworth"
    done = subprocess.run(
        [str(tokenworth), "bench", "--synthetic", "--template", "tiny", "--engineers", "24",
         "--days", "10", "--short-days", "0", "--nightlies", "1", "--out", str(out)],
        env={**os.environ, "TOKENWORTH_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return home, json.loads(out.read_text())


def test_synthetic_tiny_writes_raw_tables_and_dbt_builds(
    synthetic_run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    home, report = synthetic_run
    assert report["failed_steps"] == []
    template = report["synthetic"]["template"]
    assert template["profile"] == "tiny" and template["people"] == 12
    assert report["synthetic"]["tilings"]["10"]["shards"] == 2

    # The raw tables: two shards hold exactly twice what one shard writes, for every table.
    raw = report["step_results"]["raw_10"]["result"]["raw_tables"]
    one = write(Path(template["warehouse"]), tmp_path / "one.duckdb",
                plan(12, 10, date.fromisoformat(template["start"]), 12, 10))  # fmt: skip
    assert set(raw) == set(one) and len(raw) >= 30
    for table, rows in one.items():
        expected = rows if table in (RUN_RECORD, LEDGER) else 2 * rows
        assert raw[table] == expected, (table, raw[table], rows)
    # The archive's ledger: one row per day version for both shards, its counts summed.
    columns = sorted(LEDGER_SUMS)
    sums = ", ".join(f"sum({column})" for column in columns)
    one_ledger = _by_shard(tmp_path / "one.duckdb", f"select {sums} from {LEDGER}")
    warehouse = home / "bench" / "run" / "history-10" / "warehouse.duckdb"
    ledger = _by_shard(warehouse, f"select {sums} from {LEDGER}")
    assert dict(zip(columns, one_ledger[0], strict=True))["row_count"] > 0
    assert ledger == [tuple(None if v is None else 2 * v for v in one_ledger[0])]
    for table in ("raw_github.pull_requests", "raw_cursor.usage_events", "raw_people.roster",
                  "raw_anthropic.claude_code_usage", "raw_otel.api_requests"):  # fmt: skip
        assert one[table] > 0, table

    # dbt built every model and test on them, the full build and the nightly.
    for step in ("dbt_full_10", "nightly_10_1"):
        result = report["step_results"][step]["result"]
        assert result["errors"] == [] and result["nodes"] > 100, (step, result["errors"])
    figures = {f["name"]: f for f in report["figures"]}
    assert figures["peak RSS: full dbt build, 24 engineers × 10 days"]["value"] > 0
    assert figures["sessionisation and attribution ÷ floor, 24 engineers × 10 days"]["value"] > 0


# Shard 1's rows: its people ("p0001s1"; unresolved identities keep the rewritten e-mail).
SHARD_1 = "regexp_matches(person_id, '(s1$|[.]s1@)')"


def _by_shard(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_each_shard_is_the_same_organisation(synthetic_run: tuple[Path, dict[str, Any]]) -> None:
    """Each shard is a whole organisation: the same usage, sessions and pull requests (every
    identity resolves inside its shard; bots and agents are shared, and so is the one owner of
    usage no key or project holds, ``unassigned:<platform>:org``: the whole organisation's)."""
    home, _ = synthetic_run
    warehouse = home / "bench" / "run" / "history-10" / "warehouse.duckdb"
    per_shard = "person_id is not null and person_id not like 'unassigned:%:org'"
    usage = _by_shard(
        warehouse,
        f"select {SHARD_1}, count(*), sum(cost_usd) from "
        f"core.fct_ai_usage where {per_shard} group by 1 order by 1",
    )
    sessions = _by_shard(
        warehouse,
        f"select {SHARD_1}, count(*), sum(cost_usd) from "
        f"core.fct_ai_sessions where {per_shard} group by 1 order by 1",
    )
    prs = _by_shard(
        warehouse,
        "select repo like '%-s1', count(*), count(person_id), "
        "count(agent_starter_person_id) from core.fct_pull_requests group by 1 order by 1",
    )
    for rows in (usage, sessions, prs):
        assert len(rows) == 2 and rows[0][1:] == rows[1][1:] and rows[0][1] > 0, rows


@pytest.mark.xfail(
    strict=True,
    reason="known defect: 8 links of shard 0's sessions go to shard 1's agent-authored PRs "
    "(attribution_method marker_window) on tiny: the agent's starter is named by a login in "
    "free text that the rewrite leaves alone, so PR costs differ (28.35 vs 32.43 USD)",
)
def test_each_shard_attributes_the_same_cost(synthetic_run: tuple[Path, dict[str, Any]]) -> None:
    home, _ = synthetic_run
    warehouse = home / "bench" / "run" / "history-10" / "warehouse.duckdb"
    costs = _by_shard(warehouse, "select prs.repo like '%-s1', count(*), sum(costs.ai_cost_usd) "
                      "from core.fct_pull_request_costs as costs inner join core.fct_pull_requests "
                      "as prs using (pull_request_id) group by 1 order by 1")  # fmt: skip
    assert len(costs) == 2 and costs[0][1:] == costs[1][1:], costs


def test_engines_bench_keeps_raw_schemas_and_cuts_history_by_each_rows_day(
    synthetic_run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """``python -m orchestration.bench.engines`` builds from the raw schemas of a synthetic
    history (its built facts dropped, so every build is full) and ``--days`` cuts every dated row,
    the telemetry's too, leaving no pull-request child without its pull request."""
    import shutil

    from orchestration.bench.engines import keep_raw_only, truncate_history

    home, _ = synthetic_run
    raw = tmp_path / "raw.duckdb"
    shutil.copyfile(home / "bench" / "run" / "history-10" / "warehouse.duckdb", raw)
    keep_raw_only(raw)
    schemas = _by_shard(
        raw,
        "select schema_name from information_schema.schemata "
        "where catalog_name = current_database() order by 1",
    )
    kept = [s for (s,) in schemas if s not in ("main", "information_schema", "pg_catalog")]
    assert "raw_otel" in kept and all(s.startswith("raw_") for s in kept), kept

    last = truncate_history(raw, 5)
    assert _by_shard(raw, "select max(event_date), count(*) > 0 from raw_otel.api_requests") == [
        (last, True)
    ]
    claude_code_days = "select max(usage_date) from raw_anthropic.claude_code_usage"
    assert _by_shard(raw, claude_code_days) == [(last,)]
    orphans = _by_shard(
        raw,
        "select count(*) from raw_github.pull_request_commits where pull_request_id not in "
        "(select id from raw_github.pull_requests)",
    )
    assert orphans == [(0,)]
