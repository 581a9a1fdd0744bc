"""One failing input never blocks the warehouse (issue 22 §1), end to end through the CLI.

The organisation has no Copilot licence (every Copilot endpoint answers 404) and one configured
repository cannot be read (GitHub cannot resolve it, git cannot clone it). Every other source
loads, dbt builds, the marts are right for what loaded, and `tokenworth run` exits 1 with a
summary naming both.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.cli import main
from sandbox.generate import build_world
from sandbox.gitrepos import write_repositories
from sandbox.reality import RealityOptions
from sandbox.server import SandboxServer
from sandbox.truth import build_truth, write_roster

pytestmark = pytest.mark.slow
CENT = Decimal("0.01")


def _query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_no_copilot_licence_and_a_missing_repository_still_build_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world = build_world("tiny", 7, RealityOptions.parse("no_copilot"))
    out = tmp_path / "sandbox"
    write_repositories(world, out)
    write_roster(world, out / "people.csv")
    truth = build_truth(world)
    home = tmp_path / "home"
    (home / "dagster").mkdir(parents=True)
    repos = sorted(r.full_name for r in world.repositories)
    server = SandboxServer(world).start()
    try:
        for name, value in server.environment(f"file://{out}/git/{{repo}}.git").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("TOKENWORTH_HOME", str(home))
        monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
        monkeypatch.setenv("TOKENWORTH_PEOPLE_FILE", str(out / "people.csv"))
        monkeypatch.setenv("TOKENWORTH_GITHUB_REPOS", ",".join([*repos, "acme/gone"]))
        monkeypatch.setenv("TOKENWORTH_START_DATE", (world.start - timedelta(days=1)).isoformat())
        monkeypatch.delenv("TOKENWORTH_WAREHOUSE_URL", raising=False)
        first, last = world.start - timedelta(days=1), world.end + timedelta(days=1)
        code = main(["run", "--start", str(first), "--end", str(last), "--verbose"])
    finally:
        server.stop()
    output = capsys.readouterr()
    assert code == 1
    failed = [line for line in output.err.splitlines() if line.startswith("  FAILED")]
    assert len(failed) == 2, failed
    github = next(line for line in failed if line.startswith("  FAILED raw_github: "))
    git = next(line for line in failed if line.startswith("  FAILED raw_git: "))
    assert "acme/gone" in github and "the rest loaded" in github
    assert "git clone of acme/gone failed: fatal: " in git
    assert "exit 1: some input failed or was held (above); the warehouse was built" in output.err
    # The reports and seats answer 404 without a licence; the organisation's billing endpoint
    # still answers (with no Copilot usage in it).
    for product in ("usage_metrics", "seats"):
        assert f"  not available copilot/{product}: GitHub Copilot: " in output.out, product
    assert "not available copilot/ai_credit_billing" not in output.out
    warehouse = home / "warehouse.duckdb"
    # Every other source loaded, and the warehouse was built from them: usage equals the truth
    # per platform to the cent (there is no Copilot usage), and the PRs of the readable
    # repositories are all there.
    usage = dict(
        _query(warehouse, "select platform, sum(cost_usd) from core.fct_ai_usage group by 1")
    )
    expected = truth["totals"]["cost_usd_by_platform"]
    assert "copilot" not in expected and set(usage) == set(expected)
    for platform, cost in expected.items():
        assert usage[platform].quantize(CENT) == Decimal(cost).quantize(CENT), platform
    prs = _query(warehouse, "select repo, count(*) from core.fct_pull_requests group by 1")
    assert {repo for repo, _ in prs} == set(repos)
    assert sum(n for _, n in prs) == sum(len(r.pull_requests) for r in world.repositories)
    assert _query(warehouse, "select count(*) from marts.mart_platform_efficiency")[0][0] > 0
    # What happened is where analysts look.
    freshness = {
        (source, product): (status, stale)
        for source, product, status, stale in _query(
            warehouse,
            "select source_name, product, latest_status, is_stale from marts.mart_source_freshness",
        )
    }
    assert freshness[("copilot", None)] == ("loaded", False)
    for product in ("usage_metrics", "seats"):
        assert freshness[("copilot", product)] == ("not_available", False)
    assert freshness[("github", None)] == ("partial", True)
    assert freshness[("git", None)] == ("partial", True)
    assert freshness[("anthropic", None)] == ("loaded", False)


def test_the_run_deadline_fails_the_late_sources_and_still_builds(make_env: Any) -> None:
    """Every vendor keeps answering 429 (Retry-After 5 s) and the run may take 3 s: each source
    fails on the deadline, naming it, instead of waiting; the warehouse is still built."""
    from orchestration.run import run_partitions

    env = make_env(
        faults="rate=1,kinds=429,retry_after=5",
        overrides={"TOKENWORTH_RUN_TIMEOUT_SECONDS": "3"},
    )
    summary = run_partitions(env.day(1), env.day(1))
    assert summary.exit_code == 1
    vendors = ("raw_anthropic", "raw_openai", "raw_cursor", "raw_copilot", "raw_github")
    assert set(vendors) <= set(summary.failures), summary.failures
    for step in vendors:
        assert "run deadline reached" in summary.failures[step], summary.failures[step]
    assert summary.build_failure is None
    assert any(key.startswith("marts/") for key in summary.materialized)
