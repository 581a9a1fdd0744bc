"""Every raw table equals the sandbox's truth for the days run (tiny profile)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sandbox.vendors.cursor import ai_code_commits
from tests.ingest.conftest import Env

pytestmark = pytest.mark.slow


def _sessions(world: Any) -> list[tuple[str, Any]]:
    """``(actor, session)`` for every session a vendor reports: the people's, and those of the
    usage nobody in the roster owns (the tiny world's service-account keys, Console usage, CI
    bot; ``world.unassigned``), whose actor is the usage stream."""
    return [(s.person_id, s) for s in world.sessions] + [
        (u.usage_id, s) for u in world.unassigned for s in u.sessions
    ]


def _requests(world: Any, platform: str, days: set[date]) -> list[Any]:
    return [
        r
        for _actor, s in _sessions(world)
        if s.platform == platform
        for r in s.requests
        if r.at.astimezone(UTC).date() in days
    ]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _tables_with_primary_and_merge_keys(env: Env) -> list[str]:
    """Raw tables whose stored dlt schema declares both a primary key and a merge key."""
    found = []
    datasets = env.query(
        "select schema_name from information_schema.schemata "
        "where schema_name like 'raw_%' and schema_name not like '%_staging'"
    )
    for (dataset,) in datasets:
        ((stored,),) = env.query(
            f"select schema from {dataset}._dlt_version order by inserted_at desc limit 1"
        )
        for table, spec in json.loads(stored)["tables"].items():
            hints = spec.get("columns", {}).values()
            if any(c.get("primary_key") for c in hints) and any(c.get("merge_key") for c in hints):
                found.append(f"{dataset}.{table}")
    return found


def test_all_sources_load_and_match_truth(make_env: Any) -> None:
    env = make_env()
    dlt_warnings = _Records()  # dlt's logger does not propagate to pytest's handler
    logging.getLogger("dlt").addHandler(dlt_warnings)
    try:
        env.run_ok(env.day(0), env.last_day)
    finally:
        logging.getLogger("dlt").removeHandler(dlt_warnings)
    # An Arrow table whose types or keys disagree with its resource's hints makes dlt warn
    # (and leaves the destination to coerce): every source's Arrow schema must match.
    assert not [m for m in dlt_warnings.messages if "when merging arrow schema" in m]
    # No table merges on a primary key and a merge key at once: dlt would delete with an OR of
    # both, which compares every stored row with every loaded one (common.replaced_per).
    assert _tables_with_primary_and_merge_keys(env) == []
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
    for actor, s in _sessions(world):
        if s.platform != "claude_code":
            continue
        for r in s.requests:
            key = (actor, r.at.astimezone(UTC).date(), r.model)
            expected_cost[key] = expected_cost.get(key, Decimal(0)) + r.cost_usd
    cents = sum(
        ((v * 100).quantize(Decimal("0.000001")) for v in expected_cost.values()), Decimal(0)
    )
    (cost_cents,) = env.query(
        "select sum(estimated_cost_cents) from raw_anthropic.claude_code_usage"
    )[0]
    assert cost_cents == cents

    # Anthropic messages + cost report: everything billed through a known Anthropic key, and
    # every request nobody owns (Console usage has no key; the reports bill it all the same).
    keys = {k.api_key_id for k in world.api_keys if k.vendor == "anthropic"}
    unowned = {u.usage_id for u in world.unassigned}
    billed = [
        r
        for actor, s in _sessions(world)
        if s.platform in ("claude_code", "anthropic_api")
        for r in s.requests
        if (r.api_key_id in keys or actor in unowned) and r.at.astimezone(UTC).date() in days
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

    # OpenAI: completions and costs for requests on known OpenAI keys, and every request nobody
    # owns (Playground usage and rows the report cannot break down have no key).
    okeys = {k.api_key_id for k in world.api_keys if k.vendor == "openai"}
    oai = [
        r
        for actor, s in _sessions(world)
        if s.platform == "openai_api"
        for r in s.requests
        if (r.api_key_id in okeys or actor in unowned) and r.at.astimezone(UTC).date() in days
    ]
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
    # The tiny world's token may not read the seat list (sandbox.reality
    # copilot_seats_forbidden): no seats table, and the run says the product is not available.
    copilot_tables = {
        t
        for (t,) in env.query(
            "select table_name from information_schema.tables where table_schema = 'raw_copilot'"
        )
    }
    seats_answer = world.reality.seats_status == 200
    assert ("seats" in copilot_tables) == seats_answer
    if not seats_answer:
        assert env.query(
            "select distinct status from raw_tokenworth.source_runs "
            "where source = 'copilot' and product = 'seats'"
        ) == [("not_available",)]

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

    for schema, expected in RAW_COLUMNS.items():
        if schema == "raw_copilot" and not seats_answer:
            expected = {t: c for t, c in expected.items() if t != "seats"}
        _assert_keeps_the_columns_dict_rows_created(env, schema, expected)

    # Git mirrors, with the pull-request refs.
    for repo in world.repositories:
        owner, name = repo.full_name.split("/")
        assert (env.home / "git" / owner / f"{name}.git" / "HEAD").exists()


# The raw tables of the sources that yield Arrow, as dlt's JSON normaliser created them from
# dict rows (read off warehouses built before the sources yielded Arrow tables): a load must
# neither add, drop nor retype a column of a table users already hold.
_T, _I, _B, _TS = "VARCHAR", "BIGINT", "BOOLEAN", "TIMESTAMP WITH TIME ZONE"
_D, _J, _USD, _DEC = "DATE", "JSON", "DECIMAL(38,12)", "DECIMAL(38,9)"
_PARENT = {"pull_request_id": (_T, "NO"), "repo": (_T, "YES"), "pr_number": (_I, "YES")}
_DLT = {"_dlt_load_id": (_T, "NO"), "_dlt_id": (_T, "NO")}
# The archived (day-keyed) tables add the load that wrote each row (nullable: rows stored
# before the archive have none); orchestration/defs/ingest/archive.py.
_ARCHIVED = {**_DLT, "_tokenworth_load_id": (_T, "YES")}
RAW_GITHUB_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "pull_requests": {
        "repo": (_T, "YES"), "repository_id": (_T, "YES"), "id": (_T, "NO"),
        "number": (_I, "YES"), "url": (_T, "YES"), "title": (_T, "YES"),
        "state": (_T, "YES"), "is_draft": (_B, "YES"),
        "body": (_T, "YES"), "created_at": (_TS, "YES"), "updated_at": (_TS, "YES"),
        "published_at": (_TS, "YES"), "closed_at": (_TS, "YES"), "merged_at": (_TS, "YES"),
        "author_association": (_T, "YES"), "additions": (_I, "YES"), "deletions": (_I, "YES"),
        "changed_files": (_I, "YES"), "head_ref_name": (_T, "YES"),
        "head_ref_oid": (_T, "YES"), "base_ref_name": (_T, "YES"), "base_ref_oid": (_T, "YES"),
        "review_decision": (_T, "YES"), "author_login": (_T, "YES"),
        "author_type": (_T, "YES"), "author_database_id": (_I, "YES"),
        "merged_by_login": (_T, "YES"), "merge_commit_oid": (_T, "YES"),
        "is_cross_repository": (_B, "YES"), "head_repository": (_T, "YES"),
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


_ACTOR = {
    "actor_email_address": (_T, "YES"),
    "actor_api_key_name": (_T, "YES"),
    "subscription_type": (_T, "YES"),
    "terminal_type": (_T, "YES"),
    "customer_type": (_T, "YES"),
    "organization_id": (_T, "YES"),
    "is_remote": (_B, "YES"),
    "usage_date": (_D, "NO"),
    "actor_type": (_T, "NO"),
    "actor_key": (_T, "NO"),
    "remote": (_B, "NO"),
}
_BUCKET = {"row_key": (_T, "NO"), "bucket_start": (_TS, "YES"), "bucket_date": (_D, "NO")}
RAW_ANTHROPIC_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "api_keys": {
        "id": (_T, "NO"), "type": (_T, "YES"), "name": (_T, "YES"),
        "workspace_id": (_T, "YES"), "created_at": (_TS, "YES"),
        "partial_key_hint": (_T, "YES"), "status": (_T, "YES"), "created_by__id": (_T, "YES"),
        "created_by__type": (_T, "YES"), **_DLT,
    },
    "claude_code_actor_days": {
        **_ACTOR, "tool_actions": (_J, "YES"), "model_breakdown": (_J, "YES"),
        "num_sessions": (_I, "YES"), "lines_added": (_I, "YES"), "lines_removed": (_I, "YES"),
        "commits_by_claude_code": (_I, "YES"), "pull_requests_by_claude_code": (_I, "YES"),
        **_ARCHIVED,
    },
    "claude_code_usage": {
        **_ACTOR, "estimated_cost_usd": (_USD, "YES"), "core_metrics": (_J, "YES"),
        "tool_actions": (_J, "YES"), "model": (_T, "NO"), "input_tokens": (_I, "YES"),
        "output_tokens": (_I, "YES"), "cache_read_tokens": (_I, "YES"),
        "cache_creation_tokens": (_I, "YES"), "estimated_cost_cents": (_DEC, "YES"),
        "estimated_cost_currency": (_T, "YES"), **_ARCHIVED,
    },
    "cost_report": {
        **{c: (_T, "YES") for c in ("workspace_id", "description", "model", "token_type",
                                    "cost_type", "service_tier", "context_window",
                                    "inference_geo", "amount", "currency")},
        "amount_usd": (_USD, "YES"), **_BUCKET, "bucket_end": (_TS, "YES"), **_ARCHIVED,
    },
    "messages_usage": {
        **{c: (_T, "YES") for c in ("api_key_id", "model", "workspace_id", "account_id",
                                    "service_tier", "service_account_id", "context_window",
                                    "inference_geo")},
        **{c: (_I, "YES") for c in ("cache_creation__ephemeral_5m_input_tokens",
                                    "cache_creation__ephemeral_1h_input_tokens",
                                    "cache_read_input_tokens",
                                    "server_tool_use__web_search_requests",
                                    "uncached_input_tokens", "output_tokens")},
        **_BUCKET, "bucket_end": (_TS, "YES"), **_ARCHIVED,
    },
    "users": {
        "id": (_T, "NO"), "type": (_T, "YES"), "email": (_T, "YES"), "name": (_T, "YES"),
        "role": (_T, "YES"), "added_at": (_TS, "YES"), **_DLT,
    },
}  # fmt: skip
_BUCKET_SECONDS = {"start_time": (_I, "YES"), "end_time": (_I, "YES"), "object": (_T, "YES")}
RAW_OPENAI_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "completions_usage": {
        **_BUCKET, **_BUCKET_SECONDS,
        **{c: (_T, "YES") for c in ("user_id", "api_key_id", "model", "project_id",
                                    "service_tier")},
        "batch": (_B, "YES"),
        **{c: (_I, "YES") for c in (
            "input_tokens", "output_tokens", "input_cached_tokens", "input_cache_write_tokens",
            "input_uncached_tokens", "input_text_tokens", "output_text_tokens",
            "input_cached_text_tokens", "input_audio_tokens", "input_cached_audio_tokens",
            "output_audio_tokens", "input_image_tokens", "input_cached_image_tokens",
            "output_image_tokens", "num_model_requests")},
        **_ARCHIVED,
    },
    "costs": {
        **_BUCKET, **_BUCKET_SECONDS,
        **{c: (_T, "YES") for c in ("line_item", "project_id", "api_key_id", "quantity_unit",
                                    "amount_currency")},
        "quantity": (_USD, "YES"), "amount_usd": (_USD, "YES"), **_ARCHIVED,
    },
    "users": {
        "object": (_T, "YES"), "id": (_T, "NO"), "name": (_T, "YES"), "email": (_T, "YES"),
        "role": (_T, "YES"), "added_at": (_I, "YES"), **_DLT,
    },
}  # fmt: skip
RAW_COPILOT_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "ai_credit_usage": {
        "row_key": (_T, "NO"), "usage_date": (_D, "NO"),
        **{c: (_T, "YES") for c in ("product", "sku", "model", "unit_type")},
        **{c: (_USD, "YES") for c in ("gross_amount", "net_amount", "discount_amount",
                                      "price_per_unit")},
        "gross_quantity": (_DEC, "YES"), "discount_quantity": (_I, "YES"),
        "net_quantity": (_DEC, "YES"), **_ARCHIVED,
    },
    "seats": {
        "pending_cancellation_date": (_T, "YES"), "last_activity_editor": (_T, "YES"),
        "plan_type": (_T, "YES"), "last_activity_at": (_TS, "YES"),
        "assigning_team": (_J, "YES"), "organization": (_J, "YES"),
        "snapshot_date": (_D, "NO"), "assignee_key": (_T, "NO"), "assignee_login": (_T, "YES"),
        "total_seats": (_I, "YES"), "created_at": (_TS, "YES"), "updated_at": (_TS, "YES"),
        **{f"assignee__{c}": (_T, "YES") for c in (
            "login", "node_id", "avatar_url", "gravatar_id", "url", "html_url",
            "followers_url", "following_url", "gists_url", "starred_url", "subscriptions_url",
            "organizations_url", "repos_url", "events_url", "received_events_url", "type")},
        "assignee__id": (_I, "YES"), "assignee__site_admin": (_B, "YES"), **_ARCHIVED,
    },
    "user_day_metrics": {
        "day": (_D, "NO"), "user_id": (_I, "NO"), "user_login": (_T, "YES"),
        "organization_id": (_T, "YES"), "enterprise_id": (_T, "YES"),
        "ai_credits_used": (_USD, "YES"),
        **{c: (_J, "YES") for c in (
            "totals_by_ide", "totals_by_feature", "totals_by_language_feature",
            "totals_by_language_model", "totals_by_model_feature", "totals_by_cli",
            "ai_adoption_phase")},
        **{c: (_I, "YES") for c in (
            "code_generation_activity_count", "code_acceptance_activity_count",
            "loc_suggested_to_add_sum", "loc_suggested_to_delete_sum", "loc_added_sum",
            "loc_deleted_sum", "user_initiated_interaction_count", "entity_id_partition")},
        **{f"used_{c}": (_B, "YES") for c in (
            "agent", "chat", "cli", "copilot_code_review_active",
            "copilot_code_review_passive")},
        "etl_id": (_T, "YES"), "day_partition": (_T, "YES"), **_ARCHIVED,
    },
}  # fmt: skip
RAW_COLUMNS = {
    "raw_github": RAW_GITHUB_COLUMNS,
    "raw_anthropic": RAW_ANTHROPIC_COLUMNS,
    "raw_openai": RAW_OPENAI_COLUMNS,
    "raw_copilot": RAW_COPILOT_COLUMNS,
}


def _assert_keeps_the_columns_dict_rows_created(
    env: Env, schema: str, expected: dict[str, dict[str, tuple[str, str]]]
) -> None:
    rows = env.query(
        "select table_name, column_name, data_type, is_nullable "
        f"from information_schema.columns where table_schema = '{schema}' "
        "and table_name not like '\\_dlt%' escape '\\'"
    )
    got: dict[str, dict[str, tuple[str, str]]] = {}
    for table, column, data_type, nullable in rows:
        got.setdefault(table, {})[column] = (data_type, nullable)
    assert got == expected, schema
    # Every row of the Arrow loads carries dlt's row columns (NOT NULL in users' tables).
    for table in expected:
        assert env.query(
            "select count(distinct _dlt_id) = count(*), count(_dlt_load_id) = count(*) "
            f'from {schema}."{table}"'
        ) == [(True, True)], f"{schema}.{table}"


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
