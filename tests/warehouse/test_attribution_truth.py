"""Attribution and spend classification against the tiny sandbox's truth (cost-weighted)."""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest

from tests.warehouse.fixtures import Warehouse
from tests.warehouse.scoring import classification_confusion, confusion_table, score_attribution

pytestmark = pytest.mark.slow


def test_attribution_precision_and_accuracy(built_warehouse: Warehouse) -> None:
    score = score_attribution(built_warehouse)
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
    # the rules reach on the tiny world (measured: medium 80.8%, low 94.7%; seed 8: 88.3% and
    # 83.0%).
    committed_cursor_usd = sum(
        Decimal(t["cost_usd"])
        for t in built_warehouse.truth["sessions"]
        if t["platform"] == "cursor" and t["pr"] and t["commits_during"]
    )
    assert committed_cursor_usd > 0
    assert score.attributed_usd_by_method["branch"] >= Decimal("0.95") * committed_cursor_usd
    assert score.precision_by_method["branch"] >= Decimal("0.95")
    assert score.precision_by_method["marker_window"] >= Decimal("0.78")
    assert score.precision_by_method["time_window"] >= Decimal("0.90")


def test_attribution_accuracy_reaches_target(built_warehouse: Warehouse) -> None:
    # Issue 4's target, cost-weighted, unattributed share included (measured 85.6%; seed 8:
    # 86.5%; before Cursor sessions took branches from AI Code Tracking: 81.8% and 84.7%).
    assert score_attribution(built_warehouse).accuracy >= Decimal("0.80")


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
    # the tiny world (measured: productive 95.5%, retry 84.3%, abandoned 100%, rework 100%,
    # exploratory 42.9%; on seed 8: 81.4%, 70.7%, 100%, 96.9%, 45.6%; with every Claude Code
    # user's telemetry: 97.1%, 84.3%, 100%, 100%, 67.0%). The xfail below says why
    # exploratory stays under the target.
    assert recall["productive"] >= Decimal("0.93")
    assert recall["retry"] >= Decimal("0.80")
    assert recall["abandoned"] >= Decimal("0.95")
    assert recall["rework"] >= Decimal("0.95")
    assert recall["exploratory"] >= Decimal("0.40")


@pytest.mark.xfail(
    reason="target 80%; 67.0% measured (42.9% before agent telemetry). Copilot reports "
    "user-days (tokens, lines, accepts per day), which blend the morning's questions into the "
    "day's coding, Cursor reports code output per day only and the OpenAI API none; on the "
    "spend Claude Code's telemetry covers, per real session, exploratory is 100% "
    "(test_telemetry_truth.py)",
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
