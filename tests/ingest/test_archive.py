"""The raw archive against the sandbox's wrong answers (issue 23): nothing stored is lost, a
partial day is held, impossible rows are quarantined, repeated keys are dropped and counted."""

from __future__ import annotations

import re
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


def _world_openai_cost(env: Env, day: date) -> Decimal:
    """The truth: what the world's OpenAI requests of ``day`` cost — the people's, and those of
    the usage nobody in the roster owns (the tiny world's service-account key, Playground usage,
    rows the report cannot break down), which OpenAI bills too."""
    from sandbox.vendors.openai import requests_of

    unowned = [
        r for u in env.world.unassigned if u.platform == "openai_api" for s in u.sessions
        for r in s.requests
    ]  # fmt: skip
    people = [r for _s, r in requests_of(env.world, ("openai_api",))]
    return sum((r.cost_usd for r in people + unowned if r.at.date() == day), Decimal(0))


def test_wrong_answers_never_reach_the_marts(make_env: Any, tmp_path: Any) -> None:
    import shutil

    from orchestration.cli import main
    from tests.warehouse.fixtures import dbt_runner

    env: Env = make_env(
        reality="truncated_day,future_rows,negative_rows,duplicate_rows", overrides=OPENAI_ONLY
    )
    truth = hostile_truth(env.world)
    days = hostile_days(env.world)
    truncated = days["truncated"]
    # Night 1: every day once (full answers); night 2: the truncated day again, answered in part.
    env.run_ok(days["extra"], truncated)
    night2 = env.run(truncated + timedelta(days=1))
    assert night2.exit_code == 1 and len(night2.held) == 1, night2.held

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(env.home / "warehouse.duckdb", warehouse)
    dbt = dbt_runner(warehouse, tmp_path)
    select = ("--select", "+mart_data_quality", "+fct_vendor_costs", "+fct_quarantined_rows")
    # Unit tests of models whose raw tables this warehouse lacks cannot read their columns.
    built = dbt(
        "build", *select, "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious"
    )
    # Every test passes, the new non_negative and not_after_run ones included.
    assert built.returncode == 0, built.stdout[-3000:]
    unit = dbt("test", "--select", "staging.openai", "--resource-type", "unit_test")
    # Both unit tests ran and passed (dbt's PASS= total also counts the on-run-start hook).
    passed_unit_tests = re.findall(r"\d+ of \d+ PASS stg_openai__\S+", unit.stdout)
    assert unit.returncode == 0 and len(passed_unit_tests) == 2, unit.stdout[-3000:]

    def query(sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        with duckdb.connect(str(warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()

    # The held day keeps its full cost: the truth's, not the truncated answer's.
    billed = query(
        "select billed_usd from core.fct_vendor_costs "
        f"where vendor = 'openai' and cost_date = '{truncated}'"
    )
    assert billed == [(_world_openai_cost(env, truncated),)], billed
    # And every day's billed cost is the truth's: no negative, future or repeated row counts.
    for day in (days["extra"], truncated):
        (got,) = query(
            "select billed_usd from core.fct_vendor_costs "
            f"where vendor = 'openai' and cost_date = '{day}'"
        )
        assert got[0] == _world_openai_cost(env, day), (day, got)
    assert query(
        "select count(*) from core.fct_ai_usage where input_tokens < 0 or cost_usd < 0 "
        "or usage_date > current_date"
    ) == [(0,)]
    assert query(
        "select count(*) from core.fct_vendor_costs "
        "where billed_usd < 0 or cost_date > current_date"
    ) == [(0,)]
    # The quarantine lists each impossible row with its reason.
    listed = query(
        "select table_name, reason, cast(row_date as varchar) from core.fct_quarantined_rows"
    )
    expected = [(q["table"], q["reason"], q["day"]) for q in truth["quarantined"]]
    assert sorted(listed) == sorted(expected), listed
    # Data quality counts them: held days, quarantined rows (once, however often re-sent) and
    # the repeated row, on the platform's days.
    quality = query(
        "select cast(activity_date as varchar), held_day_count, quarantined_row_count, "
        "duplicate_row_count from marts.mart_data_quality where source_name = 'openai_api' "
        "and held_day_count + quarantined_row_count + duplicate_row_count > 0 order by 1"
    )
    (held,) = truth["held"]
    (duplicate,) = truth["duplicates"]
    totals = {
        "held": sum(r[1] for r in quality),
        "quarantined": sum(r[2] for r in quality),
        "duplicates": sum(r[3] for r in quality),
    }
    assert totals == {"held": 1, "quarantined": len(truth["quarantined"]), "duplicates": 1}, quality
    assert (held["day"], 1) in {(r[0], r[1]) for r in quality}, quality
    assert (duplicate["day"], 1) in {(r[0], r[3]) for r in quality}, quality
    # No quality row lands after the data's days (the future row counts on its load's last day).
    assert max(r[0] for r in quality) <= str(truncated + timedelta(days=1)), quality

    # The operator accepts the smaller answer: the next build reads it, the day is no longer held.
    assert main(["archive", "held"]) == 0
    assert main(["archive", "accept", "openai", held["day"]]) == 0
    assert main(["archive", "accept", "openai", held["day"]]) == 1  # nothing held any more
    shutil.copy(env.home / "warehouse.duckdb", warehouse)
    rebuilt = dbt(
        "build", "--select", "+fct_vendor_costs", "+fct_day_versions",
        "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious",
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    (accepted,) = query(
        "select billed_usd from core.fct_vendor_costs "
        f"where vendor = 'openai' and cost_date = '{truncated}'"
    )
    versions = query(
        "select status, row_count, cost_amount from core.fct_day_versions "
        f"where table_name = 'costs' and archived_date = '{truncated}' and is_read"
    )
    assert versions == [("accepted", 1, accepted[0])], versions
    assert accepted[0] < _world_openai_cost(env, truncated)
    assert query("select count(*) from core.fct_day_versions where is_held") == [(0,)]


@pytest.mark.postgres
def test_the_archive_holds_and_skips_identical_answers_on_postgres(make_env: Any) -> None:
    """The ledger's SQL (stats, EXCEPT, deletes, parameterised inserts) on PostgreSQL."""
    import os
    import uuid

    url = os.environ.get("TOKENWORTH_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TOKENWORTH_TEST_POSTGRES_URL is not set")
    psycopg2 = pytest.importorskip("psycopg2")
    name = f"tw_archive_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    base = url.rsplit("/", 1)[0]
    try:
        env: Env = make_env(
            reality="truncated_day",
            overrides={**OPENAI_ONLY, "TOKENWORTH_WAREHOUSE_URL": f"{base}/{name}"},
        )
        days = hostile_days(env.world)
        extra, day = days["extra"], days["truncated"]
        env.run_ok(extra)
        env.run_ok(extra)  # the same answer again
        env.run_ok(day)
        night2 = env.run(day + timedelta(days=1))  # the truncated day again, in part
        assert night2.exit_code == 1 and len(night2.held) == 1, night2.held

        def statuses(cur: Any, on: date) -> list[str]:
            cur.execute(
                "select status from raw_tokenworth.day_versions where table_name = 'costs' "
                "and archived_day = %s order by recorded_at",
                (on,),
            )
            return [r[0] for r in cur.fetchall()]

        with psycopg2.connect(f"{base}/{name}") as con, con.cursor() as cur:
            assert statuses(cur, extra) == ["applied", "unchanged"]
            assert statuses(cur, day) == ["applied", "held"]
            cur.execute(
                "select count(distinct _tokenworth_load_id), count(*) from raw_openai.costs "
                "where bucket_date = %s",
                (extra,),
            )
            versions, rows = cur.fetchone()
        # The identical answer is recorded, not stored again.
        assert versions == 1 and rows > 0
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()
