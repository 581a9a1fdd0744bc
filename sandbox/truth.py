"""The ground truth of a simulated world: what the warehouse should recover.

It holds what no vendor shows — every session's hidden intent and true pull request, every
session's true cost — and what the git history determines exactly: each merged PR's effective
lines, their survival at each horizon, and who reworked whose lines. Survival and rework are
computed here by replaying the default branch with the generator's line identities, independently
of ``git blame``; the tests check that ``git blame`` on the written repositories agrees.

Definitions follow ``docs/metrics.md``: an *effective* line is not blank, longer than 3 characters
after trimming (its bytes read as UTF-8, invalid bytes replaced, as git's text is), in a file not
matched by the generated/vendored/lock-file patterns (the seed) and that git does not treat as
binary; a submodule (gitlink) has no lines. The snapshot for a horizon is the last default-branch
commit at or before ``merged_at + horizon``; rework counts a later PR's removal or change of an
original PR's effective lines within the rework window of the original's merge. The horizons and
the window are the dbt vars ``durability_horizons_days`` and ``rework_window_days``, read from
``dbt_project.yml`` as git durability reads them: the truth scores what the marts report. A PR's
lines are those of the default-branch commits it landed (one squash commit, or its rebased
commits).

Worlds with real-world cases (``World.reality``) add what a correct warehouse must show for each:
see :func:`reality_truth`. The tidy worlds' truth has exactly the fields it always had.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from orchestration.lib.project_vars import read_project_vars
from sandbox.model import (
    MAX_PR_COMMITS,
    MAX_PR_FILES,
    Line,
    PrKey,
    PullRequest,
    Repository,
    UnassignedUsage,
    World,
)

PATTERNS_CSV = (
    Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "generated_file_patterns.csv"
)
_PR_SUFFIX = re.compile(r"\(#(\d+)\)$")


def load_patterns(path: Path = PATTERNS_CSV) -> list[str]:
    with path.open(newline="") as handle:
        return [row["pattern"] for row in csv.DictReader(handle)]


def is_excluded(path: str, patterns: list[str]) -> bool:
    """Gitignore-like: a pattern without a slash matches the file name; ``**/`` any depth."""
    name = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        if "/" not in pattern:
            if fnmatchcase(name, pattern):
                return True
        elif fnmatchcase(path, pattern) or (
            pattern.startswith("**/") and fnmatchcase(path, pattern[3:])
        ):
            return True
    return False


def is_effective(text: str) -> bool:
    return len(text.strip()) > 3


def is_effective_line(line: Line) -> bool:
    """``is_effective`` for a line of the world: binary content and gitlinks never are; text
    that is not UTF-8 is judged as git's output reads, invalid bytes replaced."""
    if type(line) is not Line:
        return False
    text = line.text
    if not text.isascii():
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return is_effective(text)


@dataclass
class Survival:
    horizon_days: int
    snapshot_oid: str
    lines_surviving: int
    survival_rate: float | None
    reached_by_world_end: bool


@dataclass
class Rework:
    original: PrKey
    later: PrKey
    lines_reworked: int
    first_reworked_at: datetime
    is_revert: bool


def durability(
    repo: Repository, patterns: list[str]
) -> tuple[dict[PrKey, int], dict[PrKey, list[Survival]], list[Rework]]:
    """Replay ``repo``'s default branch: effective lines added, survival, rework links."""
    contract = read_project_vars()
    rework_window = timedelta(days=contract.rework_window_days)
    merged = {
        (repo.full_name, pr.number): pr for pr in repo.pull_requests if pr.merge_commit is not None
    }
    by_commit = {
        id(commit): (repo.full_name, pr.number)
        for pr in repo.pull_requests
        if pr.merge_commit is not None
        for commit in pr.landed or [pr.merge_commit]
    }
    files: dict[str, tuple[Line, ...]] = {}
    present: Counter[PrKey] = Counter()
    effective_ids: set[int] = set()
    added: dict[PrKey, int] = {}
    rework: dict[tuple[PrKey, PrKey], Rework] = {}
    targets = sorted(
        (pr.merged_at + timedelta(days=h), key, h)
        for key, pr in merged.items()
        for h in contract.durability_horizons_days
        if pr.merged_at is not None
    )
    survival: dict[PrKey, list[Survival]] = {key: [] for key in merged}
    if not repo.history:
        return {}, survival, []
    world_end = repo.history[-1].committed_at
    next_target = 0
    previous_oid = ""

    def record_until(moment: datetime | None) -> None:
        nonlocal next_target
        while next_target < len(targets) and (moment is None or targets[next_target][0] < moment):
            _, key, h = targets[next_target]
            total = added.get(key, 0)
            alive = present[key]
            survival[key].append(
                Survival(h, previous_oid, alive, alive / total if total else None, False)
            )
            next_target += 1

    for commit in repo.history:
        record_until(commit.committed_at)
        key = by_commit.get(id(commit))
        # A rename lists its old path as deleted, so ``before`` covers moved lines too.
        before = [line for path in commit.files for line in files.get(path, ())]
        after_ids = {id(line) for content in commit.files.values() for line in content or ()}
        before_ids = {id(line) for line in before}
        for line in before:
            if id(line) in after_ids or id(line) not in effective_ids:
                continue
            origin = line.origin
            if origin is None:
                continue
            present[origin] -= 1
            original = merged[origin]
            if key is not None and key != origin and original.merged_at is not None:
                if commit.committed_at - original.merged_at <= rework_window:
                    link = rework.get((origin, key))
                    if link is None:
                        later = merged[key]
                        rework[(origin, key)] = Rework(
                            origin, key, 1, commit.committed_at, later.reverts == origin
                        )
                    else:
                        link.lines_reworked += 1
        for path, content in commit.files.items():
            if content is None:
                files.pop(path, None)
                continue
            files[path] = content
            excluded = is_excluded(path, patterns)
            for line in content:
                if id(line) in before_ids or id(line) in effective_ids:
                    continue
                if line.origin is not None and not excluded and is_effective_line(line):
                    effective_ids.add(id(line))
                    present[line.origin] += 1
                    if line.origin == key:
                        added[key] = added.get(key, 0) + 1
        previous_oid = commit.oid or ""
    record_until(None)
    for key, rows in survival.items():
        pr = merged[key]
        for row in rows:
            assert pr.merged_at is not None
            row.reached_by_world_end = pr.merged_at + timedelta(days=row.horizon_days) <= world_end
    return {k: added.get(k, 0) for k in merged}, survival, list(rework.values())


def work_type(pr: PullRequest) -> str:
    """The conventional-commit type of the PR's title, as the generator wrote it (truth only)."""
    head = pr.title.split(":", 1)[0].split("(", 1)[0]
    return head if ":" in pr.title else "other"


def build_truth(world: World) -> dict:
    patterns = load_patterns()
    pull_requests = []
    rows: list[tuple[PullRequest, dict]] = []
    rework_links = []
    for repo in world.repositories:
        added, survival, rework = durability(repo, patterns)
        for pr in repo.pull_requests:
            key = (repo.full_name, pr.number)
            pull_requests.append(
                {
                    "repo": repo.full_name,
                    "number": pr.number,
                    "person_id": pr.person_id,
                    "author_login": pr.author_login,
                    "intent": pr.intent,
                    "platform": pr.platform,
                    "state": pr.state,
                    "created_at": _ts(pr.created_at),
                    "merged_at": _ts(pr.merged_at),
                    "closed_at": _ts(pr.closed_at),
                    "head_ref": pr.head_ref,
                    "merge_commit_oid": pr.merge_commit.oid if pr.merge_commit else None,
                    "reverts": _pr(pr.reverts),
                    "effective_lines_added": added.get(key),
                    "survival": [
                        {
                            "horizon_days": s.horizon_days,
                            "snapshot_oid": s.snapshot_oid,
                            "lines_surviving": s.lines_surviving,
                            "survival_rate": s.survival_rate,
                            "reached_by_world_end": s.reached_by_world_end,
                        }
                        for s in survival.get(key, [])
                    ],
                }
            )
            rows.append((pr, pull_requests[-1]))
        rework_links += [
            {
                "original": _pr(r.original),
                "later": _pr(r.later),
                "lines_reworked": r.lines_reworked,
                "first_reworked_at": _ts(r.first_reworked_at),
                "is_revert": r.is_revert,
            }
            for r in rework
        ]
    telemetry = {p.person_id: p.telemetry for p in world.people}
    sessions = [
        {
            "session_id": s.session_id,
            "person_id": s.person_id,
            "platform": s.platform,
            "intent": s.intent,
            "started_at": _ts(s.started_at),
            "ended_at": _ts(s.ended_at),
            "pr": _pr(s.pr),
            "repo": s.repo,
            "branch": s.branch,
            "requests": len(s.requests),
            "cost_usd": str(s.cost_usd),
            "input_tokens": sum(r.input_tokens for r in s.requests),
            "cache_write_5m_tokens": sum(r.cache_write_5m_tokens for r in s.requests),
            "cache_write_1h_tokens": sum(r.cache_write_1h_tokens for r in s.requests),
            "cache_read_tokens": sum(r.cache_read_tokens for r in s.requests),
            "output_tokens": sum(r.output_tokens for r in s.requests),
            "commits_during": s.commits_during,
            # The agent's own session id (Claude Code session.id, Codex conversation.id) and
            # whether the session is in the Collector's files (its person exports telemetry).
            "agent_session_id": s.agent_session_id,
            "telemetry": s.agent_session_id is not None and telemetry.get(s.person_id, False),
        }
        for s in world.sessions
    ]
    cost_by_platform: dict[str, Decimal] = {}
    for s in world.sessions:
        cost_by_platform[s.platform] = cost_by_platform.get(s.platform, Decimal(0)) + s.cost_usd
    truth = {
        "profile": world.profile,
        "seed": world.seed,
        "org": world.org,
        "start": world.start.isoformat(),
        "days": world.days,
        "totals": {
            "sessions": len(sessions),
            "cost_usd": str(sum(cost_by_platform.values(), Decimal(0))),
            "cost_usd_by_platform": {k: str(v) for k, v in sorted(cost_by_platform.items())},
            "pull_requests": len(pull_requests),
        },
        "people": [
            {
                "person_id": p.person_id,
                "name": p.name,
                "team": p.team,
                "work_email": p.work_email,
                "github_login": p.github_login,
                "commit_email": p.commit_email,
                "platforms": list(p.platforms),
                "vendor_emails": p.vendor_emails,
                "telemetry": p.telemetry,
                "session_hook": p.session_hook,
            }
            for p in world.people
        ],
        "sessions": sessions,
        "pull_requests": pull_requests,
        "rework_links": rework_links,
    }
    if not world.reality.is_tidy:
        add_reality(truth, world, rows)
    return truth


# ------------------------------------------------------------------------- real-world cases

# Agent markers (docs/metrics.md) as the truth names them.
TRAILER_MARKERS = (
    ("trailer:claude", "noreply@anthropic.com"),
    ("trailer:cursor", "cursoragent@cursor.com"),
    ("trailer:codex", "noreply@openai.com"),
    ("trailer:copilot", "223556219+copilot@users.noreply.github.com"),
)
BRANCH_MARKERS = ("claude/", "copilot/", "cursor/", "codex/")
AGENT_BOTS = frozenset(
    {
        "copilot-swe-agent",
        "claude",
        "devin-ai-integration",
        "google-labs-jules",
        "chatgpt-codex-connector",
    }
)


def markers(pr: PullRequest) -> list[str]:
    """The agent markers a warehouse can find on ``pr``: trailers, body footers, branch prefix,
    agent bot author."""
    found: set[str] = set()
    for commit in pr.commits:
        for line in commit.message.lower().splitlines():
            if line.startswith("co-authored-by:"):
                found.update(name for name, email in TRAILER_MARKERS if email in line)
            elif line.startswith("made-with: cursor"):
                found.add("trailer:made-with-cursor")
    if "Generated with [Claude Code]" in pr.body:
        found.add("body:claude-code")
    if "chatgpt.com/codex/tasks/" in pr.body:
        found.add("body:codex-task")
    found.update(f"branch:{p}" for p in BRANCH_MARKERS if pr.head_ref.startswith(p))
    if pr.author_type == "Bot" and pr.author_login in AGENT_BOTS:
        found.add(f"bot:{pr.author_login}")
    return sorted(found)


def add_reality(truth: dict, world: World, rows: list[tuple[PullRequest, dict]]) -> None:
    """What a correct warehouse must show for each real-world case the world holds.

    Added keys (the tidy worlds' truth has none of them)::

        reality            [case names turned on]
        products           {absent_platforms: [..], claude_code: {present},
                            copilot: {licence, usage_reports_status, seats_status},
                            cursor_ai_code_tracking: {available, status}}
        totals             + people_cost_usd, unassigned_cost_usd,
                           unassigned_cost_usd_by_platform; cost_usd and cost_usd_by_platform
                           now cover people's sessions *and* unassigned usage (conserved)
        people[]           + github_deleted
        pull_requests[]    + author_ghost, author_type, is_bot, is_cross_repository,
                           head_repository (null: the fork is deleted), merge_method,
                           landed_commit_oids, commits_total/commits_served,
                           files_total/files_served (GitHub serves at most 250 / 3,000),
                           force_pushed, replaced_commit_oids, unfetchable_oids [base, head],
                           markers ["trailer:claude", "body:claude-code", "branch:codex/",
                           "bot:copilot-swe-agent", …], repo_final_name (null: deleted),
                           reviewers ["User:login" | "User:ghost" | "Bot:login"]
        repositories[]     {full_name (the first name), node_id, database_id, created_at,
                            final_name, names, events [{day, kind, to}], archived, empty,
                            deleted_on}
        unassigned_usage[] {usage_id, platform, kind, owner {kind: key|project|org|user, id},
                            identifiers {api_key_id, api_key_name, api_key_created_by,
                            service_account_id, project_id, workspace_id, user_id,
                            model_reported, email, login}, sessions, requests, models,
                            cost_usd, cost_usd_by_day, tokens by type, ai_credits}

    ``owner`` is raw: the warehouse's own string (``unassigned:<platform>:key:<id>`` …) is built
    from its kind and id; an API actor's key is named by its name, as the Claude Code report
    names it.
    """
    options = world.reality
    truth["reality"] = options.enabled()
    if hostile := hostile_truth(world):
        truth["hostile"] = hostile
    truth["products"] = {
        "absent_platforms": options.absent_platforms,
        "claude_code": {"present": options.claude_code},
        "copilot": {
            "licence": options.copilot_licence,
            "usage_reports_status": options.reports_status,
            "seats_status": options.seats_status,
        },
        "cursor_ai_code_tracking": {
            "available": options.cursor_enterprise,
            "status": 200 if options.cursor_enterprise else 403,
        },
    }
    repos = {r.full_name: r for r in world.repositories}
    for pr, row in rows:
        base = pr.commits[0].parent if pr.commits else None
        row.update(
            {
                "author_ghost": pr.author_login is None,
                "author_type": pr.author_type,
                "is_bot": pr.author_type == "Bot",
                "is_cross_repository": pr.fork is not None or pr.fork_deleted,
                "head_repository": None if pr.fork_deleted else (pr.fork or pr.repo),
                "merge_method": pr.merge_method if pr.merged_at else None,
                "landed_commit_oids": [c.oid for c in pr.landed],
                "commits_total": len(pr.commits),
                "commits_served": min(len(pr.commits), MAX_PR_COMMITS),
                "files_total": len(pr.files),
                "files_served": min(len(pr.files), MAX_PR_FILES),
                "force_pushed": bool(pr.replaced_commits),
                "replaced_commit_oids": [c.oid for c in pr.replaced_commits],
                "unfetchable_oids": (
                    [base.oid if base else None, pr.commits[-1].oid] if pr.unfetchable else []
                ),
                "markers": markers(pr),
                "repo_final_name": repos[pr.repo].name_on(None),
                "reviewers": sorted(
                    {f"{r.author_type}:{r.author_login or 'ghost'}" for r in pr.reviews}
                ),
            }
        )
    deleted = {p.github_login for p in world.people if p.github_deleted}
    for person in truth["people"]:
        person["github_deleted"] = person["github_login"] in deleted
    truth["repositories"] = [
        {
            "full_name": r.full_name,
            "node_id": r.node_id,
            "database_id": r.database_id,
            "created_at": _ts(r.created_at),
            "final_name": r.name_on(None),
            "names": r.names_until(None),
            "events": [{"day": e.day.isoformat(), "kind": e.kind, "to": e.to} for e in r.events],
            "archived": r.archived_on(None),
            "empty": not r.history,
            "deleted_on": next((e.day.isoformat() for e in r.events if e.kind == "deleted"), None),
        }
        for r in world.repositories
    ]
    truth["unassigned_usage"] = [_unassigned(u) for u in world.unassigned]
    totals = truth["totals"]
    by_platform = {k: Decimal(v) for k, v in totals["cost_usd_by_platform"].items()}
    people_cost = sum(by_platform.values(), Decimal(0))
    unassigned: dict[str, Decimal] = {}
    for usage in world.unassigned:
        unassigned[usage.platform] = unassigned.get(usage.platform, Decimal(0)) + usage.cost_usd
        by_platform[usage.platform] = by_platform.get(usage.platform, Decimal(0)) + usage.cost_usd
    totals["people_cost_usd"] = str(people_cost)
    totals["unassigned_cost_usd"] = str(sum(unassigned.values(), Decimal(0)))
    totals["unassigned_cost_usd_by_platform"] = {k: str(v) for k, v in sorted(unassigned.items())}
    totals["cost_usd"] = str(sum(by_platform.values(), Decimal(0)))
    totals["cost_usd_by_platform"] = {k: str(v) for k, v in sorted(by_platform.items())}


def _unassigned(usage: UnassignedUsage) -> dict:
    requests = [r for s in usage.sessions for r in s.requests]
    by_day: dict[str, Decimal] = {}
    for r in requests:
        day = r.at.date().isoformat()
        by_day[day] = by_day.get(day, Decimal(0)) + r.cost_usd
    key = usage.api_key
    former = usage.former
    return {
        "usage_id": usage.usage_id,
        "platform": usage.platform,
        "kind": usage.kind,
        "owner": {"kind": usage.owner[0], "id": usage.owner[1]},
        "identifiers": {
            "api_key_id": key.api_key_id if key else None,
            "api_key_name": key.name if key else None,
            "api_key_created_by": list(key.created_by) if key and key.created_by else None,
            "service_account_id": key.service_account_id if key else None,
            "project_id": usage.project_id,
            "workspace_id": usage.workspace_id,
            "user_id": None,
            "model_reported": usage.model_reported,
            "email": former.vendor_emails.get(usage.platform) if former else None,
            "login": former.github_login if former and usage.platform == "copilot" else None,
        },
        "sessions": len(usage.sessions),
        "requests": len(requests),
        "models": sorted({r.model for r in requests}),
        "cost_usd": str(usage.cost_usd),
        "cost_usd_by_day": {day: str(v) for day, v in sorted(by_day.items())},
        "input_tokens": sum(r.input_tokens for r in requests),
        "cache_write_5m_tokens": sum(r.cache_write_5m_tokens for r in requests),
        "cache_write_1h_tokens": sum(r.cache_write_1h_tokens for r in requests),
        "cache_read_tokens": sum(r.cache_read_tokens for r in requests),
        "output_tokens": sum(r.output_tokens for r in requests),
        "ai_credits": str(sum((r.ai_credits for r in requests), Decimal(0))),
    }


def write_truth(world: World, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build_truth(world), indent=1, sort_keys=True) + "\n")


def write_roster(world: World, path: Path) -> None:
    """The optional people file (``TOKENWORTH_PEOPLE_FILE``): person, team, emails, GitHub logins.

    It lists work emails only — the personal addresses some people use at a vendor stay
    unresolved, as they would in a real organisation's roster.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["person_id", "name", "team", "emails", "github_logins"])
        for p in world.people:
            writer.writerow([p.person_id, p.name, p.team, p.work_email, p.github_login])


def _ts(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _pr(key: PrKey | None) -> str | None:
    return f"{key[0]}#{key[1]}" if key else None


def hostile_truth(world: World) -> dict[str, Any]:
    """What the pipeline must do with the wrong answers ``sandbox.reality`` turns on (issue 23).

    ``{held: [{source, table, day}], quarantined: [{source, table, reason, day, amount}],
    duplicates: [{source, table, day, rows}]}``: the truncated day is held (its full answer
    stays), the impossible rows are quarantined, the repeated row is dropped and counted. The
    truth's costs are unchanged: none of these rows is usage.
    """
    from sandbox.vendors.openai import (
        FUTURE_COST_USD,
        NEGATIVE_COST_USD,
        NEGATIVE_INPUT_TOKENS,
        hostile_days,
    )

    options = world.reality
    days = {k: v.isoformat() for k, v in hostile_days(world).items()}
    out: dict[str, Any] = {}
    if options.truncated_day:
        out["held"] = [{"source": "openai", "table": "costs", "day": days["truncated"]}]
    quarantined = []
    if options.future_rows:
        quarantined.append(
            {"source": "openai", "table": "costs", "reason": "future", "day": days["future"],
             "amount": str(FUTURE_COST_USD)}
        )  # fmt: skip
    if options.negative_rows:
        quarantined.append(
            {"source": "openai", "table": "costs", "reason": "negative", "day": days["extra"],
             "amount": str(NEGATIVE_COST_USD)}
        )  # fmt: skip
        quarantined.append(
            {"source": "openai", "table": "completions_usage", "reason": "negative",
             "day": days["extra"], "amount": str(NEGATIVE_INPUT_TOKENS)}
        )  # fmt: skip
    if quarantined:
        out["quarantined"] = quarantined
    if options.duplicate_rows:
        out["duplicates"] = [
            {"source": "openai", "table": "costs", "day": days["extra"], "rows": 1}
        ]
    return out
