"""The raw archive against the sandbox's wrong answers (issue 23): nothing stored is lost, a
partial day is held, impossible rows are quarantined, repeated keys are dropped and counted."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sandbox.truth import hostile_truth
from sandbox.vendors.openai import hostile_days
from tests.ingest.conftest import Env, ingest_failures

pytestmark = pytest.mark.slow

OPENAI_ONLY = {"TOKENWORTH_SOURCES": "openai"}


def _day_costs(env: Env, day: date, load_id: str | None = None) -> tuple[int, Decimal]:
    where = f"_tokenworth_load_id = '{load_id}'" if load_id else "true"
    rows = env.query(
        "select count(*), coalesce(sum(amount_usd), 0) from raw_openai.costs "
        f"where bucket_date = '{day}' and {where}"
    )
    return int(rows[0][0]), Decimal(rows[0][1])


def _versions(env: Env, table: str, day: date) -> list[tuple[Any, ...]]:
    return env.query(
        "select status, row_count, cost_amount, previous_row_count, previous_cost_amount, "
        "load_id, duplicate_row_count from raw_tokenworth.day_versions "
        f"where source = 'openai' and table_name = '{table}' and archived_day = '{day}' "
        "order by recorded_at"
    )


def test_a_truncated_second_night_is_held_and_the_stored_day_kept(make_env: Any) -> None:
    env: Env = make_env(reality="truncated_day", overrides=OPENAI_ONLY)
    (held,) = hostile_truth(env.world)["held"]
    day = date.fromisoformat(held["day"])
    # Night 1 asks for the day once: the full answer.
    env.run_ok(day)
    first = _versions(env, "costs", day)
    assert [v[0] for v in first] == ["applied"], first
    rows, cost = _day_costs(env, day)
    assert rows >= 2 and cost > 0, (rows, cost)
    # Night 2 re-reads it (lookback): one row of the day's several.
    summary = env.run(day + timedelta(days=1))
    assert not ingest_failures(summary), summary.failures
    versions = _versions(env, "costs", day)
    assert [v[0] for v in versions] == ["applied", "held"], versions
    _status, got_rows, got_cost, before_rows, before_cost, load_id, _ = versions[-1]
    assert (got_rows, before_rows, Decimal(before_cost)) == (1, rows, cost)
    assert Decimal(got_cost) < cost
    # Both versions are in the archive, immutable: nothing was deleted.
    assert _day_costs(env, day, first[0][5]) == (rows, cost)
    assert _day_costs(env, day, load_id) == (1, Decimal(got_cost))
    # The run says so, by source, table and day, and exits 1.
    assert summary.exit_code == 1
    assert any(f"costs {day}: held" in line for line in summary.held), summary.held


def test_identical_reruns_add_no_version_rows(make_env: Any) -> None:
    env: Env = make_env(overrides=OPENAI_ONLY)
    day = hostile_days(env.world)["truncated"]
    env.run_ok(day)
    before = env.query("select count(*) from raw_openai.costs")[0][0]
    assert before > 0
    env.run_ok(day)
    env.run_ok(day)
    # The archive stores an identical answer once: re-runs leave the rows as they were.
    assert env.query("select count(*) from raw_openai.costs")[0][0] == before
    statuses = [v[0] for v in _versions(env, "costs", day)]
    assert statuses == ["applied", "unchanged", "unchanged"], statuses


def test_impossible_rows_are_quarantined_and_repeats_dropped(make_env: Any) -> None:
    env: Env = make_env(reality="future_rows,negative_rows,duplicate_rows", overrides=OPENAI_ONLY)
    truth = hostile_truth(env.world)
    env.run_ok(hostile_days(env.world)["extra"])
    quarantined = env.query(
        "select table_name, reason, cast(row_day as varchar), row_json "
        "from raw_tokenworth.quarantined_rows order by 1, 2"
    )
    expected = sorted((q["table"], q["reason"], q["day"]) for q in truth["quarantined"])
    assert sorted(q[:3] for q in quarantined) == expected, quarantined
    for q in truth["quarantined"]:
        assert any(q["amount"].lstrip("-") in row[3] for row in quarantined), q
    # None of them is in the raw tables.
    assert env.query(
        "select count(*) from raw_openai.costs where amount_usd < 0 or bucket_date > current_date"
    ) == [(0,)]
    negative_tokens = "select count(*) from raw_openai.completions_usage where input_tokens < 0"
    assert env.query(negative_tokens) == [(0,)]
    # The repeated key is stored once and counted.
    (dup,) = truth["duplicates"]
    assert env.query(
        "select count(*) - count(distinct row_key) from raw_openai.costs "
        f"where bucket_date = '{dup['day']}'"
    ) == [(0,)]
    versions = _versions(env, "costs", date.fromisoformat(dup["day"]))
    assert [v[6] for v in versions] == [dup["rows"]], versions
