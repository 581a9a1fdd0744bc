"""GitHub as it really is (issue 22 §3): each case lands in ``fct_pull_requests`` as truth says.

The warehouse is the tiny world with every GitHub case of the sandbox (``GITHUB_CASES``), served
and mirrored as of the world's last day: a deleted account's PRs (GraphQL ``author: null``), PRs
from forks (one fork deleted since), GitHub Apps' PRs and Copilot's reviews, PRs past GitHub's
250-commit and 3,000-file caps, force-pushed branches, rebase merges, repositories renamed,
transferred, archived, empty and deleted, a PR whose base and head commits no clone can fetch,
and binary, Latin-1, LFS-pointer, enormous generated files and a submodule in blame. Each test
compares the marts with the truth's own record of that case; the build itself (every model and
every dbt test) is the first assertion.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.warehouse.fixtures import Warehouse

pytestmark = pytest.mark.slow


def _key(p: dict[str, Any]) -> str:
    """The warehouse's key of a truth PR: GitHub serves it under its repository's final name."""
    return f"{p['repo_final_name']}#{p['number']}"


def _served(warehouse: Warehouse) -> list[dict[str, Any]]:
    """Truth PRs whose repository the organisation still lists on the last day (a deleted or
    transferred-away repository is not served by a first night after it left)."""
    org = warehouse.truth["org"]
    return [
        p
        for p in warehouse.truth["pull_requests"]
        if p["repo_final_name"] and p["repo_final_name"].startswith(f"{org}/")
    ]


def _facts(warehouse: Warehouse, columns: str) -> dict[str, tuple[Any, ...]]:
    return {
        key: tuple(rest)
        for key, *rest in warehouse.query(
            f"select pull_request_key, {columns} from core.fct_pull_requests"
        )
    }


def test_every_served_pull_request_lands_once_with_its_state_and_person(
    github_warehouse: Warehouse,
) -> None:
    facts = _facts(github_warehouse, "pr_state, person_id")
    truth = {_key(p): (p["state"], p["person_id"]) for p in _served(github_warehouse)}
    assert facts == truth


def test_ghost_authors_land_with_no_login_and_the_ghost_marker(
    github_warehouse: Warehouse,
) -> None:
    facts = _facts(github_warehouse, "author_login, is_ghost_author, person_id")
    served = _served(github_warehouse)
    ghosts = [p for p in served if p["author_ghost"]]
    assert ghosts, "the world has no ghost-authored PR"
    for p in served:
        login, is_ghost, person = facts[_key(p)]
        assert is_ghost is p["author_ghost"], _key(p)
        if p["author_ghost"]:
            # No login, yet the person is found from the commits' emails (git keeps them).
            assert login is None and person == p["person_id"], _key(p)
        else:
            assert login == (p["author_login"] or "").lower(), _key(p)


def test_fork_prs_are_cross_repository_with_their_fork(github_warehouse: Warehouse) -> None:
    facts = _facts(github_warehouse, "is_cross_repository, head_repository")
    served = _served(github_warehouse)
    forks = [p for p in served if p["is_cross_repository"]]
    # Both shapes: a live fork, and one deleted since (no head repository).
    assert {p["head_repository"] is None for p in forks} == {True, False}
    for p in served:
        expected = (True, p["head_repository"]) if p["is_cross_repository"] else (False, None)
        assert facts[_key(p)] == expected, _key(p)


def test_bot_and_app_authors_are_bots_by_their_login(github_warehouse: Warehouse) -> None:
    facts = _facts(github_warehouse, "author_login, is_bot_author")
    served = _served(github_warehouse)
    bots = {p["author_login"] for p in served if p["is_bot"]}
    assert {"dependabot", "renovate", "github-actions"} <= bots
    for p in served:
        login, is_bot = facts[_key(p)]
        assert is_bot is p["is_bot"], _key(p)
        if p["is_bot"]:
            assert login == p["author_login"], _key(p)


def test_prs_past_githubs_caps_are_marked_and_counted_in_full(
    github_warehouse: Warehouse,
) -> None:
    facts = _facts(github_warehouse, "is_truncated_by_github, commit_count, file_count")
    served = _served(github_warehouse)
    capped = {
        _key(p)
        for p in served
        if p["commits_total"] > p["commits_served"] or p["files_total"] > p["files_served"]
    }
    assert len(capped) == 2
    assert {key for key, (truncated, _, _) in facts.items() if truncated} == capped
    for p in served:
        if _key(p) in capped:
            _, commits, files = facts[_key(p)]
            assert (commits, files) == (p["commits_total"], p["files_total"]), _key(p)


def test_durability_equals_the_truth_for_every_measured_pr(github_warehouse: Warehouse) -> None:
    """Force-pushed, rebase-merged and odd-file PRs and every other merged PR: survival as the
    truth replays it (rebased PRs own the commits that landed; binary files and submodules have
    no lines; Latin-1 text and LFS pointers do; generated files are excluded)."""
    measured = {
        (key, horizon): (effective, surviving, rate)
        for key, horizon, effective, surviving, rate in github_warehouse.query(
            "select pull_request_key, horizon_days, effective_lines_added, lines_surviving, "
            "survival_rate from core.fct_pr_durability where status = 'measured'"
        )
    }
    compared = 0
    kinds: set[str] = set()
    for p in _served(github_warehouse):
        for s in p["survival"]:
            if (_key(p), s["horizon_days"]) not in measured:
                continue
            effective, surviving, rate = measured[(_key(p), s["horizon_days"])]
            assert effective == p["effective_lines_added"], _key(p)
            assert surviving == s["lines_surviving"], (_key(p), s["horizon_days"])
            if s["survival_rate"] is not None:
                exact = Decimal(surviving) / Decimal(effective)
                assert rate == exact.quantize(Decimal("0.000001")), _key(p)
            compared += 1
            if p["merge_method"] == "REBASE":
                kinds.add("rebase")
            if p["force_pushed"]:
                kinds.add("force_push")
    assert compared == len(measured)
    assert {"rebase", "force_push"} <= kinds


def test_unfetchable_refs_land_and_are_not_measured(github_warehouse: Warehouse) -> None:
    """A closed PR whose base and head no clone can fetch: it lands with its state; there is no
    durability to measure (it never merged) and nothing failed on the way."""
    rows = [p for p in _served(github_warehouse) if p["unfetchable_oids"]]
    assert rows
    facts = _facts(github_warehouse, "pr_state")
    for p in rows:
        assert facts[_key(p)] == (p["state"],)
        durability = github_warehouse.query(
            "select count(*) from core.fct_pr_durability where pull_request_key = ? "
            "and status = 'measured'",
            [_key(p)],
        )
        assert durability == [(0,)]


def test_repositories_are_keyed_by_githubs_node_id(github_warehouse: Warehouse) -> None:
    """A renamed repository's PRs land under its new name with its node id; every PR of one
    repository carries that repository's id."""
    ids = dict(
        github_warehouse.query(
            "select distinct pull_request_key, repository_id from core.fct_pull_requests"
        )
    )
    by_name = {r["full_name"]: r for r in github_warehouse.truth["repositories"]}
    renamed = [p for p in _served(github_warehouse) if p["repo"] != p["repo_final_name"]]
    assert renamed, "no PR of a renamed repository was served"
    for p in _served(github_warehouse):
        assert ids[_key(p)] == by_name[p["repo"]]["node_id"], _key(p)
