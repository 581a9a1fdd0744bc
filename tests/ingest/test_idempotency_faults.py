"""Re-runs, out-of-order backfills, injected faults and a rejected credential."""

from __future__ import annotations

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
    faulty = make_env(
        faults="rate=0.2,kinds=429,500,502,reset,timeout,truncated,seed=5",
        fault_timeout_seconds=3.0,
        overrides={"TOKENWORTH_HTTP_TIMEOUT_SECONDS": "1"},
    )
    faulty.run_ok(faulty.day(0), faulty.day(4))
    assert sum(faulty.server.stats()["faults"].values()) > 0
    assert faulty.snapshot() == expected


def test_unknown_extra_fields_are_kept(make_env: Any) -> None:
    env = make_env(faults="extra=true")
    env.run_ok(env.day(1))
    # Known columns still load; the drifted fields arrive as extra columns, not dropped.
    columns = {
        (r[0], r[1])
        for r in env.query(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'raw_cursor'"
        )
    }
    assert ("usage_events", "charged_cents") in columns
    baseline = {"timestamp", "event_at", "event_date", "event_key", "day_total_events"}
    event_columns = {c for t, c in columns if t == "usage_events"}
    assert len(event_columns - baseline) > 20


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
