"""A production history in one fixture: ``tokenworth run`` killed with -9 mid-load, then re-run.

``crashed_then_rerun`` starts ``tokenworth run --start … --end …`` (the CLI, every asset: the
extraction and dbt) as a subprocess against a sandbox server, for the days of ``tiny_raw``. It
watches dlt's working directory and, as soon as a load package is being loaded into the
warehouse, freezes the whole process group (SIGSTOP, so nothing moves on while the test looks),
checks that the package is still pending and kills the group with SIGKILL — a power cut, with no
chance to clean up. The same command then runs again and must succeed.

The tests then check what a data team relies on after such a night:

* the raw tables equal an uninterrupted extraction of the same world and days (``tiny_raw``),
  with no duplicate keys, and the marts equal an uninterrupted build (``built_warehouse``);
* the killed run is marked failed in Dagster instead of running forever;
* the sandbox's API keys (distinctive, e.g. ``sk-ant-admin01-…-AA``) appear nowhere: not in
  the processes' output, any file of TOKENWORTH_HOME (Dagster logs, dlt state), dbt's target/
  and logs, any text column of any warehouse table, or the HTML report.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.ingest.conftest import snapshot
from tests.warehouse.fixtures import REPO_ROOT, RawWarehouse, Warehouse

pytestmark = pytest.mark.slow

# Row keys of raw tables (a duplicate is a lost or doubled record).
PRIMARY_KEYS = {
    "raw_cursor.usage_events": ("event_key",),
    "raw_cursor.daily_usage": ("day", "user_id"),
    "raw_copilot.user_day_metrics": ("day", "user_id"),
    "raw_anthropic.claude_code_usage": ("usage_date", "actor_type", "actor_key", "remote", "model"),
    "raw_anthropic.claude_code_actor_days": ("usage_date", "actor_type", "actor_key", "remote"),
    "raw_anthropic.messages_usage": ("row_key",),
    "raw_anthropic.cost_report": ("row_key",),
    "raw_openai.completions_usage": ("row_key",),
    "raw_openai.costs": ("row_key",),
    "raw_copilot.ai_credit_usage": ("row_key",),
    "raw_copilot.seats": ("snapshot_date", "assignee_key"),
    "raw_cursor.spend": ("snapshot_date", "user_id"),
    "raw_cursor.ai_code_commits": ("commit_hash",),
    "raw_github.pull_requests": ("id",),
    "raw_github.pull_request_commits": ("pull_request_id", "oid"),
    "raw_github.pull_request_files": ("pull_request_id", "path"),
    "raw_git.rework_links": ("repo", "original_number", "later_commit_oid"),
}
MARTS = (
    "core.fct_ai_usage",
    "core.fct_pull_requests",
    "core.fct_session_spend",
    "marts.mart_platform_efficiency",
    "marts.mart_data_quality",
)


@dataclass(frozen=True)
class CrashedThenRerun:
    home: Path
    sandbox_dir: Path
    target_dir: Path
    secrets: list[str]
    killed_package: Path
    killed_output: str
    rerun: subprocess.CompletedProcess[str]

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"


def _pending_packages(home: Path) -> list[Path]:
    """dlt load packages normalised but not (completely) loaded yet."""
    return sorted((home / "dlt").glob("*/load/normalized/*"))


def _kill_during_a_load(process: subprocess.Popen[bytes], home: Path, timeout: float) -> Path:
    """Wait for a load in progress, freeze the process group, check, then SIGKILL it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("tokenworth run finished before a load could be interrupted")
        if _pending_packages(home):
            os.killpg(process.pid, signal.SIGSTOP)
            pending = _pending_packages(home)
            if pending:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=60)
                return pending[0]
            os.killpg(process.pid, signal.SIGCONT)  # it finished between two looks: go on
        time.sleep(0.002)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError(f"no load started within {timeout:.0f} s")


@pytest.fixture(scope="module")
def crashed_then_rerun(
    tiny_raw: RawWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> CrashedThenRerun:
    from sandbox.cli import prepare
    from sandbox.profiles import DEFAULT_SEED
    from sandbox.server import SandboxServer

    work = tmp_path_factory.mktemp("crash")
    out, home, target = work / "sandbox", work / "home", work / "dbt"
    world = prepare("tiny", DEFAULT_SEED, out)
    server = SandboxServer(world).start()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TOKENWORTH_WAREHOUSE_URL", "TOKENWORTH_GITHUB_REPOS", "DAGSTER_HOME")
    }
    env.update(server.environment(f"file://{out}/git/{{repo}}.git"))
    env.update(
        TOKENWORTH_HOME=str(home),
        TOKENWORTH_PEOPLE_FILE=str(out / "people.csv"),
        # The agents' telemetry, as tiny_raw reads it (the Collector's files the sandbox wrote).
        TOKENWORTH_OTEL_PATH=str(out / "otel"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        # dbt's manifest, compiled SQL and logs go here, never into the repository.
        DBT_TARGET_PATH=str(target / "target"),
        DBT_LOG_PATH=str(target / "logs"),
    )
    secrets = [
        server.anthropic_admin_key,
        server.openai_admin_key,
        server.cursor_admin_key,
        server.github_token,
        base64.b64encode(f"{server.cursor_admin_key}:".encode()).decode(),
    ]
    executable = Path(sys.executable).parent / "tokenworth"
    command = [
        str(executable),
        "run",
        "--start",
        tiny_raw.first_day.isoformat(),
        "--end",
        tiny_raw.last_day.isoformat(),
    ]
    try:
        log_path = work / "killed.log"
        with log_path.open("wb") as log:
            killed = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            package = _kill_during_a_load(killed, home, timeout=900)
        assert killed.returncode == -signal.SIGKILL
        # The crash left work half done: a package dlt had not finished loading.
        assert package.exists(), package
        rerun = subprocess.run(
            command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
            timeout=2400,
        )  # fmt: skip
    finally:
        server.stop()
    return CrashedThenRerun(
        home=home,
        sandbox_dir=out,
        target_dir=target,
        secrets=secrets,
        killed_package=package,
        killed_output=log_path.read_text(errors="replace"),
        rerun=rerun,
    )


def _masked(path: Path, sandbox_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Raw tables with the sandbox's port and directory masked (they differ between runs)."""

    def mask(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = re.sub(r"http://127\.0\.0\.1:\d+", "<sandbox>", value)
        return value.replace(str(sandbox_dir), "<sandbox-dir>")

    # Copilot seats and Cursor spend are snapshots keyed by the UTC day the run ran on: the
    # uninterrupted run and the crashed one may fall on either side of midnight.
    run_day = frozenset({"snapshot_date"})
    return {
        table: sorted((tuple(mask(v) for v in row) for row in rows), key=repr)
        for table, rows in snapshot(path, run_day).items()
    }


def test_rerun_after_kill_succeeds_and_leaves_nothing_pending(
    crashed_then_rerun: CrashedThenRerun,
) -> None:
    rerun = crashed_then_rerun.rerun
    assert rerun.returncode == 0, rerun.stdout[-4000:] + rerun.stderr[-4000:]
    assert "assets materialised" in rerun.stdout
    assert not crashed_then_rerun.killed_package.exists()
    assert not _pending_packages(crashed_then_rerun.home)


def test_raw_tables_equal_an_uninterrupted_extraction(
    crashed_then_rerun: CrashedThenRerun, tiny_raw: RawWarehouse
) -> None:
    expected = _masked(tiny_raw.path, tiny_raw.roster_path.parent)
    actual = _masked(crashed_then_rerun.warehouse, crashed_then_rerun.sandbox_dir)
    assert sorted(actual) == sorted(expected)
    differing = {
        table: (len(actual[table]), len(expected[table]))
        for table in expected
        if actual[table] != expected[table]
    }
    assert not differing, f"table: (rows after crash, rows uninterrupted): {differing}"


def test_no_duplicate_keys_and_every_pull_request(
    crashed_then_rerun: CrashedThenRerun, tiny_raw: RawWarehouse
) -> None:
    # The tiny world's token may not read Copilot's seat list (sandbox.reality
    # copilot_seats_forbidden): no seats table to check, and none made up.
    seats_readable = tiny_raw.truth["products"]["copilot"]["seats_status"] == 200
    with duckdb.connect(str(crashed_then_rerun.warehouse), read_only=True) as con:
        for table, key in PRIMARY_KEYS.items():
            if table == "raw_copilot.seats" and not seats_readable:
                assert not con.execute(
                    "select 1 from information_schema.tables "
                    "where table_schema = 'raw_copilot' and table_name = 'seats'"
                ).fetchall()
                continue
            ((rows, keys),) = con.execute(
                f"select count(*), count(distinct ({', '.join(key)})) from {table}"
            ).fetchall()
            assert rows == keys > 0, f"{table}: {rows} rows, {keys} distinct keys"
        ((prs,),) = con.execute("select count(*) from raw_github.pull_requests").fetchall()
    assert prs == len(tiny_raw.truth["pull_requests"])


def test_marts_equal_an_uninterrupted_build(
    crashed_then_rerun: CrashedThenRerun, built_warehouse: Warehouse
) -> None:
    with duckdb.connect(str(crashed_then_rerun.warehouse), read_only=True) as con:
        for table in MARTS:
            actual = sorted(con.execute(f"select * from {table}").fetchall(), key=repr)
            expected = sorted(built_warehouse.query(f"select * from {table}"), key=repr)
            assert actual == expected, table


def test_killed_run_is_marked_failed_in_dagster(crashed_then_rerun: CrashedThenRerun) -> None:
    import dagster as dg

    from orchestration.run import TRIGGER_TAG

    instance = dg.DagsterInstance.from_config(str(crashed_then_rerun.home / "dagster"))
    runs = instance.get_runs(filters=dg.RunsFilter(tags={TRIGGER_TAG: "tokenworth run"}))
    # The killed extraction, then the re-run's extraction and build (two jobs).
    statuses = sorted(run.status.value for run in runs)
    assert statuses == ["FAILURE", "SUCCESS", "SUCCESS"]
    (failed,) = [run for run in runs if run.status == dg.DagsterRunStatus.FAILURE]
    messages = [
        record.event_log_entry.dagster_event.message or ""
        for record in instance.get_records_for_run(failed.run_id).records
        if record.event_log_entry.dagster_event is not None
    ]
    assert any("ended without finishing this run (killed or crashed)" in m for m in messages)


def test_secrets_not_in_any_output_or_file(crashed_then_rerun: CrashedThenRerun) -> None:
    crash = crashed_then_rerun
    outputs = crash.killed_output + crash.rerun.stdout + crash.rerun.stderr
    assert "tokenworth run" in outputs  # the scan reads real output
    files = [p for root in (crash.home, crash.target_dir) for p in root.rglob("*") if p.is_file()]
    # dbt's compiled SQL and Dagster's run storage (its own telemetry log is switched off).
    assert any(p.suffix == ".sql" for p in files) and any(p.name == "runs.db" for p in files)
    for secret in crash.secrets:
        assert secret not in outputs
        for path in files:
            assert secret.encode() not in path.read_bytes(), path


def test_secrets_not_in_any_warehouse_text_column(crashed_then_rerun: CrashedThenRerun) -> None:
    """Byte search cannot see into DuckDB's compressed columns: query every text value."""
    crash = crashed_then_rerun
    searched = 0
    with duckdb.connect(str(crash.warehouse), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type in ('VARCHAR', 'JSON') or data_type like '%[]' "
            "order by 1, 2, 3"
        ).fetchall()
        for schema, table, column in columns:
            text = f'cast("{column}" as varchar)'
            conditions = " or ".join(f"contains({text}, ?)" for _ in crash.secrets)
            ((hits, values),) = con.execute(
                f'select count(*) filter (where {conditions}), count("{column}") '
                f'from "{schema}"."{table}"',
                crash.secrets,
            ).fetchall()
            assert hits == 0, f"{schema}.{table}.{column} holds a credential"
            searched += values
    assert len(columns) > 200 and searched > 10_000


def test_secrets_not_in_the_report(crashed_then_rerun: CrashedThenRerun, tmp_path: Path) -> None:
    from orchestration.report import write_report

    report = write_report(
        tmp_path / "report.html", warehouse_url=f"duckdb:///{crashed_then_rerun.warehouse}"
    )
    html = report.read_text()
    assert len(html) > 1000
    for secret in crashed_then_rerun.secrets:
        assert secret not in html
