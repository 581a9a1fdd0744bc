"""Outcome-side marts: they add up, they are stable under re-runs, and they protect privacy."""

from __future__ import annotations

import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.warehouse.fixtures import Warehouse, dbt_runner
from tests.warehouse.scoring import (
    marts_snapshot,
    truth_accepted_outcomes_by_platform,
    truth_usage_cost_by_platform,
)

pytestmark = pytest.mark.slow


def test_spend_classification_mart_adds_up_to_session_cost(
    built_warehouse: Warehouse,
) -> None:
    ((mart, sessions),) = built_warehouse.query(
        "select (select sum(total_spend_usd) from marts.mart_spend_classification), "
        "(select sum(cost_usd) from core.fct_ai_sessions)"
    )
    assert mart == sessions
    rows = built_warehouse.query(
        "select productive_usd + exploratory_usd + retry_usd + abandoned_usd + rework_usd "
        "+ pending_usd, total_spend_usd from marts.mart_spend_classification"
    )
    assert all(parts == total for parts, total in rows)


def test_platform_efficiency_total_spend_is_usage_plus_seats(
    built_warehouse: Warehouse,
) -> None:
    ((usage, seats, total, sessions, seat_costs),) = built_warehouse.query(
        "select sum(usage_spend_usd), sum(seat_cost_usd), sum(total_spend_usd), "
        "(select sum(cost_usd) from core.fct_ai_sessions), "
        "(select sum(seat_cost_usd) from core.fct_seat_costs) "
        "from marts.mart_platform_efficiency"
    )
    assert usage == sessions
    assert seats == seat_costs
    assert total == usage + seats
    # A PR is one outcome however many platforms worked on it.
    ((outcomes, accepted_ai_prs),) = built_warehouse.query(
        "select (select sum(accepted_outcomes) from marts.mart_platform_efficiency), "
        "(select count(*) from core.fct_pull_requests where is_accepted and pull_request_id in "
        "(select pull_request_id from core.fct_session_spend where is_attributed))"
    )
    assert outcomes == pytest.approx(accepted_ai_prs, abs=Decimal("0.0001"))


def test_work_type_split_adds_up_to_the_platform_months(built_warehouse: Warehouse) -> None:
    # Every platform-month with attributed spend is split over its work types without losing or
    # inventing spend or outcomes; the split is not trivial (several work types per platform).
    rows = built_warehouse.query(
        """
        select p.platform, p.month_start_date, p.total_spend_usd, p.accepted_outcomes,
               p.attributed_spend_usd, sum(w.allocated_spend_usd), sum(w.accepted_outcomes),
               sum(w.attributed_spend_usd), count(w.work_type)
        from marts.mart_platform_efficiency as p
        left join marts.mart_platform_work_type_efficiency as w
            on w.platform = p.platform and w.month_start_date = p.month_start_date
        group by all
        """
    )
    split = [r for r in rows if r[4] > 0]
    assert split
    for _, _, total, accepted, attributed, allocated, w_accepted, w_attributed, types in split:
        assert allocated == pytest.approx(total, abs=Decimal("0.000001"))
        assert w_accepted == pytest.approx(accepted, abs=Decimal("0.0001"))
        assert w_attributed == pytest.approx(attributed, abs=Decimal("0.000001"))
        assert types >= 2


def test_teams_under_min_cohort_size_are_suppressed(built_warehouse: Warehouse) -> None:
    # Groups of people, as team_bucket names them; usage nobody owns is no group of people.
    sizes = dict(
        built_warehouse.query(
            "select coalesce(team, case when is_resolved then 'no team' else 'unknown' end), "
            "count(*) from core.dim_people where is_person group by 1"
        )
    )
    small = {team for team, n in sizes.items() if n < 5}
    assert small, "the tiny world always has a team under the cohort size"
    shown = {
        team
        for (team,) in built_warehouse.query(
            "select distinct team from marts.mart_spend_classification"
        )
    }
    assert not (shown & small)
    # `unassigned` (usage nobody owns) is never suppressed, and shown where the world has it.
    unassigned = {"unassigned"} if built_warehouse.truth.get("unassigned_usage") else set()
    assert shown - {"suppressed"} - unassigned <= {t for t, n in sizes.items() if n >= 5}
    assert shown & {"unassigned"} == unassigned


def test_rebuild_leaves_every_mart_identical(built_warehouse: Warehouse, tmp_path: Path) -> None:
    before = marts_snapshot(built_warehouse)
    assert all(before.values()), {m: len(rows) for m, rows in before.items()}
    # On a copy: the shared warehouse is read by other tests (and xdist workers) meanwhile.
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.path, path)
    copy = Warehouse(
        path=path,
        truth=built_warehouse.truth,
        dbt=dbt_runner(path, tmp_path),
        raw=built_warehouse.raw,
    )
    done = copy.dbt("build")
    assert done.returncode == 0, done.stdout[-4000:]
    assert marts_snapshot(copy) == before


def _cost_per_accepted_outcome(
    wh: Warehouse, platform: str
) -> tuple[Decimal | None, Decimal | None]:
    """(mart, truth) cost per accepted outcome of ``platform`` over every month.

    Both sides use docs/metrics.md's definition: platform total spend (usage + seats) ÷ accepted
    outcomes, a PR counted once and split across platforms by cost share. The truth side takes
    usage cost and the PR each session built from truth.json; seat cost is not estimated (seat
    lists × the seat-price seed, checked in test_usage_truth), so it is the warehouse's.
    """
    ((usage, seats, accepted),) = wh.query(
        "select sum(usage_spend_usd), sum(seat_cost_usd), sum(accepted_outcomes) "
        "from marts.mart_platform_efficiency where platform = ?",
        [platform],
    )
    truth_usage = truth_usage_cost_by_platform(wh.truth).get(platform, Decimal(0))
    truth_accepted = truth_accepted_outcomes_by_platform(wh.truth).get(platform, Decimal(0))
    mart = (usage + seats) / accepted if accepted else None
    truth = (truth_usage + seats) / truth_accepted if truth_accepted else None
    sys.stdout.write(
        f"\n{platform}: cost per accepted outcome, mart {mart and f'{mart:.4f}'} "
        f"({accepted} outcomes) vs truth {truth and f'{truth:.4f}'} ({truth_accepted:.4f})\n"
    )
    return mart, truth


# Cost per accepted outcome is scored with a roster that lists every person's vendor addresses
# (docs/metrics.md "How accuracy is scored"): roster_warehouse.
@pytest.mark.parametrize("platform", ["copilot", "cursor", "openai_api"])
def test_cost_per_accepted_outcome_is_within_5_percent_of_truth(
    roster_warehouse: Warehouse, platform: str
) -> None:
    mart, truth = _cost_per_accepted_outcome(roster_warehouse, platform)
    if truth is None:
        # No accepted PR was built with this platform (the tiny world's OpenAI API use is
        # exploratory only): the mart must not invent outcomes for it either.
        assert mart is None
    else:
        assert mart is not None
        assert abs(mart - truth) <= truth * Decimal("0.05")


def test_claude_code_cost_per_accepted_outcome_is_within_5_percent_of_truth(
    roster_warehouse: Warehouse,
) -> None:
    # Measured 2.073 vs 2.073, 11 of 11, with the agents' telemetry (every Claude Code user of the
    # tiny world: sessions are the agents' own, the commit hook links them exactly; the spend
    # includes the CI bot's key nobody owns). Without it: 2.28 vs 2.07 (+10%, 10 of 11;
    # acme/api#101 was built the day before its first commit).
    mart, truth = _cost_per_accepted_outcome(roster_warehouse, "claude_code")
    assert mart is not None and truth is not None
    assert abs(mart - truth) <= truth * Decimal("0.05")


def test_a_roster_listing_personal_vendor_emails_turns_their_spend_into_outcomes(
    built_warehouse: Warehouse, roster_warehouse: Warehouse
) -> None:
    # What the README tells an analyst to do about mart_data_quality's unresolved identities: add
    # the address to the person's roster row (roster_warehouse: the same raw data, the personal
    # addresses listed). Their spend then links to the PRs they built.
    truth = roster_warehouse.truth
    personal = {
        p["person_id"]: {
            platform: email
            for platform, email in p["vendor_emails"].items()
            if email != p["work_email"]
        }
        for p in truth["people"]
    }
    personal = {person: emails for person, emails in personal.items() if emails}
    assert personal, "the tiny world has people signing up with personal emails"
    assert built_warehouse.query(
        "select count(*) from core.dim_people where is_person and not is_resolved"
    ) != [(0,)], "with work emails only, the personal addresses are unresolved"
    listed = roster_warehouse
    assert listed.query(
        "select count(*) from core.dim_people where is_person and not is_resolved"
    ) == [(0,)]
    # Every PR their personal-address sessions built (truth) is now linked from them.
    linked = {
        (person, platform, pr)
        for person, platform, pr in listed.query(
            "select s.person_id, s.platform, l.pull_request_key from core.fct_session_pr_links l "
            "join core.fct_ai_sessions s using (session_id)"
        )
    }
    built = {
        (s["person_id"], s["platform"], s["pr"])
        for s in truth["sessions"]
        if s["pr"] and s["platform"] in personal.get(s["person_id"], {})
    }
    assert built, "the personal-address users built PRs in the tiny world"
    sys.stdout.write(
        f"\nPRs built through personal vendor addresses: {sorted(built)}; "
        f"linked now: {sorted(built & linked)}\n"
    )
    for platform in ("claude_code", "copilot", "cursor"):
        _cost_per_accepted_outcome(listed, platform)
    assert built <= linked


def test_rework_adjusted_cost_names_no_team_below_the_minimum_cohort(
    built_warehouse: Warehouse,
) -> None:
    """A per-PR row with its author's team would single out the author of a small team."""
    small = {
        team
        for (team,) in built_warehouse.query(
            "select team from core.dim_people where team is not null "
            "group by team having count(*) < 5"
        )
    }
    teams = {
        team
        for (team,) in built_warehouse.query("select team from marts.mart_rework_adjusted_cost")
    }
    assert small, "the tiny world has a team below the cohort size"
    assert not teams & small
    assert "suppressed" in teams
