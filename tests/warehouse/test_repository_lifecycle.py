"""Repositories that change between nights (issue 22 §3): one history per repository.

The tiny world with the sandbox's repository lifecycle (``repo_lifecycle``: a repository
renamed then archived, one transferred to another organisation, one deleted, one created
empty), extracted in two nights: the first as GitHub and the repositories stood the day before
the rename, the second as of the world's last day, from the day after the rename. A night
re-fetches only the pull requests updated in its window (and GitHub's one-day overlap, which
here reaches the rename's day), so, as for any pull request older than the overlap in a real
organisation, the raw tables hold the renamed repository's older pull requests under its old
name and the newer ones under its new name: the warehouse must still show one repository,
under its current name, with every pull request and its durability.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
import pytest

from sandbox.generate import build_world
from sandbox.profiles import DEFAULT_SEED
from sandbox.reality import RealityOptions
from tests.warehouse.fixtures import Warehouse, dbt_runner, extract_tiny

pytestmark = pytest.mark.slow

CASES = RealityOptions.parse("repo_lifecycle")
RENAMED, NEW_NAME = "acme/legacy-billing", "acme/billing-archive"
TRANSFERRED, DELETED = "acme/sdk-python", "acme/hackweek-2026"


def _event_day(repo: str, kind: str) -> date:
    world = build_world("tiny", DEFAULT_SEED, CASES)
    found = next(r for r in world.repositories if r.full_name == repo)
    return next(e.day for e in found.events if e.kind == kind)


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The lifecycle world extracted in two nights (up to the day before the rename, then from
    the day after it), then built in full (every model and every dbt test)."""
    work = tmp_path_factory.mktemp("lifecycle")
    renamed = _event_day(RENAMED, "renamed")
    nights = (renamed - timedelta(days=1), renamed + timedelta(days=1))
    raw = extract_tiny(work / "sandbox", work / "home", reality=CASES, nights=nights)
    dbt = dbt_runner(raw.path, work)
    built = dbt("build")
    assert built.returncode == 0, built.stdout[-8000:]
    return Warehouse(path=raw.path, truth=raw.truth, dbt=dbt, raw=raw)


def _truth_repo(warehouse: Warehouse, name: str) -> dict[str, Any]:
    return next(r for r in warehouse.truth["repositories"] if r["full_name"] == name)


def _truth_prs(warehouse: Warehouse, name: str) -> list[dict[str, Any]]:
    return [p for p in warehouse.truth["pull_requests"] if p["repo"] == name]


def test_the_raw_tables_hold_the_renamed_repository_under_both_names(
    two_nights: Warehouse,
) -> None:
    """The premise: what a second night leaves in the raw tables (else the test proves nothing)."""
    node_id = _truth_repo(two_nights, RENAMED)["node_id"]
    with duckdb.connect(str(two_nights.path), read_only=True) as con:
        names = con.execute(
            "select distinct repo from raw_github.pull_requests where repository_id = ?",
            [node_id],
        ).fetchall()
    assert sorted(n for (n,) in names) == [NEW_NAME, RENAMED]


def test_a_renamed_repository_is_one_repository_under_its_current_name(
    two_nights: Warehouse,
) -> None:
    node_id = _truth_repo(two_nights, RENAMED)["node_id"]
    expected = {f"{NEW_NAME}#{p['number']}": p["state"] for p in _truth_prs(two_nights, RENAMED)}
    facts = dict(
        two_nights.query(
            "select pull_request_key, pr_state from core.fct_pull_requests where repository_id = ?",
            [node_id],
        )
    )
    assert facts == expected and len(expected) >= 2
    assert two_nights.query(
        "select repo, name_count, pull_request_count from core.dim_repos where repository_id = ?",
        [node_id],
    ) == [(NEW_NAME, 1, len(expected))]
    # No fact anywhere still names the old repository.
    for table in ("fct_pull_requests", "fct_pr_durability", "fct_rework_links"):
        old = two_nights.query(f"select count(*) from core.{table} where repo = ?", [RENAMED])
        assert old == [(0,)], table


def test_a_renamed_repositorys_pull_requests_are_measured_under_its_current_name(
    two_nights: Warehouse,
) -> None:
    """Every horizon of every merged PR of the renamed repository that fell due by the last
    night, those loaded under the old name too, is measured from the mirror under the new name
    and equals the truth's replay of its history."""
    measured = {
        (key, horizon): (effective, surviving)
        for key, horizon, effective, surviving in two_nights.query(
            "select pull_request_key, horizon_days, effective_lines_added, lines_surviving "
            "from core.fct_pr_durability where repo = ? and status = 'measured'",
            [NEW_NAME],
        )
    }
    as_of = datetime.combine(two_nights.raw.last_day + timedelta(days=1), time(0), tzinfo=UTC)
    expected = {
        (f"{NEW_NAME}#{p['number']}", s["horizon_days"]): (
            p["effective_lines_added"],
            s["lines_surviving"],
        )
        for p in _truth_prs(two_nights, RENAMED)
        if p["merged_at"]
        for s in p["survival"]
        if datetime.fromisoformat(p["merged_at"]) + timedelta(days=s["horizon_days"]) <= as_of
    }
    assert measured == expected and len(expected) >= 4, measured


def test_a_transferred_or_deleted_repository_keeps_what_was_loaded(two_nights: Warehouse) -> None:
    """The first night loaded them; the second no longer lists them (transferred to another
    organisation, deleted), so their pull requests stay as loaded, nothing fails, and each is
    one repository."""
    first_night_end = _event_day(RENAMED, "renamed") - timedelta(days=1)
    for name in (TRANSFERRED, DELETED):
        loaded_by_then = {
            f"{name}#{p['number']}"
            for p in _truth_prs(two_nights, name)
            if date.fromisoformat(p["created_at"][:10]) <= first_night_end
        }
        facts = {
            key
            for (key,) in two_nights.query(
                "select pull_request_key from core.fct_pull_requests where repo = ?", [name]
            )
        }
        assert facts == loaded_by_then and facts, name
        assert two_nights.query("select count(*) from core.dim_repos where repo = ?", [name]) == [
            (1,)
        ]
