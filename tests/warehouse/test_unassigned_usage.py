"""Usage that belongs to nobody in the roster (issue 22 §2) against the sandbox's truth.

The tiny world with its four cases of unassigned usage on (``UNASSIGNED_CASES``: service-account,
keyless, ungrouped and orphaned-key usage at OpenAI and Anthropic; a Claude Code API actor; a
removed Cursor member; a Copilot user who left) builds whole — every model, every dbt test — and
every such row lands in the facts under the owner the truth states, its cost conserved to the
cent, counted by kind in data quality, and never a person or a team in a team mart.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from tests.warehouse.fixtures import Warehouse
from tests.warehouse.fixtures import unassigned_owner as owner

pytestmark = pytest.mark.slow

CENT = Decimal("0.01")
# Buckets of a team mart that are not roster teams (macro team_bucket).
NOT_TEAMS = {"suppressed", "unknown", "no team", "unassigned"}
# Token types as every vendor reports them (the Claude Code report does not split cache writes by
# TTL: they are 5-minute writes in the warehouse, so writes are compared summed). Copilot reports
# tokens for its CLI only: its usage is AI credits.
TOKENS = ("input_tokens", "cache_write_tokens", "cache_read_tokens", "output_tokens")
TOKEN_SQL = (
    "input_tokens, cache_write_5m_tokens + cache_write_1h_tokens, cache_read_tokens, output_tokens"
)


def by_owner(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    owners = {owner(u): u for u in truth["unassigned_usage"]}
    assert len(owners) == len(truth["unassigned_usage"]), "one owner per truth usage stream"
    return owners


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def test_the_whole_project_builds_and_every_mart_has_rows(
    unassigned_warehouse: Warehouse,
) -> None:
    # The fixture's `dbt build` ran every model and every test (a not_null on person_id stopped
    # it before issue 22): here, every mart the project defines exists and has rows.
    marts = [
        name
        for (name,) in unassigned_warehouse.query(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    ]
    assert len(marts) >= 10
    empty = [m for m in marts if not unassigned_warehouse.query(f"select 1 from marts.{m} limit 1")]
    assert empty == []


def test_cost_is_conserved_to_the_cent_against_the_truth(
    unassigned_warehouse: Warehouse,
) -> None:
    truth = unassigned_warehouse.truth["totals"]
    assert Decimal(truth["unassigned_cost_usd"]) > 0
    ((usage, unpriced, sessions, spend),) = unassigned_warehouse.query(
        "select (select sum(cost_usd) from core.fct_ai_usage), "
        "(select count(*) from core.fct_ai_usage where cost_usd is null), "
        "(select sum(cost_usd) from core.fct_ai_sessions), "
        "(select sum(spend_usd) from core.fct_session_spend)"
    )
    assert unpriced == 0, "every row is priced (list price or the vendor's own cost)"
    assert cents(usage) == cents(Decimal(truth["cost_usd"]))
    assert usage == sessions == spend
    by_platform = dict(
        unassigned_warehouse.query(
            "select platform, sum(cost_usd) from core.fct_ai_usage group by platform"
        )
    )
    assert {p: cents(c) for p, c in by_platform.items()} == {
        p: cents(Decimal(c)) for p, c in truth["cost_usd_by_platform"].items()
    }
    ((people,),) = unassigned_warehouse.query(
        "select sum(u.cost_usd) from core.fct_ai_usage u join core.dim_people p using (person_id) "
        "where p.is_person"
    )
    assert cents(people) == cents(Decimal(truth["people_cost_usd"]))


def test_each_unassigned_row_has_the_truths_owner(unassigned_warehouse: Warehouse) -> None:
    expected = by_owner(unassigned_warehouse.truth)
    rows = unassigned_warehouse.query(
        f"select person_id, usage_date, cost_usd, ai_credits, {TOKEN_SQL} from core.fct_ai_usage "
        "where person_id like 'unassigned:%'"
    )
    cost: dict[str, Decimal] = defaultdict(Decimal)
    by_day: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    tokens: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    credits: dict[str, Decimal] = defaultdict(Decimal)
    for person_id, day, usd, ai_credits, *counts in rows:
        cost[person_id] += usd
        by_day[person_id][day.isoformat()] += usd
        credits[person_id] += ai_credits or 0
        for column, count in zip(TOKENS, counts, strict=True):
            tokens[person_id][column] += count
    assert set(cost) == set(expected)
    for name, usage in expected.items():
        assert cents(cost[name]) == cents(Decimal(usage["cost_usd"])), name
        assert {d: cents(v) for d, v in by_day[name].items()} == {
            d: cents(Decimal(v)) for d, v in usage["cost_usd_by_day"].items()
        }, name
        if usage["platform"] == "copilot":
            assert credits[name] == Decimal(usage["ai_credits"]), name
            continue
        assert dict(tokens[name]) == {
            "input_tokens": usage["input_tokens"],
            "cache_write_tokens": usage["cache_write_5m_tokens"] + usage["cache_write_1h_tokens"],
            "cache_read_tokens": usage["cache_read_tokens"],
            "output_tokens": usage["output_tokens"],
        }, name
    # And dim_people says what each owner is: not a person, no team, the truth's kind.
    owners = {
        person_id: (is_person, is_resolved, team, kind, platform)
        for person_id, is_person, is_resolved, team, kind, platform in unassigned_warehouse.query(
            "select person_id, is_person, is_resolved, team, unassigned_kind, owner_platform "
            "from core.dim_people where not is_person"
        )
    }
    assert owners == {
        name: (False, False, None, usage["kind"], usage["platform"])
        for name, usage in expected.items()
    }


def test_usage_without_a_model_is_priced_from_the_vendors_cost_report(
    unassigned_warehouse: Warehouse,
) -> None:
    # OpenAI's ungrouped usage reports no model: it has no list price, so its cost is what the
    # costs report bills for it (line items without a model), day by day as the truth says.
    (ungrouped,) = [
        u for u in unassigned_warehouse.truth["unassigned_usage"] if u["kind"] == "ungrouped"
    ]
    rows = unassigned_warehouse.query(
        "select usage_date, model, is_unpriced_model, list_cost_usd, vendor_cost_usd, cost_usd "
        "from core.fct_ai_usage where person_id = ?",
        [owner(ungrouped)],
    )
    assert rows
    assert {(m, unpriced, lc) for _, m, unpriced, lc, _, _ in rows} == {
        ("(unreported)", True, None)
    }
    assert all(vc is not None and vc == c for *_, vc, c in rows)
    by_day: dict[str, Decimal] = defaultdict(Decimal)
    for day, *_, usd in rows:
        by_day[day.isoformat()] += usd
    assert {d: cents(v) for d, v in by_day.items()} == {
        d: cents(Decimal(v)) for d, v in ungrouped["cost_usd_by_day"].items()
    }
    names = {
        names
        for (names,) in unassigned_warehouse.query(
            "select unpriced_model_names from marts.mart_data_quality "
            "where source_name = 'openai_api' and unpriced_model_count > 0"
        )
    }
    assert names == {"(unreported)"}


def test_data_quality_counts_unassigned_usage_by_kind(unassigned_warehouse: Warehouse) -> None:
    truth = unassigned_warehouse.truth
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for usage in truth["unassigned_usage"]:
        kinds[usage["kind"]].append(usage)
    columns = [
        f"sum(unassigned_{kind}_count), sum(unassigned_{kind}_spend_usd)" for kind in sorted(kinds)
    ]
    (row,) = unassigned_warehouse.query(
        f"select {', '.join(columns)}, sum(unassigned_spend_usd) from marts.mart_data_quality"
    )
    counts = dict(zip(sorted(kinds), row[0:-1:2], strict=True))
    spend = dict(zip(sorted(kinds), row[1:-1:2], strict=True))
    for kind, streams in kinds.items():
        assert cents(spend[kind]) == cents(sum(Decimal(u["cost_usd"]) for u in streams)), kind
    assert cents(row[-1]) == cents(Decimal(truth["totals"]["unassigned_cost_usd"]))
    # Sessions: a user-day per day of usage (Claude Code, Copilot); Cursor's are requests, so
    # its sessions are the truth's; the API sources' hourly buckets merge bursts, so theirs are
    # the owners' sessions in fct_ai_sessions.
    days = {kind: sum(len(u["cost_usd_by_day"]) for u in kinds[kind]) for kind in kinds}
    assert counts["api_actor"] == days["api_actor"]
    assert counts["departed_user"] == days["departed_user"]
    assert counts["removed_member"] == sum(u["sessions"] for u in kinds["removed_member"])
    sessions = dict(
        unassigned_warehouse.query(
            "select p.unassigned_kind, count(*) from core.fct_ai_sessions s "
            "join core.dim_people p using (person_id) where not p.is_person group by 1"
        )
    )
    assert counts == sessions
    # Shares: each row's unassigned share is its unassigned spend over its spend; and owners
    # are not unresolved people (unresolved counts only people).
    bad = unassigned_warehouse.query(
        "select source_name, activity_date from marts.mart_data_quality "
        "where spend_usd > 0 and unassigned_spend_share != "
        "cast(unassigned_spend_usd / spend_usd as decimal(18, 6))"
    )
    assert bad == []
    ((unresolved, people_sessions),) = unassigned_warehouse.query(
        "select (select sum(unresolved_identity_count) from marts.mart_data_quality "
        "where source_name not in ('github', 'git')), "
        "(select count(*) from core.fct_ai_sessions s join core.dim_people p using (person_id) "
        "where p.is_person and not p.is_resolved)"
    )
    assert unresolved == people_sessions


def test_unassigned_spend_is_unattributed_and_classified_by_its_output(
    unassigned_warehouse: Warehouse,
) -> None:
    rows = unassigned_warehouse.query(
        """
        select f.is_attributed, f.spend_class,
               coalesce(s.lines_added, 0) > 0 or coalesce(s.edits_accepted, 0) > 0,
               f.session_date, a.as_of_date
        from core.fct_session_spend f
        join core.fct_ai_sessions s using (session_id)
        join core.dim_people p on f.person_id = p.person_id
        cross join core.dim_as_of_dates a
        where not p.is_person
        """
    )
    assert rows
    for attributed, spend_class, produced_code, day, as_of in rows:
        assert not attributed
        if not produced_code:
            assert spend_class == "exploratory"
        else:
            horizon_passed = (as_of - day).days >= 14
            assert spend_class == ("abandoned" if horizon_passed else "pending")


def test_no_owner_is_a_person_or_a_team_in_any_team_mart(
    unassigned_warehouse: Warehouse,
) -> None:
    wh = unassigned_warehouse
    teams = {p["team"] for p in wh.truth["people"]}
    spend = {
        team: (usd, people)
        for team, usd, people in wh.query(
            "select team, sum(total_spend_usd), max(people_count) "
            "from marts.mart_spend_classification group by team"
        )
    }
    assert set(spend) <= teams | NOT_TEAMS
    # All of it in one bucket that names no owner, never suppressed, counting no people.
    assert cents(spend["unassigned"][0]) == cents(
        Decimal(wh.truth["totals"]["unassigned_cost_usd"])
    )
    assert spend["unassigned"][1] == 0
    cache = wh.query(
        "select team, is_suppressed, active_people, cost_usd from marts.mart_cache_efficiency"
    )
    assert {t for t, *_ in cache} <= teams | NOT_TEAMS
    unassigned = [(s, n, c) for t, s, n, c in cache if t == "unassigned"]
    assert unassigned and all(not s and n == 0 for s, n, _ in unassigned)
    assert cents(sum(c for *_, c in unassigned)) == cents(
        Decimal(wh.truth["totals"]["unassigned_cost_usd"])
    )
    owners = {p for (p,) in wh.query("select person_id from core.dim_people where not is_person")}
    person_weeks = {
        p
        for (p,) in wh.query(
            "select person_id from restricted.mart_consumption_anomalies_person_weeks"
        )
    }
    assert owners and not (owners & person_weeks)
    anomaly_teams = {t for (t,) in wh.query("select team from marts.mart_consumption_anomalies")}
    assert anomaly_teams <= teams | (NOT_TEAMS - {"unassigned"})
    assert {t for (t,) in wh.query("select team from core.dim_teams")} == teams
    # Every text column of every mart: no owner id, key, email or login leaks into a mart.
    for table, column in wh.query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts' and data_type = 'VARCHAR'"
    ):
        leaked = wh.query(
            f"select count(*) from marts.{table} where {column} like 'unassigned:%' "
            f"or {column} in (select person_id from core.dim_people where not is_person)"
        )
        assert leaked == [(0,)], (table, column)
