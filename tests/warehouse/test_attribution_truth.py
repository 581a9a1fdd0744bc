"""Attribution and spend classification against the tiny sandbox's truth (cost-weighted).

As docs/metrics.md "How accuracy is scored" says: attribution is scored on ``roster_warehouse``,
whose roster lists every person's vendor addresses (a deployment that keeps its roster), and the
unresolved share of the sandbox's own roster (work emails only) is reported on its own; spend
classes are scored at the grain the data has (a user-day's true class is its cost-weighted
majority class: ``scoring.per_user_day_majority``).
"""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest

from tests.warehouse.fixtures import Warehouse, personal_vendor_addresses
from tests.warehouse.scoring import classification_confusion, confusion_table, score_attribution

pytestmark = pytest.mark.slow


def test_attribution_precision_and_accuracy(roster_warehouse: Warehouse) -> None:
    score = score_attribution(roster_warehouse)
    precision = {m: f"{float(v):.1%}" for m, v in score.precision_by_method.items()}
    attributed = {m: f"{float(v):.2f}" for m, v in score.attributed_usd_by_method.items()}
    # Shown with `pytest -s`: the measured figures, not just pass/fail.
    sys.stdout.write(
        f"\nattribution precision by method: {precision}; attributed USD: {attributed}; "
        f"accuracy: {float(score.accuracy):.1%} (truth sessions of unresolved identities: "
        f"{score.unmapped_truth_sessions})\n"
    )
    # High confidence must be right, and it must fire: Cursor's AI Code Tracking names the
    # branch of every commit made with Cursor's AI, so the Cursor sessions that committed to a
    # PR are linked by branch (measured: 100% precise over $5.42, all of those sessions'
    # dollars; seed 8: 100% over $21.13). Medium and low are regression floors just under what
    # the rules reach on the tiny world (measured with the full roster: medium 81.8%, low 94.7%;
    # with work emails only, as scored before: 80.8% and 94.7%; seed 8: 88.3% and 83.0%).
    assert score.unmapped_truth_sessions == 0, "the full roster resolves every truth session"
    committed_cursor_usd = sum(
        Decimal(t["cost_usd"])
        for t in roster_warehouse.truth["sessions"]
        if t["platform"] == "cursor" and t["pr"] and t["commits_during"]
    )
    assert committed_cursor_usd > 0
    assert score.attributed_usd_by_method["branch"] >= Decimal("0.95") * committed_cursor_usd
    assert score.precision_by_method["branch"] >= Decimal("0.95")
    assert score.precision_by_method["marker_window"] >= Decimal("0.78")
    assert score.precision_by_method["time_window"] >= Decimal("0.90")


def test_attribution_accuracy_reaches_target(roster_warehouse: Warehouse) -> None:
    # Issue 4's target, cost-weighted, unattributed share included, with the full roster
    # (measured 82.5%: the personal-address sessions now count, and some of their dollars go to
    # the wrong PR; with work emails only, where those sessions were left out: 85.6%; seed 8:
    # 86.5%; before Cursor sessions took branches from AI Code Tracking: 81.8% and 84.7%).
    assert score_attribution(roster_warehouse).accuracy >= Decimal("0.80")


def test_unresolved_share_is_reported_on_its_own(built_warehouse: Warehouse) -> None:
    # With the sandbox's roster (work emails only) the spend of personal vendor addresses is
    # unresolved: kept whole under unresolved people, and reported apart from the scores above.
    truth = built_warehouse.truth
    personal = personal_vendor_addresses(truth)
    expected = sum(
        Decimal(s["cost_usd"])
        for s in truth["sessions"]
        if s["person_id"] in personal
        and next(p for p in truth["people"] if p["person_id"] == s["person_id"])[
            "vendor_emails"
        ].get(s["platform"])
        in personal[s["person_id"]]
    )
    ((unresolved, total),) = built_warehouse.query(
        "select sum(case when p.is_person and not p.is_resolved then s.cost_usd else 0 end), "
        "sum(s.cost_usd) from core.fct_ai_sessions s join core.dim_people p using (person_id)"
    )
    sys.stdout.write(
        f"\nunresolved identities' share of usage spend: {float(unresolved / total):.1%} "
        f"(${unresolved:.2f} of ${total:.2f})\n"
    )
    assert expected > 0
    assert unresolved == expected


def _recall_by_class(wh: Warehouse) -> dict[str, Decimal]:
    confusion = classification_confusion(wh)
    classes = {a for a, _ in confusion}
    totals = {a: sum(confusion[(a, b)] for b in classes) for a in classes}
    return {a: confusion[(a, a)] / totals[a] for a in classes if totals[a]}


def test_spend_classification_against_truth_intents(built_warehouse: Warehouse) -> None:
    sys.stdout.write(
        "\nspend classification, USD (rows: truth intent, columns: warehouse class)\n"
        + confusion_table(classification_confusion(built_warehouse))
        + "\n"
    )
    recall = _recall_by_class(built_warehouse)
    # Issue 4's target is 80% per class; these floors sit just under what the rules reach on
    # the tiny world, scored at the data's grain (measured: productive 96.6%, retry 100%,
    # abandoned 100%, rework 100%, exploratory 69.4%; scored per truth session's share of a
    # user-day, as before: 95.5%, 84.3%, 100%, 100%, 42.9%; seed 8, before: 81.4%, 70.7%, 100%,
    # 96.9%, 45.6%; with every Claude Code user's telemetry: 97.2%, 100%, 100%, 100%, 78.0%).
    # With the full roster (roster_warehouse) productive is 91.6% (the
    # personal-address user-days now count), the rest the same. The xfail below says why
    # exploratory stays under the target.
    assert recall["productive"] >= Decimal("0.93")
    assert recall["retry"] >= Decimal("0.80")
    assert recall["abandoned"] >= Decimal("0.95")
    assert recall["rework"] >= Decimal("0.95")
    assert recall["exploratory"] >= Decimal("0.40")


@pytest.mark.xfail(
    reason="target 80%; 78.0% measured at the data's grain with every Claude Code user's "
    "telemetry (69.4% without it; 42.9% when each truth session's share of a user-day was "
    "scored). The $0.83 missed is one Cursor session classified "
    "productive: Cursor reports code output per user-day only, split over the day's sessions "
    "by requests, so a question session on a coding day gets lines (99) and a link",
    strict=True,
)
def test_exploratory_spend_classification_reaches_target(built_warehouse: Warehouse) -> None:
    assert _recall_by_class(built_warehouse)["exploratory"] >= Decimal("0.80")


def test_session_spend_conserves_session_cost(built_warehouse: Warehouse) -> None:
    ((sessions, spend),) = built_warehouse.query(
        "select (select sum(cost_usd) from core.fct_ai_sessions), "
        "(select sum(spend_usd) from core.fct_session_spend)"
    )
    assert spend == sessions
    assert spend == Decimal(built_warehouse.truth["totals"]["cost_usd"])


def test_link_weights_sum_to_at_most_one(built_warehouse: Warehouse) -> None:
    rows = built_warehouse.query(
        "select session_id, sum(weight) from core.fct_session_pr_links group by 1"
    )
    assert rows
    assert all(Decimal(0) < w <= Decimal("1.000000001") for _, w in rows)
