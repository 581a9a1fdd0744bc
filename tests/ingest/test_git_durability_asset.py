"""The durability asset: raw_git equals the sandbox's truth for every horizon reached."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sandbox.truth import build_truth

# The tiny world runs 2026-10-02..11; quiet days after it let the 7- and 30-day horizons pass.
LAST_DAY = date(2026, 11, 15)
AS_OF = datetime(2026, 11, 16, tzinfo=UTC)


def test_survival_and_rework_equal_the_truth_and_rerun_changes_nothing(
    make_env: Callable[..., object],
) -> None:
    # Two worker processes whatever the machine's CPUs, so the pool runs inside Dagster here.
    env = make_env(overrides={"TOKENWORTH_GIT_WORKERS": "2"})
    summary = env.run_ok(env.world.start, LAST_DAY)
    assert "raw_git/pr_survival" in summary.materialized

    truth = build_truth(env.world)
    expected = {}
    for row in truth["pull_requests"]:
        if row["merged_at"] is None:
            continue
        merged_at = datetime.fromisoformat(row["merged_at"].replace("Z", "+00:00"))
        for s in row["survival"]:
            if merged_at + timedelta(days=s["horizon_days"]) <= AS_OF:
                expected[(row["repo"], row["number"], s["horizon_days"])] = (
                    row["effective_lines_added"],
                    s["lines_surviving"],
                )
    got = {
        (repo, number, horizon): (added, alive)
        for repo, number, horizon, added, alive in env.query(
            "select repo, number, horizon_days, effective_lines_added, lines_surviving "
            "from raw_git.pr_survival"
        )
    }
    assert got == expected
    assert {h for _, _, h in got} == {7, 30}, "90-day horizons are not reached yet"

    expected_rework = {
        (link["original"], link["later"]): (link["lines_reworked"], link["is_revert"])
        for link in truth["rework_links"]
    }
    got_rework = {
        (f"{repo}#{original}", f"{repo}#{later}"): (lines, is_revert)
        for repo, original, later, lines, is_revert in env.query(
            "select repo, original_number, later_number, lines_reworked, is_revert "
            "from raw_git.rework_links"
        )
    }
    assert got_rework == expected_rework

    before = env.snapshot()
    env.run_ok(date(2026, 11, 10))
    env.run_ok(env.world.start)
    assert env.snapshot() == before
