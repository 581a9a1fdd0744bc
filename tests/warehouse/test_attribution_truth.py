"""Attribution and spend classification against the tiny sandbox's truth (cost-weighted)."""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest

from tests.warehouse.conftest_outcomes import (
    Warehouse,
    classification_confusion,
    confusion_table,
    score_attribution,
)

pytest_plugins = ["tests.warehouse.conftest_outcomes"]
pytestmark = pytest.mark.slow


def test_attribution_precision_and_accuracy(outcomes_warehouse: Warehouse) -> None:
    score = score_attribution(outcomes_warehouse)
    precision = {m: f"{float(v):.1%}" for m, v in score.precision_by_method.items()}
    attributed = {m: f"{float(v):.2f}" for m, v in score.attributed_usd_by_method.items()}
    # Shown with `pytest -s`: the measured figures, not just pass/fail.
    sys.stdout.write(
        f"\nattribution precision by method: {precision}; attributed USD: {attributed}; "
        f"accuracy: {float(score.accuracy):.1%} (truth sessions of unresolved identities: "
        f"{score.unmapped_truth_sessions})\n"
    )
    # High confidence must be right (no vendor in the sandbox reports branches, so it may be
    # absent); medium, low and overall are regression floors just under what the contract's
    # rules reach on the tiny world today (measured: medium 79%, low 58%, accuracy 75%).
    assert score.precision_by_method.get("branch", Decimal(1)) >= Decimal("0.95")
    assert score.precision_by_method["marker_window"] >= Decimal("0.78")
    assert score.precision_by_method.get("time_window", Decimal(1)) >= Decimal("0.55")
    assert score.accuracy >= Decimal("0.74")


@pytest.mark.xfail(
    reason="target 80% overall accuracy: the contract's +1 commit smoothing gives PRs without "
    "commits in a session a share (75% measured; attribution_commit_smoothing=0 gives 81%)",
    strict=False,
)
def test_attribution_accuracy_reaches_target(outcomes_warehouse: Warehouse) -> None:
    assert score_attribution(outcomes_warehouse).accuracy >= Decimal("0.80")


def test_spend_classification_against_truth_intents(outcomes_warehouse: Warehouse) -> None:
    confusion = classification_confusion(outcomes_warehouse)
    sys.stdout.write(
        "\nspend classification, USD (rows: truth intent, columns: warehouse class)\n"
        + confusion_table(confusion)
        + "\n"
    )
    classes = {a for a, _ in confusion}

    def recall(cls: str) -> Decimal:
        total = sum(confusion[(cls, b)] for b in classes)
        return confusion[(cls, cls)] / total if total else Decimal(1)

    # Productive spend is recovered; the other classes are not yet (user-day sessions of Claude
    # Code and Copilot mix exploratory and retry work into productive days, and abandoned
    # tasks without a PR overlap the author's other PRs) — see the xfail below. Rework is
    # floored where the sandbox produces it (reverts and rewrites below the 30-day threshold).
    assert recall("productive") >= Decimal("0.80")
    assert recall("rework") >= Decimal("0.50")


@pytest.mark.xfail(
    reason="user-day sessions (Claude Code, Copilot) blend exploratory and retry work into "
    "productive days; per-class target 80% not reached for exploratory, retry, abandoned, "
    "rework yet",
    strict=False,
)
def test_spend_classification_reaches_target_for_every_class(
    outcomes_warehouse: Warehouse,
) -> None:
    confusion = classification_confusion(outcomes_warehouse)
    classes = {a for a, _ in confusion}
    for cls in classes:
        total = sum(confusion[(cls, b)] for b in classes)
        if total:
            assert confusion[(cls, cls)] / total >= Decimal("0.80"), cls


def test_session_spend_conserves_session_cost(outcomes_warehouse: Warehouse) -> None:
    ((sessions, spend),) = outcomes_warehouse.query(
        "select (select sum(cost_usd) from core.fct_ai_sessions), "
        "(select sum(spend_usd) from core.fct_session_spend)"
    )
    assert spend == sessions
    assert spend == Decimal(outcomes_warehouse.truth["totals"]["cost_usd"])


def test_link_weights_sum_to_at_most_one(outcomes_warehouse: Warehouse) -> None:
    rows = outcomes_warehouse.query(
        "select session_id, sum(weight) from core.fct_session_pr_links group by 1"
    )
    assert rows
    assert all(Decimal(0) < w <= Decimal("1.000000001") for _, w in rows)
