"""Agent telemetry against the tiny sandbox's truth (issue 24): every Claude Code user exports it.

Targets: telemetry and the Admin report reconcile to the cent, and no token is counted twice;
the warehouse's Claude Code sessions are the agents' own; `session_trailer` links are exact and
find the PRs whose commits carry a session's id; every spend class reaches 80% cost-weighted
recall on telemetry-covered spend. Without telemetry the existing figures hold
(``test_without_telemetry_the_existing_figures_hold``).
"""

from __future__ import annotations

import shutil
import sys
from collections import defaultdict
from decimal import Decimal

import duckdb
import pytest

from tests.warehouse.fixtures import Warehouse, dbt_runner
from tests.warehouse.scoring import (
    CLASSES,
    classification_confusion,
    confusion_table,
    map_truth_sessions,
    score_attribution,
    truth_accepted_outcomes_by_platform,
)
from tests.warehouse.test_usage_truth import assert_user_days_cover_truth_sessions

pytestmark = pytest.mark.slow
CENT = Decimal("0.01")


def unowned_claude_code(truth: dict) -> dict[str, Decimal]:
    """Per UTC day, the cost of the truth's Claude Code usage nobody owns (the tiny world's CI
    bot key, an ``api_actor``): no person's agent, so no telemetry covers it."""
    by_day: dict[str, Decimal] = defaultdict(Decimal)
    for usage in truth.get("unassigned_usage", []):
        if usage["platform"] == "claude_code":
            for day, cost in usage["cost_usd_by_day"].items():
                by_day[day] += Decimal(cost)
    return by_day


def test_telemetry_and_the_admin_report_reconcile_to_the_cent(
    built_warehouse: Warehouse,
) -> None:
    wh = built_warehouse
    rows = wh.query(
        "select usage_date, p.is_person, sum(vendor_cost_usd), sum(telemetry_cost_usd), "
        "sum(gap_cost_usd), sum(excess_cost_usd), sum(vendor_tokens), sum(telemetry_tokens) "
        "from core.fct_telemetry_reconciliation r join core.dim_people p using (person_id) "
        "where platform = 'claude_code' group by 1, 2"
    )
    assert rows
    # People: every one exports telemetry, so it covers the report to the cent.
    for day, is_person, vendor, telemetry, gap, excess, vendor_tokens, telemetry_tokens in rows:
        if is_person:
            assert abs(vendor - telemetry) < CENT, day
            assert gap < CENT and excess < CENT, day
            assert vendor_tokens == telemetry_tokens, day
    # The key no person holds: all gap, its cost the truth's, day by day.
    unowned = unowned_claude_code(wh.truth)
    assert unowned, "the tiny world holds a Claude Code API actor (sandbox.reality api_actors)"
    gaps = {
        day.isoformat(): (vendor, telemetry or 0, gap, excess)
        for day, is_person, vendor, telemetry, gap, excess, *_ in rows
        if not is_person
    }
    assert gaps.keys() == unowned.keys()
    for day, (vendor, telemetry, gap, excess) in gaps.items():
        assert telemetry == 0 and excess == 0, day
        assert abs(gap - unowned[day]) < CENT and abs(vendor - unowned[day]) < CENT, day
    # So the day's coverage is the people's share of the day's Claude Code spend.
    shares = wh.query(
        "select activity_date, telemetry_coverage_share, telemetry_covered_usd, "
        "telemetry_gap_usd from marts.mart_data_quality "
        "where source_name = 'claude_code' and spend_usd > 0"
    )
    assert shares
    for day, share, covered, gap in shares:
        covered = covered or Decimal(0)  # a day of the bot's usage only: nothing covered
        expected = unowned.get(day.isoformat(), Decimal(0))
        assert abs(gap - expected) < CENT, day
        assert abs(share - covered / (covered + gap)) < Decimal("0.000001"), day
        assert (share == 1) == (expected == 0), day


def test_no_claude_code_token_is_counted_twice(built_warehouse: Warehouse) -> None:
    wh = built_warehouse
    ((usage_cost, usage_tokens, residuals),) = wh.query(
        "select sum(cost_usd), sum(input_tokens + cache_write_5m_tokens + cache_write_1h_tokens "
        "+ cache_read_tokens + output_tokens), "
        "count(*) filter (where usage_source = 'vendor_residual') "
        "from core.fct_ai_usage where platform = 'claude_code'"
    )
    ((report_tokens,),) = wh.query(
        "select sum(input_tokens + cache_write_5m_tokens + cache_write_1h_tokens "
        "+ cache_read_tokens + output_tokens) from staging.stg_anthropic__claude_code_usages"
    )
    truth_cost = sum(
        Decimal(s["cost_usd"]) for s in wh.truth["sessions"] if s["platform"] == "claude_code"
    ) + sum(unowned_claude_code(wh.truth).values(), Decimal(0))
    assert usage_tokens == report_tokens
    assert abs(usage_cost - truth_cost) < CENT
    assert residuals == 0  # telemetry covered every reported user-day whole


def test_claude_code_sessions_are_the_agents_own(built_warehouse: Warehouse) -> None:
    wh = built_warehouse
    rows = wh.query(
        "select agent_session_id, session_grain, cost_usd, p.is_person from core.fct_ai_sessions "
        "join core.dim_people p using (person_id) where platform = 'claude_code'"
    )
    sessions = {
        agent_id: (grain, Decimal(cost)) for agent_id, grain, cost, is_person in rows if is_person
    }
    truth = [s for s in wh.truth["sessions"] if s["platform"] == "claude_code"]
    assert truth and all(s["telemetry"] for s in truth)
    for s in truth:
        grain, cost = sessions[s["agent_session_id"]]
        assert grain == "request"
        assert cost == Decimal(s["cost_usd"]), s["session_id"]
    assert len(sessions) == len(truth)
    # The key no person holds has no agent telemetry: its sessions are the report's user-days.
    unowned = [(agent_id, grain, cost) for agent_id, grain, cost, person in rows if not person]
    assert {(agent_id, grain) for agent_id, grain, _ in unowned} == {(None, "user_day")}
    assert (
        abs(
            sum((cost for *_, cost in unowned), Decimal(0))
            - sum(unowned_claude_code(wh.truth).values(), Decimal(0))
        )
        < CENT
    )


def test_session_trailer_links_are_exact_and_find_the_trailer_prs(
    built_warehouse: Warehouse,
) -> None:
    wh = built_warehouse
    truth_pr = {s["agent_session_id"]: s["pr"] for s in wh.truth["sessions"]}
    links = wh.query(
        "select sessions.agent_session_id, links.pull_request_key "
        "from core.fct_session_pr_links as links "
        "inner join core.fct_ai_sessions as sessions on links.session_id = sessions.session_id "
        "where links.attribution_method = 'session_trailer'"
    )
    trailer_prs = {
        key
        for (key,) in wh.query(
            "select distinct prs.pull_request_key "
            "from staging.stg_github__pull_request_commits as commits "
            "inner join core.fct_pull_requests as prs "
            "on commits.pull_request_id = prs.pull_request_id "
            "where commits.message like '%AI-Session: %'"
        )
    }
    right = sum(1 for agent_id, pr in links if truth_pr.get(agent_id) == pr)
    linked = {pr for _, pr in links}
    sys.stdout.write(
        f"\nsession_trailer: {right}/{len(links)} links right; "
        f"{len(linked & trailer_prs)}/{len(trailer_prs)} trailer-bearing PRs linked\n"
    )
    assert trailer_prs, "the tiny world has commits made with the hook"
    assert links and right == len(links)
    assert len(linked & trailer_prs) >= Decimal("0.95") * len(trailer_prs)


def _recall_on_telemetry_spend(wh: Warehouse) -> dict[str, Decimal]:
    request_sessions = {
        sid
        for (sid,) in wh.query(
            "select session_id from core.fct_ai_sessions where session_grain = 'request'"
        )
    }
    confusion = classification_confusion(wh, only=request_sessions)
    sys.stdout.write(
        "\nspend classes on telemetry-covered spend, USD (rows: truth, columns: warehouse)\n"
        + confusion_table(confusion)
        + "\n"
    )
    totals = {a: sum(confusion[(a, b)] for b in CLASSES) for a in CLASSES}
    return {a: confusion[(a, a)] / totals[a] for a in CLASSES if totals[a]}


def test_every_spend_class_reaches_80_percent_on_telemetry_covered_spend(
    built_warehouse: Warehouse,
) -> None:
    recall = _recall_on_telemetry_spend(built_warehouse)
    assert recall, "telemetry covers Claude Code spend"
    for intent, value in recall.items():
        if intent != "pending":  # the truth has no pending intent
            assert value >= Decimal("0.80"), (intent, value)


@pytest.fixture(scope="module")
def without_telemetry(
    built_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> Warehouse:
    """The tiny warehouse rebuilt as if TOKENWORTH_OTEL_PATH were unset."""
    work = tmp_path_factory.mktemp("no_telemetry")
    path = work / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.raw.path, path)
    with duckdb.connect(str(path)) as con:
        con.execute("drop schema if exists raw_otel cascade")
    dbt = dbt_runner(path, work)
    built = dbt("build", "--exclude", "test_type:unit")
    assert built.returncode == 0, built.stdout[-6000:]
    return Warehouse(path=path, truth=built_warehouse.truth, dbt=dbt, raw=built_warehouse.raw)


def test_without_telemetry_the_existing_figures_hold(without_telemetry: Warehouse) -> None:
    # The floors of test_attribution_truth.py, on the same world without telemetry.
    score = score_attribution(without_telemetry)
    assert score.accuracy >= Decimal("0.80")
    assert score.precision_by_method["marker_window"] >= Decimal("0.78")
    assert score.precision_by_method["time_window"] >= Decimal("0.90")
    confusion = classification_confusion(without_telemetry)
    totals = defaultdict(Decimal)
    for (a, _), usd in confusion.items():
        totals[a] += usd
    recall = {a: confusion[(a, a)] / totals[a] for a in CLASSES if totals[a]}
    assert recall["productive"] >= Decimal("0.93")
    assert recall["retry"] >= Decimal("0.80")
    assert recall["abandoned"] >= Decimal("0.95")
    assert recall["rework"] >= Decimal("0.95")
    assert recall["exploratory"] >= Decimal("0.40")
    mapped, _, _ = map_truth_sessions(without_telemetry)
    assert mapped
    # Without telemetry Claude Code's sessions are the report's user-days again, all of them.
    assert_user_days_cover_truth_sessions(without_telemetry, with_telemetry_sessions=True)
    ((request_sessions,),) = without_telemetry.query(
        "select count(*) from core.fct_ai_sessions where session_grain = 'request'"
    )
    assert request_sessions == 0


def test_every_claude_code_accepted_outcome_is_found_with_telemetry(
    roster_warehouse: Warehouse,
) -> None:
    # Scored as docs/metrics.md says (a roster listing every vendor address): with the agents' own
    # sessions and the commit hook, each of Claude Code's accepted PRs is found
    # (test_marts_outcomes.py holds cost per accepted outcome within 5%).
    ((outcomes,),) = roster_warehouse.query(
        "select sum(accepted_outcomes) from marts.mart_platform_efficiency "
        "where platform = 'claude_code'"
    )
    accepted = truth_accepted_outcomes_by_platform(roster_warehouse.truth)["claude_code"]
    assert outcomes == accepted
