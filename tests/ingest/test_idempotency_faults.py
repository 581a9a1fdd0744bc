"""Re-runs, out-of-order backfills, injected faults and a rejected credential."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.ingest.conftest import Env, ingest_failures

pytestmark = pytest.mark.slow


def _nonempty(snapshot: dict[str, list[Any]]) -> int:
    return sum(1 for rows in snapshot.values() if rows)


def test_same_day_twice_and_out_of_order_give_identical_tables(make_env: Any) -> None:
    in_order = make_env()
    in_order.run_ok(in_order.day(1), in_order.day(3))
    expected = in_order.snapshot()
    assert _nonempty(expected) >= 20

    shuffled: Env = make_env()
    for offset in (3, 1, 2):
        shuffled.run_ok(shuffled.day(offset))
    assert shuffled.snapshot() == expected

    shuffled.run_ok(shuffled.day(2))
    assert shuffled.snapshot() == expected


def test_faults_change_nothing(make_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    clean = make_env()
    clean.run_ok(clean.day(0), clean.day(4))
    expected = clean.snapshot()

    # Timeouts are injected as 3 s delays; a 1 s client timeout makes them real timeouts.
    # Seed 11 draws every kind at least twice over these days' requests (seed 5 drew no 429).
    faulty = make_env(
        faults="rate=0.2,kinds=429,500,502,reset,timeout,truncated,seed=11",
        fault_timeout_seconds=3.0,
        overrides={"TOKENWORTH_HTTP_TIMEOUT_SECONDS": "1"},
    )
    faulty.run_ok(faulty.day(0), faulty.day(4))
    # Every kind was really injected (a kind never drawn would prove nothing about it).
    injected = faulty.server.stats()["faults"]
    assert {k for k, n in injected.items() if n > 0} >= {
        "429", "500", "502", "reset", "timeout", "truncated"
    }, injected  # fmt: skip
    assert faulty.snapshot() == expected


def _raw_columns(env: Env) -> dict[str, list[str]]:
    rows = env.query(
        "select table_schema || '.' || table_name, column_name from information_schema.columns "
        "where table_schema like 'raw\\_%' escape '\\' and table_schema not like '%staging' "
        # raw_tokenworth is the run log (times, run ids), not vendor data.
        "and table_schema != 'raw_tokenworth' "
        "and table_name not like '\\_dlt%' escape '\\' and column_name not like '\\_dlt%' "
        # The archive's per-load stamp, like dlt's load id, differs between any two runs.
        "escape '\\' and column_name != '_tokenworth_load_id' order by 1, 2"
    )
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def _without_extra(value: Any) -> Any:
    """A JSON value without the sandbox's unknown fields (``sandbox_extra…`` keys)."""
    if isinstance(value, dict):
        return {k: _without_extra(v) for k, v in value.items() if not k.startswith("sandbox_extra")}
    if isinstance(value, list):
        return [_without_extra(v) for v in value]
    return value


def _rows(env: Env, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    """The rows of ``columns``, sorted, with this server's URL masked and JSON text (nested
    records dlt keeps as one column) compared without the drift's unknown fields."""
    url = env.server.url

    def norm(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value[:1] in "[{" and "sandbox_extra" in value:
            value = json.dumps(_without_extra(json.loads(value)), sort_keys=True)
        elif value[:1] in "[{":
            try:
                value = json.dumps(json.loads(value), sort_keys=True)
            except ValueError:
                pass  # text that only looks like JSON
        return value.replace(url, "<sandbox>")

    select = ", ".join(f'"{c}"' for c in columns)
    rows = env.query(f"select {select} from {table}")
    return sorted((tuple(norm(v) for v in row) for row in rows), key=repr)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_schema_drift_changes_no_known_value(make_env: Any) -> None:
    """Extra fields are kept as new columns, optional fields that stop coming are null
    columns, and every other value is what a clean load gives (Cursor usage events included)."""
    from sandbox.drift import OPTIONAL_FIELDS

    clean = make_env()
    clean.run_ok(clean.day(1))
    known = _raw_columns(clean)
    assert len(known) >= 20

    extra = make_env(faults="extra=true")
    extra.run_ok(extra.day(1))
    drifted = _raw_columns(extra)
    added = {(t, c) for t, cs in drifted.items() for c in cs} - {
        (t, c) for t, cs in known.items() for c in cs
    }
    assert len({t for t, _ in added}) >= 10
    assert any(t == "raw_cursor.usage_events" and c.startswith("sandbox_extra") for t, c in added)
    for table, columns in known.items():
        assert _rows(extra, table, columns) == _rows(clean, table, columns), table

    sparse = make_env(drop_optional_fields=True)
    sparse.run_ok(sparse.day(1))
    assert _raw_columns(sparse) == known  # the declared optional columns stay, typed
    dropped = {_snake(f) for f in OPTIONAL_FIELDS}
    emptied = 0
    for table, columns in known.items():
        # A row_key hashes the record's dimensions, the dropped ones included: it differs, but
        # stays a key (one per record).
        kept = [c for c in columns if c not in dropped and c != "row_key"]
        assert _rows(sparse, table, kept) == _rows(clean, table, kept), table
        if "row_key" in columns:
            keys = [r[0] for r in _rows(sparse, table, ["row_key"])]
            assert len(set(keys)) == len(keys), table
        for column in sorted(set(columns) & dropped):
            before = [r for r in _rows(clean, table, [column]) if r[0] is not None]
            after = [r for r in _rows(sparse, table, [column]) if r[0] is not None]
            assert not after, f"{table}.{column} has values the sandbox no longer sends"
            emptied += bool(before)
    # The drift removed values that a clean load has, in several tables.
    assert emptied >= 4


def test_rejected_key_fails_only_that_source(make_env: Any) -> None:
    env = make_env(overrides={"CURSOR_ADMIN_API_KEY": "key_wrong_secret_value"})
    summary = env.run(env.day(1))
    assert not summary.success
    assert list(ingest_failures(summary)) == ["raw_cursor"]
    message = summary.failures["raw_cursor"]
    assert "Cursor" in message and "HTTP 401" in message and "CURSOR_ADMIN_API_KEY" in message
    assert "key_wrong_secret_value" not in message
    loaded = {key.split("/")[0] for key in summary.materialized}
    assert {"raw_anthropic", "raw_openai", "raw_copilot", "raw_github", "git"} <= loaded
    assert "raw_cursor" not in loaded


def test_a_run_missing_optional_inputs_still_builds_the_warehouse(
    make_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """No roster, no OpenAI key and a Cursor plan without AI Code Tracking: each is skipped,
    said so, and the dbt build still runs (a step yielding nothing would skip it)."""
    from orchestration.run import run_partitions
    from sandbox.vendors.cursor import ai_code_commits

    env = make_env(cursor_enterprise=False, overrides={"OPENAI_ADMIN_API_KEY": None})
    summary = run_partitions(env.day(0), env.last_day)
    assert summary.success, summary.failures
    assert "raw_cursor/usage_events" in summary.materialized
    assert "marts/mart_platform_efficiency" in summary.materialized
    skipped = set(summary.skipped)
    assert "openai: OpenAI Admin: skipped — set OPENAI_ADMIN_API_KEY to load raw_openai" in skipped
    assert any(line.startswith("people: people roster: none") for line in skipped)
    assert not any(k.startswith(("raw_openai/", "raw_people/")) for k in summary.materialized)
    # A product the plan lacks is not a failure: said once, and recorded for data quality. (The
    # tiny world's token may not read Copilot's seats either: sandbox.reality
    # copilot_seats_forbidden, one of its default cases.)
    assert env.world.reality.seats_status == 403
    cursor_line, seats_line = sorted(summary.not_available, key=lambda x: not x.startswith("cur"))
    assert cursor_line.startswith(
        "cursor/ai_code_tracking: Cursor Admin: analytics/ai-code/commits "
    )
    assert seats_line.startswith("copilot/seats: GitHub Copilot: ")
    assert "answered 403" in cursor_line and "403" in seats_line
    assert sorted(
        env.query(
            "select source, product, status from raw_tokenworth.source_runs "
            f"where run_id = '{summary.run_id}' and status = 'not_available'"
        )
    ) == [("copilot", "seats", "not_available"), ("cursor", "ai_code_tracking", "not_available")]
    tables = env.query(
        "select table_name from information_schema.tables where table_schema = 'raw_cursor'"
    )
    assert ("ai_code_commits",) not in tables
    # Without the table, the Cursor sessions that committed AI code on Enterprise have no
    # branch here, and nothing is linked by branch.
    assert ai_code_commits(env.world)
    assert env.query("select count(*) from core.fct_ai_sessions where platform = 'cursor'")[0][0]
    assert env.query("select count(*) from core.fct_ai_sessions where branch is not null") == [(0,)]
    assert env.query(
        "select count(*) from core.fct_session_pr_links where attribution_method = 'branch'"
    ) == [(0,)]


def test_a_run_without_github_still_builds_the_spend_side(make_env: Any) -> None:
    """A team that only wants spend: no GitHub token (so no Copilot, mirrors or durability)."""
    from orchestration.run import run_partitions

    env = make_env(overrides={"GITHUB_TOKEN": None})
    summary = run_partitions(env.day(0), env.last_day)
    assert summary.success, summary.failures
    skipped = {line.split(":", 1)[0] for line in summary.skipped}
    assert {"github", "copilot", "git"} <= skipped
    assert "marts/mart_platform_efficiency" in summary.materialized
    (sessions,) = env.query("select count(*) from core.fct_ai_sessions")[0]
    assert sessions > 0
    assert env.query("select count(*) from core.fct_pull_requests") == [(0,)]
    assert env.query("select count(*) from core.fct_session_pr_links") == [(0,)]


def test_missing_credential_skips_source(make_env: Any) -> None:
    env = make_env(overrides={"OPENAI_ADMIN_API_KEY": None})
    summary = env.run_ok(env.day(1))
    assert not any(k.startswith("raw_openai/") for k in summary.materialized)
    assert any(k.startswith("raw_anthropic/") for k in summary.materialized)


def test_credentials_never_reach_disk_or_logs(
    make_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import base64

    env = make_env()
    env.run_ok(env.day(2))
    server = env.server
    secrets = [
        server.anthropic_admin_key,
        server.openai_admin_key,
        server.cursor_admin_key,
        server.github_token,
        base64.b64encode(f"{server.cursor_admin_key}:".encode()).decode(),
    ]
    output = capsys.readouterr()
    for secret in secrets:
        assert secret not in output.out and secret not in output.err
    for path in env.home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(s.encode() in data for s in secrets), path


def test_a_repository_that_cannot_be_mirrored_fails_the_git_step_by_name(
    make_env: Any,
) -> None:
    repos = sorted(r.full_name for r in make_env().world.repositories)
    env = make_env(
        overrides={"TOKENWORTH_GITHUB_REPOS": ",".join([repos[0], "acme/gone", *repos[1:]])}
    )
    summary = env.run(env.day(1))
    failures = ingest_failures(summary)
    message = failures["raw_git"]
    # git's own first error line, not its closing advice ("and the repository exists.").
    assert "git: 1 repository failed: git clone of acme/gone failed: fatal: " in message
    assert "does not appear to be a git repository" in message
    assert "TOKENWORTH_GIT_CLONE_URL" in message
    assert f"the other {len(repos)} were mirrored and measured" in message
    # GitHub loads the other repositories' pull requests, then fails for the missing one.
    assert "acme/gone" in failures["raw_github"] and "the rest loaded" in failures["raw_github"]
    assert {
        repo for (repo,) in env.query("select distinct repo from raw_github.pull_requests")
    } == set(repos)
    # The mirrors that could be updated were, in parallel with the one that failed.
    for repo in repos:
        owner, name = repo.split("/")
        assert (env.home / "git" / owner / f"{name}.git" / "HEAD").exists()
