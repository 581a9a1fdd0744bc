"""The usage side of the warehouse recovers the tiny sandbox's truth (cost, tokens, sessions)."""

from __future__ import annotations

import re
import shutil
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.defs.transform.project import dbt_window_env
from tests.warehouse.fixtures import Warehouse, build_usage, dbt_runner, unassigned_owner

pytestmark = pytest.mark.slow

CENT = Decimal("0.01")
TOKEN_COLUMNS = ("input_tokens", "cache_write_tokens", "cache_read_tokens", "output_tokens")
# The tables a run with a day window rebuilds in part (incremental by day), and what reads them.
USAGE_TABLES = (
    "intermediate.int_usage_records_reconciled",
    "core.fct_ai_usage",
    "core.fct_ai_sessions",
    "core.fct_seat_costs",
    "core.dim_people",
)


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def _truth_tokens(truth: dict[str, Any], platform: str) -> dict[str, int]:
    """The truth's tokens on ``platform``: the people's sessions and the usage nobody in the
    roster owns (the tiny world's service-account keys, Console usage, CI bot), which the
    warehouse keeps under its own owners."""
    sums: Counter[str] = Counter()
    for s in [*truth["sessions"], *truth.get("unassigned_usage", [])]:
        if s["platform"] != platform:
            continue
        sums["input_tokens"] += s["input_tokens"]
        sums["cache_write_tokens"] += s["cache_write_5m_tokens"] + s["cache_write_1h_tokens"]
        sums["cache_read_tokens"] += s["cache_read_tokens"]
        sums["output_tokens"] += s["output_tokens"]
    return dict(sums)


def _facts_snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in USAGE_TABLES
        }


def test_usage_cost_equals_truth_total_to_the_cent(built_warehouse: Warehouse) -> None:
    ((total,),) = built_warehouse.query("select sum(cost_usd) from core.fct_ai_usage")
    truth = Decimal(built_warehouse.truth["totals"]["cost_usd"])
    assert total.quantize(CENT) == truth.quantize(CENT)


def test_usage_cost_equals_truth_per_platform(built_warehouse: Warehouse) -> None:
    rows = dict(
        built_warehouse.query("select platform, sum(cost_usd) from core.fct_ai_usage group by 1")
    )
    expected = built_warehouse.truth["totals"]["cost_usd_by_platform"]
    assert set(rows) == set(expected)
    for platform, cost in expected.items():
        assert rows[platform].quantize(CENT) == Decimal(cost).quantize(CENT), platform


@pytest.mark.parametrize("platform", ["claude_code", "anthropic_api", "openai_api", "cursor"])
def test_tokens_by_type_equal_truth(built_warehouse: Warehouse, platform: str) -> None:
    # Regression guard for double counting: Claude Code billed through Claude Code workspace
    # keys is in the Messages report too, and must be counted once (from the Claude Code report).
    (row,) = built_warehouse.query(
        "select coalesce(sum(input_tokens), 0), "
        "coalesce(sum(cache_write_5m_tokens + cache_write_1h_tokens), 0), "
        "coalesce(sum(cache_read_tokens), 0), coalesce(sum(output_tokens), 0) "
        "from core.fct_ai_usage where platform = ?",
        [platform],
    )
    expected = _truth_tokens(built_warehouse.truth, platform)
    assert dict(zip(TOKEN_COLUMNS, row, strict=True)) == {
        c: expected.get(c, 0) for c in TOKEN_COLUMNS
    }


def test_claude_code_key_traffic_is_in_the_messages_report_but_counted_once(
    built_warehouse: Warehouse,
) -> None:
    ((duplicated,),) = built_warehouse.query(
        "select count(*) from intermediate.int_usage_records_unioned where is_claude_code_duplicate"
    )
    ((leaked,),) = built_warehouse.query(
        "select count(*) from core.fct_ai_usage where usage_id in (select usage_id "
        "from intermediate.int_usage_records_unioned where is_claude_code_duplicate)"
    )
    assert duplicated > 0  # the tiny world bills some Claude Code through Console keys
    assert leaked == 0


def test_cursor_sessions_equal_truth_sessions(built_warehouse: Warehouse) -> None:
    rows = built_warehouse.query(
        "select person_id, started_at, ended_at, cost_usd, request_count "
        "from core.fct_ai_sessions where platform = 'cursor'"
    )
    warehouse = sorted((p, a, b, c.quantize(CENT), n) for p, a, b, c, n in rows)
    truth = sorted(
        (
            s["person_id"],
            _ts(s["started_at"]),
            _ts(s["ended_at"]),
            Decimal(s["cost_usd"]).quantize(CENT),
            s["requests"],
        )
        for s in built_warehouse.truth["sessions"]
        if s["platform"] == "cursor"
    )
    # Vendor timestamps carry milliseconds the truth rounds away.
    warehouse = [
        (p, a.replace(microsecond=0), b.replace(microsecond=0), c, n) for p, a, b, c, n in warehouse
    ]
    assert len(warehouse) == len(truth)
    assert warehouse == truth
    ((exact,),) = built_warehouse.query(
        "select sum(cost_usd) from core.fct_ai_sessions where platform = 'cursor'"
    )
    assert exact == sum(
        Decimal(s["cost_usd"])
        for s in built_warehouse.truth["sessions"]
        if s["platform"] == "cursor"
    )


def test_session_cost_conserves_usage_cost(built_warehouse: Warehouse) -> None:
    usage = dict(
        built_warehouse.query("select platform, sum(cost_usd) from core.fct_ai_usage group by 1")
    )
    sessions = dict(
        built_warehouse.query("select platform, sum(cost_usd) from core.fct_ai_sessions group by 1")
    )
    assert usage == sessions


def _warehouse_person(wh: Warehouse, person: dict[str, Any], platform: str) -> str:
    """Who the warehouse should attribute a truth person's usage on a platform to."""
    email = person["vendor_emails"].get(platform, person["work_email"])
    if platform == "copilot" or email == person["work_email"]:
        return person["person_id"]  # Copilot identifies people by GitHub login
    ((person_id,),) = wh.query(
        "select person_id from intermediate.int_identities "
        "where identity_type = 'email' and identity_value = ?",
        [email],
    )
    return person_id


def test_cost_per_person_and_platform_equals_truth(built_warehouse: Warehouse) -> None:
    people = {p["person_id"]: p for p in built_warehouse.truth["people"]}
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for s in built_warehouse.truth["sessions"]:
        who = _warehouse_person(built_warehouse, people[s["person_id"]], s["platform"])
        expected[(who, s["platform"])] += Decimal(s["cost_usd"])
    # Usage nobody in the roster owns stays under the owner the truth states.
    for u in built_warehouse.truth.get("unassigned_usage", []):
        expected[(unassigned_owner(u), u["platform"])] += Decimal(u["cost_usd"])
    rows = built_warehouse.query(
        "select person_id, platform, sum(cost_usd) from core.fct_ai_usage group by 1, 2"
    )
    actual = {(p, pl): c.quantize(CENT) for p, pl, c in rows}
    assert actual == {k: v.quantize(CENT) for k, v in expected.items()}


def test_user_day_sessions_cover_every_truth_session_day(built_warehouse: Warehouse) -> None:
    # Claude Code sessions in the agents' telemetry are request-grain sessions, not user-days
    # (test_telemetry_truth.py); the check runs on the others here, and on every session of the
    # same world rebuilt without telemetry there.
    assert_user_days_cover_truth_sessions(built_warehouse, with_telemetry_sessions=False)


def assert_user_days_cover_truth_sessions(
    built_warehouse: Warehouse, with_telemetry_sessions: bool
) -> None:
    """Every Claude Code and Copilot truth session's day is a user-day session of its person,
    and Claude Code's num_sessions counts the sessions started that day."""
    people = {p["person_id"]: p for p in built_warehouse.truth["people"]}
    truth_days = {
        (
            _warehouse_person(built_warehouse, people[s["person_id"]], s["platform"]),
            s["platform"],
            _ts(s["started_at"]).date(),
        )
        for s in built_warehouse.truth["sessions"]
        if s["platform"] in ("claude_code", "copilot")
        and (with_telemetry_sessions or not s.get("telemetry"))
    }
    rows = built_warehouse.query(
        "select person_id, platform, session_date, vendor_num_sessions from core.fct_ai_sessions "
        "where session_grain = 'user_day'"
    )
    # A session crossing midnight also shows on the next day, so the warehouse may have more.
    assert truth_days <= {(p, pl, d) for p, pl, d, _ in rows}
    # Claude Code's num_sessions counts the sessions started that day, as the truth does.
    started = Counter(k for k in truth_days if k[1] == "claude_code")
    vendor = {(p, pl, d): n for p, pl, d, n in rows if pl == "claude_code"}
    truth_started = Counter(
        (
            _warehouse_person(built_warehouse, people[s["person_id"]], "claude_code"),
            "claude_code",
            _ts(s["started_at"]).date(),
        )
        for s in built_warehouse.truth["sessions"]
        if s["platform"] == "claude_code" and (with_telemetry_sessions or not s.get("telemetry"))
    )
    assert started.keys() <= vendor.keys()
    assert {k: vendor[k] for k in truth_started} == dict(truth_started)


def test_dim_people_resolves_the_roster_and_flags_personal_vendor_emails(
    built_warehouse: Warehouse,
) -> None:
    people = {
        p: (resolved, team)
        for p, resolved, team in built_warehouse.query(
            "select person_id, is_resolved, team from core.dim_people where is_person"
        )
    }
    # The rows that are no person are exactly the owners of the usage nobody in the roster owns.
    owners = {p for (p,) in built_warehouse.query("select person_id from core.dim_people")}
    assert owners - set(people) == {
        unassigned_owner(u) for u in built_warehouse.truth.get("unassigned_usage", [])
    }
    truth_people = built_warehouse.truth["people"]
    for person in truth_people:
        assert people[person["person_id"]] == (True, person["team"])
    personal = {
        email
        for person in truth_people
        for email in person["vendor_emails"].values()
        if email != person["work_email"]
    }
    assert personal, "the tiny world has people signing up with personal emails"
    identities = dict(
        built_warehouse.query(
            "select identity_value, person_id from intermediate.int_identities "
            "where identity_type = 'email'"
        )
    )
    unresolved = {p for p, (resolved, _) in people.items() if not resolved}
    for email in personal:
        assert identities[email] in unresolved
        assert identities[email].startswith("unresolved:")
    # Nothing else is unresolved: every unresolved person is one of the personal emails.
    assert {identities[e] for e in personal} == unresolved


def test_unresolved_usage_is_kept_not_dropped(built_warehouse: Warehouse) -> None:
    ((unresolved_cost,),) = built_warehouse.query(
        "select coalesce(sum(cost_usd), 0) from core.fct_ai_usage "
        "where person_id like 'unresolved:%'"
    )
    assert unresolved_cost > 0


def test_rebuild_and_incremental_days_leave_facts_identical(
    built_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.path, path)
    dbt = dbt_runner(path, tmp_path)
    before = _facts_snapshot(path)

    done = build_usage(dbt)
    assert done.returncode == 0, done.stdout[-6000:]
    assert _facts_snapshot(path) == before

    # One partition, as Dagster runs it (the window in environment variables, plus the
    # documented lookback), re-run after the later days are loaded. (A session running past the
    # window's last midnight is int_usage_records_sessionized's unit test: tiny has none.)
    day = _ts(built_warehouse.truth["start"] + "T00:00:00Z").date() + timedelta(days=5)
    done = build_usage(dbt, env=dbt_window_env(day, day + timedelta(days=1)))
    assert done.returncode == 0, done.stdout[-6000:]
    assert _facts_snapshot(path) == before
    compiled = tmp_path / "target/compiled/tokenworth/dbt_project/models/core/usage"
    assert f"cast('{day}' as date)" in (compiled / "fct_ai_usage.sql").read_text()

    # `--vars` still set the window by hand, and win over the environment.
    day += timedelta(days=1)
    window = f'{{"min_date": "{day}", "max_date": "{day + timedelta(days=1)}"}}'
    ignored = dbt_window_env(date(2000, 1, 1), date(2000, 1, 2))
    done = build_usage(dbt, "--vars", window, env=ignored)
    assert done.returncode == 0, done.stdout[-6000:]
    assert _facts_snapshot(path) == before
    assert f"cast('{day}' as date)" in (compiled / "fct_ai_usage.sql").read_text()


def test_a_windowed_run_tests_its_days_and_a_full_run_tests_every_row(
    built_warehouse: Warehouse, tmp_path: Path
) -> None:
    # The usage models' data tests read only the window's days (and its lookback) when a run
    # has one (macros/testing/get_where_subquery.sql): a nightly run does not re-test history.
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.path, path)
    dbt = dbt_runner(path, tmp_path)
    start = _ts(built_warehouse.truth["start"] + "T00:00:00Z").date()
    old_day, day = start, start + timedelta(days=8)  # both have usage on tiny
    window = dbt_window_env(day, day + timedelta(days=1))  # tests days 5..8 (lookback 3)
    unique_test = ("--select", "fct_ai_usage,test_name:unique")

    def duplicate_a_row_of(usage_date: date) -> None:
        with duckdb.connect(str(path)) as con:
            con.execute(
                "insert into core.fct_ai_usage select * from core.fct_ai_usage "
                "where usage_date = ? limit 1",
                [usage_date],
            )

    duplicate_a_row_of(old_day)
    windowed = dbt("test", *unique_test, env=window)
    assert windowed.returncode == 0, windowed.stdout[-3000:]
    assert re.search(r"\d+ of \d+ PASS unique_fct_ai_usage_usage_id ", windowed.stdout)
    full = dbt("test", *unique_test)
    assert full.returncode == 1
    assert "FAIL 1 unique_fct_ai_usage_usage_id" in full.stdout

    duplicate_a_row_of(day)
    windowed = dbt("test", *unique_test, env=window)
    assert windowed.returncode == 1
    assert "FAIL 1 unique_fct_ai_usage_usage_id" in windowed.stdout


@pytest.mark.parametrize("fixture", ["built_warehouse", "unassigned_warehouse"])
def test_seat_costs_cover_copilot_seats_and_cursor_members(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    """The default tiny world's token may not read Copilot's seat list (sandbox.reality
    copilot_seats_forbidden): no Copilot seat cost is invented. The unassigned world's may
    (tidy products): every Copilot seat-day is priced."""
    warehouse: Warehouse = request.getfixturevalue(fixture)
    rows = warehouse.query(
        "select platform, count(distinct person_id), min(seat_cost_usd), max(seat_cost_usd) "
        "from core.fct_seat_costs group by 1"
    )
    by_platform = {p: (n, lo, hi) for p, n, lo, hi in rows}
    assert by_platform["cursor"][0] > 0
    seats_readable = warehouse.truth["products"]["copilot"]["seats_status"] == 200
    assert seats_readable == (fixture == "unassigned_warehouse")
    assert ("copilot" in by_platform) == seats_readable
    # October has 31 days: $19/31 a Copilot Business seat-day, $40/31 a Cursor seat-day.
    if seats_readable:
        assert by_platform["copilot"][0] > 0
        assert by_platform["copilot"][1] == by_platform["copilot"][2]
        assert abs(by_platform["copilot"][1] * 31 - Decimal(19)) < Decimal("0.000001")
    assert by_platform["cursor"][1] == by_platform["cursor"][2]
    assert abs(by_platform["cursor"][1] * 31 - Decimal(40)) < Decimal("0.000001")


def test_cost_reconciles_with_vendor_billing(built_warehouse: Warehouse) -> None:
    # Priced usage is the list price of records with a model; usage the vendor reports without
    # one (the truth's unassigned usage whose model is not reported) has no list price, so its
    # billed cost is the only drift where the vendors bill list prices.
    vendor_of = {
        "anthropic_api": "anthropic",
        "claude_code": "anthropic",
        "openai_api": "openai",
        "copilot": "copilot",
    }
    modelless: dict[str, Decimal] = defaultdict(Decimal)
    for u in built_warehouse.truth.get("unassigned_usage", []):
        if not u["identifiers"]["model_reported"]:
            modelless[vendor_of[u["platform"]]] += Decimal(u["cost_usd"])
    rows = built_warehouse.query(
        "select vendor, sum(priced_usd), sum(billed_usd) from marts.mart_cost_reconciliation "
        "where vendor in ('anthropic', 'openai', 'copilot') group by 1"
    )
    assert {vendor for vendor, _, _ in rows} == {"anthropic", "openai", "copilot"}
    for vendor, priced, billed in rows:
        assert abs(billed - priced - modelless[vendor]) < CENT, vendor


def test_without_a_roster_people_are_matched_by_email_and_commit_emails(
    built_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.raw.path, path)
    with duckdb.connect(str(path)) as con:
        con.execute("drop schema raw_people cascade")  # as if TOKENWORTH_PEOPLE_FILE were unset
    done = build_usage(dbt_runner(path, tmp_path))
    assert done.returncode == 0, done.stdout[-6000:]
    with duckdb.connect(str(path), read_only=True) as con:
        cost = dict(
            con.execute(
                "select person_id || '/' || platform, sum(cost_usd) from core.fct_ai_usage "
                "group by 1"
            ).fetchall()
        )
    expected: dict[str, Decimal] = defaultdict(Decimal)
    people = {p["person_id"]: p for p in built_warehouse.truth["people"]}
    for s in built_warehouse.truth["sessions"]:
        person = people[s["person_id"]]
        if s["platform"] == "copilot":
            # Copilot knows a GitHub login; only a commit email that is not GitHub's no-reply
            # address ties it to an email.
            if person["commit_email"] != person["work_email"]:
                continue
            who = person["work_email"]
        else:
            who = person["vendor_emails"][s["platform"]]
        expected[f"{who}/{s['platform']}"] += Decimal(s["cost_usd"])
    # Usage nobody owns needs no roster: it is under the owner the truth states either way.
    for u in built_warehouse.truth.get("unassigned_usage", []):
        expected[f"{unassigned_owner(u)}/{u['platform']}"] += Decimal(u["cost_usd"])
    for key, value in expected.items():
        assert cost[key].quantize(CENT) == value.quantize(CENT), key
    # Conserved: every cent of the world, people's and nobody's.
    assert sum(cost.values()) == Decimal(built_warehouse.truth["totals"]["cost_usd"])


def test_cache_hit_rate_is_null_where_a_platform_reports_no_cache_data(
    built_warehouse: Warehouse,
) -> None:
    # Copilot reports no cache tokens: its hit rate is unknown (null), not 0 %. The others' is
    # cache reads / (reads + writes + uncached input) of the truth's tokens.
    rates = dict(
        built_warehouse.query(
            "select platform, cache_hit_rate from marts.mart_platform_efficiency "
            "where usage_spend_usd > 0"
        )
    )
    assert "copilot" in rates and rates["copilot"] is None
    assert len(rates) > 2
    for platform in set(rates) - {"copilot"}:
        tokens = _truth_tokens(built_warehouse.truth, platform)
        reads = tokens["cache_read_tokens"]
        prompt = reads + tokens["cache_write_tokens"] + tokens["input_tokens"]
        assert rates[platform] == pytest.approx(reads / prompt, rel=1e-12), platform
    copilot = built_warehouse.query(
        "select count(*), count(cache_hit_rate) from marts.mart_cache_efficiency "
        "where platform = 'copilot'"
    )
    assert copilot[0][0] > 0 and copilot[0][1] == 0


def test_data_quality_names_unpriced_models_and_counts_unresolved_people(
    built_warehouse: Warehouse,
) -> None:
    names = {
        (source, day): value
        for source, day, value in built_warehouse.query(
            "select source_name, activity_date, unpriced_model_names from marts.mart_data_quality"
        )
    }
    unpriced: dict[tuple[str, date], set[str]] = defaultdict(set)
    for platform, day, model in built_warehouse.query(
        "select platform, usage_date, model from core.fct_ai_usage where is_unpriced_model"
    ):
        unpriced[(platform, day)].add(model)
    assert unpriced, "the tiny world uses a model without a list price (Cursor's composer)"
    for key, value in names.items():
        assert value == ("; ".join(sorted(unpriced[key])) if key in unpriced else None), key
    # Distinct unresolved people per source over every day: the truth's people whose address at
    # that vendor is not their work email (a Copilot login always resolves).
    expected: dict[str, int] = defaultdict(int)
    for person in built_warehouse.truth["people"]:
        for platform, email in person["vendor_emails"].items():
            if platform != "copilot" and email != person["work_email"]:
                expected[platform] += 1
    assert expected, "the tiny world has people signing up with personal emails"
    people = built_warehouse.query(
        "select source_name, min(source_unresolved_person_count), "
        "max(source_unresolved_person_count) from marts.mart_data_quality group by 1"
    )
    for source, low, high in people:
        if source in ("github", "git"):
            assert (low, high) == (None, None)
        else:
            assert low == high == expected.get(source, 0), source
