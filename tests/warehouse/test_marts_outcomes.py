"""Outcome-side marts: they add up, they are stable under re-runs, and they protect privacy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.warehouse.conftest_outcomes import Warehouse, marts_snapshot

pytest_plugins = ["tests.warehouse.conftest_outcomes"]
pytestmark = pytest.mark.slow


def test_spend_classification_mart_adds_up_to_session_cost(
    outcomes_warehouse: Warehouse,
) -> None:
    ((mart, sessions),) = outcomes_warehouse.query(
        "select (select sum(total_spend_usd) from marts.mart_spend_classification), "
        "(select sum(cost_usd) from core.fct_ai_sessions)"
    )
    assert mart == sessions
    rows = outcomes_warehouse.query(
        "select productive_usd + exploratory_usd + retry_usd + abandoned_usd + rework_usd "
        "+ pending_usd, total_spend_usd from marts.mart_spend_classification"
    )
    assert all(parts == total for parts, total in rows)


def test_platform_efficiency_total_spend_is_usage_plus_seats(
    outcomes_warehouse: Warehouse,
) -> None:
    ((usage, seats, total, sessions, seat_costs),) = outcomes_warehouse.query(
        "select sum(usage_spend_usd), sum(seat_cost_usd), sum(total_spend_usd), "
        "(select sum(cost_usd) from core.fct_ai_sessions), "
        "(select sum(seat_cost_usd) from core.fct_seat_costs) "
        "from marts.mart_platform_efficiency"
    )
    assert usage == sessions
    assert seats == seat_costs
    assert total == usage + seats
    # A PR is one outcome however many platforms worked on it.
    ((outcomes, accepted_ai_prs),) = outcomes_warehouse.query(
        "select (select sum(accepted_outcomes) from marts.mart_platform_efficiency), "
        "(select count(*) from core.fct_pull_requests where is_accepted and pull_request_id in "
        "(select pull_request_id from core.fct_session_spend where is_attributed))"
    )
    assert outcomes == pytest.approx(accepted_ai_prs, abs=Decimal("0.0001"))


def test_teams_under_min_cohort_size_are_suppressed(outcomes_warehouse: Warehouse) -> None:
    sizes = dict(
        outcomes_warehouse.query(
            "select coalesce(team, 'unknown'), count(*) from core.dim_people group by 1"
        )
    )
    small = {team for team, n in sizes.items() if n < 5}
    assert small, "the tiny world always has a team under the cohort size"
    shown = {
        team
        for (team,) in outcomes_warehouse.query(
            "select distinct team from marts.mart_spend_classification"
        )
    }
    assert not (shown & small)
    assert shown <= {t for t, n in sizes.items() if n >= 5} | {"suppressed"}


def test_rebuild_leaves_every_mart_identical(outcomes_warehouse: Warehouse) -> None:
    before = marts_snapshot(outcomes_warehouse)
    assert all(before.values()), {m: len(rows) for m, rows in before.items()}
    done = outcomes_warehouse.dbt("build")
    assert done.returncode == 0, done.stdout[-4000:]
    assert marts_snapshot(outcomes_warehouse) == before
