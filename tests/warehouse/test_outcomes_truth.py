"""Outcome facts recover the tiny sandbox's truth: PRs, people, reverts, survival."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.warehouse.fixtures import Warehouse

pytestmark = pytest.mark.slow


def test_every_truth_pull_request_is_one_fct_row_with_its_state(
    built_warehouse: Warehouse,
) -> None:
    rows = {
        key: state
        for key, state in built_warehouse.query(
            "select pull_request_key, pr_state from core.fct_pull_requests"
        )
    }
    truth = {
        f"{p['repo']}#{p['number']}": p["state"] for p in built_warehouse.truth["pull_requests"]
    }
    assert rows == truth


def test_pull_request_person_is_the_human_behind_it(built_warehouse: Warehouse) -> None:
    # Agent-opened PRs (copilot-swe-agent) resolve to the human in the Co-authored-by trailer.
    rows = dict(
        built_warehouse.query("select pull_request_key, person_id from core.fct_pull_requests")
    )
    truth = {
        f"{p['repo']}#{p['number']}": p["person_id"] for p in built_warehouse.truth["pull_requests"]
    }
    assert rows == truth


def test_reverts_match_truth(built_warehouse: Warehouse) -> None:
    reverted = {
        key
        for (key,) in built_warehouse.query(
            "select pull_request_key from core.fct_pull_requests where is_reverted"
        )
    }
    truth = {
        f"{r[0]}#{r[1]}" if isinstance(r, list) else str(r)
        for p in built_warehouse.truth["pull_requests"]
        if (r := p.get("reverts"))
    }
    assert reverted == truth


def test_survival_rates_equal_truth_exactly(built_warehouse: Warehouse) -> None:
    measured = {
        (key, horizon): (effective, surviving, rate)
        for key, horizon, effective, surviving, rate in built_warehouse.query(
            "select pull_request_key, horizon_days, effective_lines_added, lines_surviving, "
            "survival_rate from core.fct_pr_durability where status = 'measured'"
        )
    }
    assert measured, "no durability horizon measured"
    compared = 0
    for p in built_warehouse.truth["pull_requests"]:
        key = f"{p['repo']}#{p['number']}"
        for s in p["survival"]:
            if (key, s["horizon_days"]) not in measured:
                continue
            effective, surviving, rate = measured[(key, s["horizon_days"])]
            assert effective == p["effective_lines_added"], key
            assert surviving == s["lines_surviving"], (key, s["horizon_days"])
            if s["survival_rate"] is None:
                assert rate is None, key
            else:
                exact = Decimal(surviving) / Decimal(effective)
                assert rate == exact.quantize(Decimal("0.000001")), key
                assert float(rate) == pytest.approx(s["survival_rate"], abs=1e-6)
            compared += 1
    # Every measured row is a truth row: the 7- and 30-day horizons of every merged PR.
    assert compared == len(measured)


def test_pending_horizons_are_the_unreached_ones(built_warehouse: Warehouse) -> None:
    rows = built_warehouse.query(
        "select horizon_days, status, count(*) from core.fct_pr_durability group by 1, 2"
    )
    by = {(h, s): n for h, s, n in rows}
    # The reference days reach 7 and 30 days after every merge, never 90.
    assert by.get((90, "measured"), 0) == 0
    assert by.get((7, "pending"), 0) == 0
    assert by.get((30, "pending"), 0) == 0


def test_rework_links_equal_truth(built_warehouse: Warehouse) -> None:
    rows = {
        (original, later): (lines, is_revert)
        for original, later, lines, is_revert in built_warehouse.query(
            "select original_pull_request_key, later_pull_request_key, lines_reworked, is_revert "
            "from core.fct_rework_links"
        )
    }
    truth = {
        (link["original"], link["later"]): (link["lines_reworked"], link["is_revert"])
        for link in built_warehouse.truth["rework_links"]
    }
    assert rows == truth
