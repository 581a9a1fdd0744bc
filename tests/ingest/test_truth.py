"""Every raw table equals the sandbox's truth for the days run (tiny profile)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sandbox.vendors.cursor import ai_code_commits
from tests.ingest.conftest import Env

pytestmark = pytest.mark.slow


def _requests(world: Any, platform: str, days: set[date]) -> list[Any]:
    return [
        r
        for s in world.sessions
        if s.platform == platform
        for r in s.requests
        if r.at.astimezone(UTC).date() in days
    ]


@pytest.fixture
def _loaded(make_env: Any) -> Env:
    env = make_env()
    env.run_ok(env.day(0), env.last_day)
    return env


def test_all_sources_load_and_match_truth(_loaded: Env) -> None:
    env = _loaded
    world = env.world
    days = {env.day(i) for i in range(-1, world.days)}  # lookback day included (empty)

    # Cursor: one row per request; tokens and cents exact.
    cursor = _requests(world, "cursor", days)
    (n, charged, inp, out, cw, cr) = env.query(
        "select count(*), sum(charged_cents), sum(token_usage__input_tokens), "
        "sum(token_usage__output_tokens), sum(token_usage__cache_write_tokens), "
        "sum(token_usage__cache_read_tokens) from raw_cursor.usage_events"
    )[0]
    assert n == len(cursor)
    assert charged == sum(r.cost_usd for r in cursor) * 100
    assert inp == sum(r.input_tokens for r in cursor)
    assert out == sum(r.output_tokens for r in cursor)
    assert cw == sum(r.cache_write_5m_tokens + r.cache_write_1h_tokens for r in cursor)
    assert cr == sum(r.cache_read_tokens for r in cursor)
    by_day = env.query(
        "select event_date, count(*), max(day_total_events) from raw_cursor.usage_events group by 1"
    )
    assert all(count == total for _, count, total in by_day)

    # Cursor AI Code Tracking: every commit made in a Cursor session, with its repo and branch.
    expected_commits = {
        c["commitHash"]: (
            c["userEmail"], c["repoName"], c["branchName"],
            c["tabLinesAdded"] + c["composerLinesAdded"], c["totalLinesAdded"],
        )
        for c in ai_code_commits(world)
        if date.fromisoformat(c["commitTs"][:10]) in days
    }  # fmt: skip
    loaded_commits = env.query(
        "select commit_hash, user_email, repo_name, branch_name, "
        "tab_lines_added + composer_lines_added, total_lines_added from raw_cursor.ai_code_commits"
    )
    assert expected_commits
    assert {h: tuple(rest) for h, *rest in loaded_commits} == expected_commits
    assert len(loaded_commits) == len(expected_commits)

    # Claude Code report: tokens exact; estimated cost = per (person, day, model) cents rounded
    # to 1e-6 as the report states it.
    cc = _requests(world, "claude_code", days)
    inp, out, cread = env.query(
        "select sum(input_tokens), sum(output_tokens), sum(cache_read_tokens) "
        "from raw_anthropic.claude_code_usage"
    )[0]
    assert (inp, out, cread) == (
        sum(r.input_tokens for r in cc),
        sum(r.output_tokens for r in cc),
        sum(r.cache_read_tokens for r in cc),
    )
    expected_cost: dict[tuple[str, date, str], Decimal] = {}
    for s in world.sessions:
        if s.platform != "claude_code":
            continue
        for r in s.requests:
            key = (s.person_id, r.at.astimezone(UTC).date(), r.model)
            expected_cost[key] = expected_cost.get(key, Decimal(0)) + r.cost_usd
    cents = sum(
        ((v * 100).quantize(Decimal("0.000001")) for v in expected_cost.values()), Decimal(0)
    )
    (cost_cents,) = env.query(
        "select sum(estimated_cost_cents) from raw_anthropic.claude_code_usage"
    )[0]
    assert cost_cents == cents

    # Anthropic messages + cost report: everything billed through a known Anthropic key.
    keys = {k.api_key_id for k in world.api_keys if k.vendor == "anthropic"}
    billed = [
        r
        for s in world.sessions
        if s.platform in ("claude_code", "anthropic_api")
        for r in s.requests
        if r.api_key_id in keys and r.at.astimezone(UTC).date() in days
    ]
    out, cache_read = env.query(
        "select sum(output_tokens), sum(cache_read_input_tokens) from raw_anthropic.messages_usage"
    )[0]
    assert out == sum(r.output_tokens for r in billed)
    assert cache_read == sum(r.cache_read_tokens for r in billed)
    (usd, amount_text_sum) = env.query(
        "select sum(amount_usd), sum(cast(amount as decimal(38, 12))) "
        "from raw_anthropic.cost_report"
    )[0]
    assert usd == sum(r.cost_usd for r in billed)
    assert amount_text_sum == usd * 100

    # OpenAI: completions and costs for requests on known OpenAI keys.
    okeys = {k.api_key_id for k in world.api_keys if k.vendor == "openai"}
    oai = [r for r in _requests(world, "openai_api", days) if r.api_key_id in okeys]
    out, nreq = env.query(
        "select sum(output_tokens), sum(num_model_requests) from raw_openai.completions_usage"
    )[0]
    assert (out, nreq) == (sum(r.output_tokens for r in oai), len(oai))
    (usd,) = env.query("select sum(amount_usd) from raw_openai.costs")[0]
    assert usd == sum(r.cost_usd for r in oai)

    # Copilot: AI-credit dollars per day.
    cop = _requests(world, "copilot", days)
    (usd, credits) = env.query(
        "select sum(net_amount), sum(net_quantity) from raw_copilot.ai_credit_usage"
    )[0]
    assert usd == sum(r.cost_usd for r in cop)
    assert credits == sum(r.ai_credits for r in cop)
    people_days = {
        (s.person_id, r.at.astimezone(UTC).date())
        for s in world.sessions
        if s.platform == "copilot"
        for r in s.requests
        if r.at.astimezone(UTC).date() in days
    }
    (rows,) = env.query("select count(*) from raw_copilot.user_day_metrics")[0]
    assert rows == len(people_days)

    # GitHub: every PR updated in the window, with all nested rows (never truncated).
    since = datetime.combine(min(days), datetime.min.time(), UTC)
    until = datetime.combine(max(days) + timedelta(days=1), datetime.min.time(), UTC)
    prs = [
        pr
        for repo in world.repositories
        for pr in repo.pull_requests
        if since <= pr.updated_at < until
    ]
    counts = dict(
        env.query(
            "select 'prs', count(*) from raw_github.pull_requests union all "
            "select 'commits', count(*) from raw_github.pull_request_commits union all "
            "select 'reviews', count(*) from raw_github.pull_request_reviews union all "
            "select 'threads', count(*) from raw_github.pull_request_review_threads union all "
            "select 'labels', count(*) from raw_github.pull_request_labels union all "
            "select 'files', count(*) from raw_github.pull_request_files"
        )
    )
    assert counts == {
        "prs": len(prs),
        "commits": sum(len(pr.commits) for pr in prs),
        "reviews": sum(len(pr.reviews) for pr in prs),
        "threads": sum(len(pr.review_threads) for pr in prs),
        "labels": sum(len(pr.labels) for pr in prs),
        "files": sum(len(pr.files) for pr in prs),
    }
    mismatched = env.query(
        "select count(*) from raw_github.pull_requests p left join (select pull_request_id, "
        "count(*) n from raw_github.pull_request_timeline_events group by 1) t "
        "on t.pull_request_id = p.id where coalesce(t.n, 0) <> p.timeline_items_total_count"
    )[0][0]
    assert mismatched == 0
    oids = Counter(r[0] for r in env.query("select oid from raw_github.pull_request_commits"))
    assert set(oids) == {c.oid for pr in prs for c in pr.commits}

    _assert_raw_github_keeps_the_columns_dict_rows_created(env)

    # Git mirrors, with the pull-request refs.
    for repo in world.repositories:
        owner, name = repo.full_name.split("/")
        assert (env.home / "git" / owner / f"{name}.git" / "HEAD").exists()


# raw_github's columns as dlt's JSON normaliser created them from dict rows (read off a demo
# warehouse built before the source yielded Arrow tables): a load must neither add, drop nor
# retype a column of a table users already hold.
_T, _I, _B, _TS = "VARCHAR", "BIGINT", "BOOLEAN", "TIMESTAMP WITH TIME ZONE"
_PARENT = {"pull_request_id": (_T, "NO"), "repo": (_T, "YES"), "pr_number": (_I, "YES")}
_DLT = {"_dlt_load_id": (_T, "NO"), "_dlt_id": (_T, "NO")}
RAW_GITHUB_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "pull_requests": {
        "repo": (_T, "YES"), "id": (_T, "NO"), "number": (_I, "YES"), "url": (_T, "YES"),
        "title": (_T, "YES"), "state": (_T, "YES"), "is_draft": (_B, "YES"),
        "body": (_T, "YES"), "created_at": (_TS, "YES"), "updated_at": (_TS, "YES"),
        "published_at": (_TS, "YES"), "closed_at": (_TS, "YES"), "merged_at": (_TS, "YES"),
        "author_association": (_T, "YES"), "additions": (_I, "YES"), "deletions": (_I, "YES"),
        "changed_files": (_I, "YES"), "head_ref_name": (_T, "YES"),
        "head_ref_oid": (_T, "YES"), "base_ref_name": (_T, "YES"), "base_ref_oid": (_T, "YES"),
        "review_decision": (_T, "YES"), "author_login": (_T, "YES"),
        "author_type": (_T, "YES"), "author_database_id": (_I, "YES"),
        "merged_by_login": (_T, "YES"), "merge_commit_oid": (_T, "YES"),
        **{f"{c}_total_count": (_I, "YES") for c in ("comments", "commits", "reviews",
                                                     "review_threads", "files", "labels",
                                                     "timeline_items")},
        **_DLT,
    },
    "pull_request_commits": {
        **_PARENT, "position": (_I, "YES"), "oid": (_T, "NO"), "message": (_T, "YES"),
        "authored_date": (_TS, "YES"), "committed_date": (_TS, "YES"),
        "additions": (_I, "YES"), "deletions": (_I, "YES"), "author_name": (_T, "YES"),
        "author_email": (_T, "YES"), "author_date": (_TS, "YES"),
        "author_login": (_T, "YES"), "committer_name": (_T, "YES"),
        "committer_email": (_T, "YES"), "committer_date": (_TS, "YES"),
        "committer_login": (_T, "YES"), **_DLT,
    },
    "pull_request_reviews": {
        **_PARENT, "id": (_T, "NO"), "state": (_T, "YES"), "submitted_at": (_TS, "YES"),
        "author_login": (_T, "YES"), "author_type": (_T, "YES"), "commit_oid": (_T, "YES"),
        **_DLT,
    },
    "pull_request_review_threads": {
        **_PARENT, "id": (_T, "NO"), "is_resolved": (_B, "YES"), "is_outdated": (_B, "YES"),
        "path": (_T, "YES"), "line": (_I, "YES"), "comments_count": (_I, "YES"), **_DLT,
    },
    "pull_request_labels": {**_PARENT, "name": (_T, "NO"), **_DLT},
    "pull_request_files": {
        **_PARENT, "path": (_T, "NO"), "additions": (_I, "YES"), "deletions": (_I, "YES"),
        "change_type": (_T, "YES"), **_DLT,
    },
    "pull_request_timeline_events": {
        **_PARENT, "id": (_T, "NO"), "position": (_I, "YES"), "typename": (_T, "YES"),
        "created_at": (_TS, "YES"), "actor_login": (_T, "YES"), "commit_oid": (_T, "YES"),
        "requested_reviewer_type": (_T, "YES"), "requested_reviewer_login": (_T, "YES"),
        "will_close_target": (_B, "YES"), "source_type": (_T, "YES"),
        "source_number": (_I, "YES"), "source_title": (_T, "YES"), "source_url": (_T, "YES"),
        "source_head_ref_name": (_T, "YES"), "source_repo": (_T, "YES"), **_DLT,
    },
}  # fmt: skip


def _assert_raw_github_keeps_the_columns_dict_rows_created(env: Env) -> None:
    rows = env.query(
        "select table_name, column_name, data_type, is_nullable "
        "from information_schema.columns where table_schema = 'raw_github' "
        "and table_name not like '\\_dlt%' escape '\\'"
    )
    got: dict[str, dict[str, tuple[str, str]]] = {}
    for table, column, data_type, nullable in rows:
        got.setdefault(table, {})[column] = (data_type, nullable)
    assert got == RAW_GITHUB_COLUMNS
    # Every row of the Arrow loads carries dlt's row columns (NOT NULL in users' tables).
    assert env.query(
        "select count(distinct _dlt_id) = count(*), count(_dlt_load_id) = count(*) "
        "from raw_github.pull_request_commits"
    ) == [(True, True)]


def test_overflowing_nested_connections_are_completed(
    make_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With tiny nested pages every connection overflows; follow-ups must fetch the rest."""
    from orchestration.defs.ingest.github import queries

    monkeypatch.setattr(
        queries,
        "NESTED_FIRST",
        {"labels": 1, "commits": 1, "reviews": 1, "reviewThreads": 1, "files": 1,
         "timelineItems": 1},
    )  # fmt: skip
    env = make_env()
    env.run_ok(env.day(0), env.last_day)
    world = env.world
    prs = {(pr.repo, pr.number): pr for repo in world.repositories for pr in repo.pull_requests}
    loaded = env.query(
        "select p.repo, p.number, "
        "(select count(*) from raw_github.pull_request_commits c where c.pull_request_id = p.id), "
        "(select count(*) from raw_github.pull_request_reviews c where c.pull_request_id = p.id), "
        "(select count(*) from raw_github.pull_request_files c where c.pull_request_id = p.id), "
        "(select count(*) from raw_github.pull_request_labels c where c.pull_request_id = p.id), "
        "p.commits_total_count from raw_github.pull_requests p"
    )
    assert loaded
    for repo, number, commits, reviews, files, labels, total in loaded:
        pr = prs[(repo, number)]
        assert (commits, reviews, files, labels) == (
            len(pr.commits), len(pr.reviews), len(pr.files), len(pr.labels)
        )  # fmt: skip
        assert commits == total
    # Commit order is kept across follow-up pages.
    pr_key, oids = next(
        ((r, n), [c.oid for c in pr.commits])
        for (r, n), pr in prs.items()
        if len(pr.commits) > 2 and any(x[:2] == (r, n) for x in loaded)
    )
    got = [
        row[0]
        for row in env.query(
            "select c.oid from raw_github.pull_request_commits c join raw_github.pull_requests p "
            f"on p.id = c.pull_request_id where p.repo = '{pr_key[0]}' and p.number = {pr_key[1]} "
            "order by c.position"
        )
    ]
    assert got == oids
