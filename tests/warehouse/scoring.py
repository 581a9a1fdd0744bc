"""Scoring the warehouse against the sandbox's truth: attribution, classification, marts.

docs/metrics.md "How accuracy is scored": scores are taken at the grain the data has, on a warehouse
whose roster lists every person's vendor addresses (``roster_warehouse``), as a deployment that
keeps its roster would; the unresolved share is reported on its own.

Warehouse sessions are coarser than the truth's for user-day sources (Claude Code, Copilot), so
each warehouse session gets the truth's *distribution* (of PRs, of intents) over the truth
sessions it contains, and agreement is the overlap of two distributions, cost-weighted. Spend
classes are the exception: a user-day is one record of the vendor, so its true class is the
cost-weighted majority of its truth sessions' intents (``per_user_day_majority``); burst sessions
keep the distribution of the truth sessions they contain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.warehouse.fixtures import Warehouse

CLASSES = ("productive", "exploratory", "retry", "abandoned", "rework", "pending")
ONE_SECOND = timedelta(seconds=1)
MARTS = (
    "mart_platform_efficiency",
    "mart_platform_work_type_efficiency",
    "mart_rework_adjusted_cost",
    "mart_spend_classification",
    "mart_review_drag",
    "mart_repo_context_cost",
    "mart_data_quality",
)


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def map_truth_sessions(
    wh: Warehouse,
) -> tuple[dict[str, str], list[str], dict[str, Decimal]]:
    """Truth session id -> warehouse session id (same person and platform, start inside).

    Returns the mapping, the truth sessions that map to no warehouse session (unresolved
    identities), and the warehouse sessions' costs.
    """
    rows = wh.query(
        "select session_id, person_id, platform, started_at, ended_at, cost_usd "
        "from core.fct_ai_sessions"
    )
    by_key: dict[tuple[str, str], list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for session_id, person_id, platform, started, ended, _ in rows:
        by_key[(person_id, platform)].append((started, ended, session_id))
    mapped: dict[str, str] = {}
    unmapped: list[str] = []
    for t in wh.truth["sessions"]:
        start = _ts(t["started_at"])
        # Truth times are whole seconds; vendor times may carry milliseconds.
        hits = [
            sid
            for (a, b, sid) in by_key[(t["person_id"], t["platform"])]
            if a - ONE_SECOND <= start <= b
        ]
        if len(hits) == 1:
            mapped[t["session_id"]] = hits[0]
        else:
            unmapped.append(t["session_id"])
    costs = {sid: Decimal(cost or 0) for (sid, _, _, _, _, cost) in rows}
    return mapped, unmapped, costs


def truth_distribution(
    wh: Warehouse, mapped: dict[str, str], key: Callable[[dict[str, Any]], Any]
) -> dict[str, dict[Any, Decimal]]:
    """Per warehouse session: the cost share of each ``key`` value among its truth sessions."""
    sums: dict[str, dict[Any, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for t in wh.truth["sessions"]:
        if t["session_id"] in mapped:
            sums[mapped[t["session_id"]]][key(t)] += Decimal(t["cost_usd"])
    out: dict[str, dict[Any, Decimal]] = {}
    for sid, parts in sums.items():
        total = sum(parts.values())
        out[sid] = {k: (v / total if total else Decimal(0)) for k, v in parts.items()}
    return out


@dataclass
class AttributionScore:
    precision_by_method: dict[str, Decimal]
    attributed_usd_by_method: dict[str, Decimal]
    accuracy: Decimal
    unmapped_truth_sessions: int


def score_attribution(wh: Warehouse) -> AttributionScore:
    """Cost-weighted precision per method and overall accuracy (unattributed share included)."""
    mapped, unmapped, costs = map_truth_sessions(wh)
    truth = truth_distribution(wh, mapped, lambda t: t["pr"])
    links = wh.query(
        "select session_id, pull_request_key, attribution_method, weight "
        "from core.fct_session_pr_links"
    )
    weights: dict[str, dict[Any, Decimal]] = defaultdict(dict)
    right: dict[str, Decimal] = defaultdict(Decimal)
    attributed: dict[str, Decimal] = defaultdict(Decimal)
    for sid, pr, method, weight in links:
        weights[sid][pr] = Decimal(weight)
        if sid in truth:
            right[method] += costs[sid] * min(Decimal(weight), truth[sid].get(pr, Decimal(0)))
            attributed[method] += costs[sid] * Decimal(weight)
    correct = total = Decimal(0)
    for sid, cost in costs.items():
        if sid not in truth:
            continue
        predicted = dict(weights.get(sid, {}))
        predicted[None] = 1 - sum(predicted.values())
        correct += cost * sum(min(v, truth[sid].get(k, Decimal(0))) for k, v in predicted.items())
        total += cost
    return AttributionScore(
        precision_by_method={m: right[m] / attributed[m] for m in attributed if attributed[m]},
        attributed_usd_by_method=dict(attributed),
        accuracy=correct / total if total else Decimal(0),
        unmapped_truth_sessions=len(unmapped),
    )


def per_user_day_majority(
    wh: Warehouse, truth: dict[str, dict[Any, Decimal]]
) -> dict[str, dict[Any, Decimal]]:
    """``truth`` with each user-day session's distribution replaced by its majority class.

    A user-day's true class is the cost-weighted majority of the intents of the truth sessions it
    holds (ties: the class listed first in ``CLASSES``): the vendor reports one record for the
    day, so no warehouse can split it by intent (docs/metrics.md "How accuracy is scored").
    """
    user_days = {
        sid
        for (sid,) in wh.query(
            "select session_id from core.fct_ai_sessions where session_grain = 'user_day'"
        )
    }
    out = dict(truth)
    for sid in user_days & truth.keys():
        shares = truth[sid]
        majority = min(shares, key=lambda k: (-shares[k], CLASSES.index(k)))
        out[sid] = {majority: Decimal(1)}
    return out


def classification_confusion(
    wh: Warehouse, only: set[str] | None = None
) -> dict[tuple[str, str], Decimal]:
    """Dollars by (truth intent, warehouse class), at the grain the data has, over every
    warehouse session or ``only`` those (session ids: the request-grain sessions of agent
    telemetry, say).

    Per warehouse session, the overlap of the truth's intent distribution (one class for a
    user-day: ``per_user_day_majority``) and the warehouse's class distribution is the diagonal;
    the rest of each side is spread over the other's off-diagonal classes in proportion (the
    usual decomposition of two distributions).
    """
    mapped, _, costs = map_truth_sessions(wh)
    truth = per_user_day_majority(wh, truth_distribution(wh, mapped, lambda t: t["intent"]))
    predicted: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for sid, cls, usd in wh.query(
        "select session_id, spend_class, spend_usd from core.fct_session_spend"
    ):
        predicted[sid][cls] += Decimal(usd or 0)
    confusion = {(a, b): Decimal(0) for a in CLASSES for b in CLASSES}
    for sid, cost in costs.items():
        if sid not in truth or not cost or (only is not None and sid not in only):
            continue
        p = {k: v / cost for k, v in predicted[sid].items()}
        t = truth[sid]
        rest_t: dict[str, Decimal] = {}
        rest_p: dict[str, Decimal] = {}
        for k in CLASSES:
            both = min(t.get(k, Decimal(0)), p.get(k, Decimal(0)))
            confusion[(k, k)] += cost * both
            rest_t[k] = t.get(k, Decimal(0)) - both
            rest_p[k] = p.get(k, Decimal(0)) - both
        spread = sum(rest_p.values())
        if spread > 0:
            for a in CLASSES:
                for b in CLASSES:
                    if a != b and rest_t[a] > 0 and rest_p[b] > 0:
                        confusion[(a, b)] += cost * rest_t[a] * rest_p[b] / spread
    return confusion


def confusion_table(confusion: dict[tuple[str, str], Decimal]) -> str:
    """The confusion table as text (rows: truth intent; columns: warehouse class; USD)."""
    header = "truth \\ warehouse " + " ".join(f"{c[:11]:>11}" for c in CLASSES)
    lines = [header + "       total  recall"]
    for a in CLASSES:
        row = [confusion[(a, b)] for b in CLASSES]
        total = sum(row)
        recall = f"{confusion[(a, a)] / total:7.1%}" if total else "    n/a"
        lines.append(
            f"{a:>18} "
            + " ".join(f"{float(v):11.4f}" for v in row)
            + f" {float(total):11.4f} {recall}"
        )
    return "\n".join(lines)


def marts_snapshot(wh: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """Every outcome-side mart's rows, sorted: equal snapshots mean identical marts."""
    return {m: sorted(wh.query(f"select * from marts.{m}"), key=repr) for m in MARTS}


def truth_accepted_outcomes_by_platform(truth: dict[str, Any]) -> dict[str, Decimal]:
    """Accepted PRs of the truth per platform, each split by the platforms' cost shares.

    docs/metrics.md: accepted = merged and not reverted within ``revert_window_days`` (14); a PR is
    one outcome, split across the platforms whose sessions built it by their share of its AI
    cost. Here the sessions are the truth's own (``session.pr``), not the warehouse's links.
    """
    merged = {f"{p['repo']}#{p['number']}": p["merged_at"] for p in truth["pull_requests"]}
    reverted_at: dict[str, datetime] = {}
    for p in truth["pull_requests"]:
        if p["reverts"] and p["merged_at"]:
            at = _ts(p["merged_at"])
            reverted_at[p["reverts"]] = min(at, reverted_at.get(p["reverts"], at))
    accepted = {
        key
        for key, at in merged.items()
        if at and (key not in reverted_at or reverted_at[key] > _ts(at) + timedelta(days=14))
    }
    cost: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for s in truth["sessions"]:
        if s["pr"] in accepted:
            cost[s["pr"]][s["platform"]] += Decimal(s["cost_usd"])
    outcomes: dict[str, Decimal] = defaultdict(Decimal)
    for by_platform in cost.values():
        total = sum(by_platform.values())
        for platform, usd in by_platform.items():
            outcomes[platform] += usd / total if total else 1 / Decimal(len(by_platform))
    return dict(outcomes)


def truth_usage_cost_by_platform(truth: dict[str, Any]) -> dict[str, Decimal]:
    """AI usage cost per platform: every truth session's cost, and the usage nobody in the
    roster owns (``unassigned_usage``), which is the platform's spend too (docs/metrics.md:
    usage_spend_usd is the session cost of the month's sessions, unassigned ones included)."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for s in [*truth["sessions"], *truth.get("unassigned_usage", [])]:
        out[s["platform"]] += Decimal(s["cost_usd"])
    return dict(out)
