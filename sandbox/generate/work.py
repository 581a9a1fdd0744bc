"""Pass 2a, work and sessions: each engineer works through tasks back to back, in working hours
of their time zone. A task has a hidden intent and a platform and produces AI sessions while it is
developed; exploratory sessions happen between tasks. Every request is priced here."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sandbox.generate.pricing import Price, list_cost
from sandbox.generate.state import Simulation, Task, seeded, weighted
from sandbox.history import randint
from sandbox.model import AIRequest, AISession, Person, Repository

MICRO = Decimal("0.000001")
COPILOT_CREDIT_USD = Decimal("0.01")
PLATFORM_MODELS = {
    "claude_code": (
        ("claude-opus-5-5", 0.45),
        ("claude-sonnet-5-5", 0.45),
        ("claude-haiku-4-5", 0.1),
    ),
    "anthropic_api": (("claude-sonnet-5-5", 0.7), ("claude-haiku-4-5", 0.3)),
    "openai_api": (("gpt-6-sol", 0.7), ("gpt-6-luna", 0.3)),
    "cursor": (("claude-4.5-sonnet", 0.5), ("gpt-5.4", 0.3), ("composer-2", 0.2)),
    "copilot": (("copilot", 1.0),),
}
PREDECESSORS = {
    "claude-opus-5-5": "claude-opus-5",
    "claude-opus-5": "claude-sonnet-4-5",
    "claude-sonnet-5-5": "claude-sonnet-4-5",
    "gpt-6-sol": "gpt-5.4",
    "gpt-6-luna": "gpt-5.4",
}
# Cursor's own model has no public per-token price, so no price seed row: Cursor states its cost,
# and the warehouse must price it as unknown (null list price), not as zero.
CURSOR_HOUSE_PRICES = {
    "composer-2": (Decimal("1.25"), Decimal("1.25"), Decimal("0.125"), Decimal("10"))
}

WORK_TYPES = (
    ("feat", 0.38, "feature/", "enhancement"),
    ("fix", 0.27, "fix/", "bug"),
    ("refactor", 0.1, "refactor/", None),
    ("docs", 0.06, "docs/", "documentation"),
    ("test", 0.07, "test/", None),
    ("chore", 0.06, "chore/", None),
    ("perf", 0.03, "perf/", None),
    ("ci", 0.03, "ci/", None),
)
SUBJECTS = (
    "retry budget to payment client",
    "pagination of usage reports",
    "cache warm-up on deploy",
    "invoice rounding",
    "session timeout handling",
    "bulk export of ledgers",
    "rate limiter for webhooks",
    "search ranking for teams",
    "audit log retention",
    "price table loader",
    "review reminders",
    "token refresh race",
    "schema migration for accounts",
    "metrics for queue depth",
    "error messages in the CLI",
    "flaky checkout test",
)


def local_time(sim: Simulation, person: Person, day: date, hour: float) -> datetime:
    """A UTC instant for ``hour`` o'clock local time on ``day`` in the person's zone."""
    return datetime.combine(day, time(0), tzinfo=UTC) + timedelta(
        hours=hour - person.utc_offset_hours
    )


def workdays(sim: Simulation, person: Person, rng: random.Random) -> list[date]:
    days = []
    for k in range(sim.profile.days):
        day = sim.profile.start + timedelta(days=k)
        if day.weekday() < 5 or rng.random() < 0.06:
            days.append(day)
    return days


def plan_work(sim: Simulation, people: list[Person], repos: list[Repository]) -> None:
    for person in people:
        rng = seeded(sim.seed, "work", person.person_id)
        markers = rng.random() >= 0.2
        days = workdays(sim, person, rng)
        i = 0
        while i < len(days):
            span = min(len(days) - i, rng.choice((1, 1, 2, 2, 3)))
            task_days = days[i : i + span]
            i += span
            platform = None
            if person.platforms and rng.random() < 0.85:
                platform = rng.choice(person.platforms)
            repo_choices = sim.team_repos[person.team]
            repo = rng.choice(repo_choices) if rng.random() < 0.9 else rng.choice(repos)
            roll = rng.random()
            rework = sim.profile.rework_share
            intent = (
                "productive" if roll < 0.87 - rework else "rework" if roll < 0.87 else "abandoned"
            )
            work_type = weighted(rng, tuple((w[0], w[1]) for w in WORK_TYPES))
            dev_start = local_time(sim, person, task_days[0], rng.uniform(9, 11))
            dev_end = local_time(sim, person, task_days[-1], rng.uniform(15, 18))
            task = Task(
                task_id=f"t{len(sim.tasks) + 1:06d}",
                person=person,
                repo=repo,
                platform=platform,
                intent=intent,
                dev_start=dev_start,
                dev_end=dev_end,
                work_type=work_type,
                subject=rng.choice(SUBJECTS),
                markers=markers,
            )
            if intent == "abandoned" and rng.random() < 0.4:
                task.has_pr = False
            if intent == "rework":
                task.rework_by = "revert" if rng.random() < 0.3 else "rewrite"
            if platform == "copilot" and rng.random() < 0.25:
                task.agent = "copilot_agent"
            elif platform == "cursor" and rng.random() < 0.15:
                task.agent = "cursor_agent"
            elif platform == "claude_code" and rng.random() < 0.12:
                task.agent = "claude_web"
            elif platform == "openai_api" and rng.random() < 0.3:
                task.agent = "codex_cloud"
            sim.tasks.append(task)
            if platform:
                task_sessions(sim, task, task_days, rng)
            # Exploratory sessions between tasks: questions, planning, reading code.
            for day in task_days:
                if person.platforms and rng.random() < 0.45 * min(person.intensity, 2.0):
                    new_session(
                        sim,
                        person,
                        rng.choice(person.platforms),
                        "exploratory",
                        local_time(sim, person, day, rng.uniform(8.5, 9.5)),
                        rng,
                        None,
                    )
        # A few people run agents around the clock with nothing to show for it.
        if person.platforms and rng.random() < 0.03:
            for day in days:
                for hour in (1, 4, 21, 23):
                    new_session(
                        sim,
                        person,
                        person.platforms[0],
                        "exploratory",
                        local_time(sim, person, day, hour + rng.random() / 2),
                        rng,
                        None,
                    )


def task_sessions(sim: Simulation, task: Task, task_days: list[date], rng: random.Random) -> None:
    per_day = sim.profile.sessions_per_day * task.person.intensity
    for day in task_days:
        count = max(1, min(5, int(rng.expovariate(1 / per_day) + 0.5)))
        hours = sorted(rng.uniform(10, 17) for _ in range(count))
        last_end: datetime | None = None
        for hour in hours:
            at = local_time(sim, task.person, day, hour)
            if last_end is not None and at < last_end + timedelta(minutes=45):
                at = last_end + timedelta(minutes=45 + randint(rng, 0, 30))
            if at >= task.dev_end:
                break
            # Some sessions go nowhere: most of their edits are rejected.
            rejected = rng.random() < 0.08
            session = new_session(
                sim,
                task.person,
                task.platform or "",
                "retry" if rejected else task.intent,
                at,
                rng,
                task,
                rejected_edits=rejected,
            )
            last_end = session.ended_at


def new_session(
    sim: Simulation,
    person: Person,
    platform: str,
    intent: str,
    at: datetime,
    rng: random.Random,
    task: Task | None,
    rejected_edits: bool = False,
) -> AISession:
    n = max(1, int(rng.lognormvariate(math.log(sim.profile.requests_per_session), 0.6)))
    if platform == "copilot":
        n = max(1, n // 2)
    if intent == "exploratory":
        n = max(1, n // 3)
    offsets = [0]
    for _ in range(n - 1):
        offsets.append(offsets[-1] + randint(rng, 20, 240))
    at = place_session(sim, person.person_id, platform, at, offsets[-1])
    model = weighted(rng, PLATFORM_MODELS[platform])
    key = None
    if platform == "anthropic_api":
        key = sim.keys.get((person.person_id, "anthropic", False))
    elif platform == "openai_api":
        key = sim.keys.get((person.person_id, "openai", False))
    elif platform == "claude_code":
        key = sim.keys.get((person.person_id, "anthropic", True))
    produces_code = intent != "exploratory"
    requests = []
    t = at
    context = randint(rng, 8_000, 24_000)
    for k in range(n):
        req_model = model
        if platform == "claude_code" and rng.random() < 0.12:
            req_model = "claude-haiku-4-5"  # subagents
        req = new_request(sim, platform, req_model, t, k, context, rng)
        context = min(190_000, context + req.output_tokens + randint(rng, 500, 5_000))
        if context > 170_000:
            context = randint(rng, 20_000, 40_000)  # compaction
        req.api_key_id = key.api_key_id if key else None
        if produces_code and rng.random() < 0.45:
            req.lines_added = randint(rng, 1, 40)
            req.lines_removed = randint(rng, 0, 10)
            if rejected_edits:
                req.edits_rejected = randint(rng, 1, 3)
                req.edits_accepted = 1 if rng.random() < 0.2 else 0
            else:
                req.edits_accepted = randint(rng, 1, 3)
                req.edits_rejected = 1 if rng.random() < 0.1 else 0
            if req.edits_accepted == 0:
                req.lines_added = req.lines_removed = 0
        requests.append(req)
        if k + 1 < n:
            t = at + timedelta(seconds=offsets[k + 1])
    session = AISession(
        session_id=f"s{len(sim.sessions) + 1:07d}",
        person_id=person.person_id,
        platform=platform,
        intent=intent,
        started_at=requests[0].at,
        ended_at=requests[-1].at,
        requests=requests,
        repo=task.repo.full_name if task else None,
    )
    sim.sessions.append(session)
    if task is not None:
        task.sessions.append(session)
    return session


def place_session(
    sim: Simulation, person_id: str, platform: str, at: datetime, seconds: int
) -> datetime:
    """The first start at or after ``at`` that keeps this person's sessions on this platform
    more than the 30-minute session gap apart (so the truth's sessions are sessions)."""
    busy = sim.busy.setdefault((person_id, platform), [])
    gap = timedelta(minutes=35)
    # Sessions mostly come in time order: one starting a gap after every earlier session's
    # end cannot overlap any of them, and skips the scan (quadratic in a person's sessions).
    latest = sim.busy_until.get((person_id, platform))
    moved = latest is not None and at < latest + gap
    while moved:
        moved = False
        end = at + timedelta(seconds=seconds)
        for start_b, end_b in busy:
            if at < end_b + gap and start_b < end + gap:
                at = end_b + gap + timedelta(minutes=5)
                moved = True
                break
    busy.append((at, at + timedelta(seconds=seconds)))
    latest = sim.busy_until.get((person_id, platform))
    if latest is None or busy[-1][1] > latest:
        sim.busy_until[(person_id, platform)] = busy[-1][1]
    return at


def new_request(
    sim: Simulation,
    platform: str,
    model: str,
    at: datetime,
    k: int,
    context: int,
    rng: random.Random,
) -> AIRequest:
    day = at.date()
    if platform == "copilot":
        credits = Decimal(rng.choice((0, 0, 1, 1, 2, 3, 5, 8)))
        cli = rng.random() < 0.1
        return AIRequest(
            at=at,
            model=model,
            input_tokens=randint(rng, 800, 6_000) if cli else 0,
            cache_write_5m_tokens=0,
            cache_write_1h_tokens=0,
            cache_read_tokens=0,
            output_tokens=randint(rng, 100, 1_500) if cli else 0,
            cost_usd=credits * COPILOT_CREDIT_USD,
            ai_credits=credits,
        )
    agentic = platform in ("claude_code", "cursor")
    if k == 0:
        cache_read = 0
        write = context
    else:
        cache_read = context if agentic or rng.random() < 0.7 else 0
        write = randint(rng, 800, 6_000)
    write_1h = write if (k == 0 and platform == "claude_code" and rng.random() < 0.5) else 0
    write_5m = write - write_1h
    if platform == "openai_api":
        write_5m = write_5m if rng.random() < 0.3 else 0
    req = AIRequest(
        at=at,
        model=model,
        input_tokens=randint(rng, 20, 400) if agentic else randint(rng, 300, 4_000),
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
        cache_read_tokens=cache_read,
        output_tokens=int(rng.lognormvariate(math.log(700), 0.8)) + 20,
        cost_usd=Decimal(0),
    )
    price = sim.prices.price(model, day)
    while price is None and model in PREDECESSORS:
        # Before a model's release, people used its predecessor.
        model = req.model = PREDECESSORS[model]
        price = sim.prices.price(model, day)
    if platform == "cursor":
        req.cache_write_1h_tokens = 0
        req.cache_write_5m_tokens = write
        if price is None:
            i, w, r, o = CURSOR_HOUSE_PRICES[model]
            price = Price(i, w, w, r, o)
        cents = list_cost(price, req) * 100
        if rng.random() < 0.1:
            cents = cents * Decimal("0.9")  # discountPercentOff: 10
        fee = Decimal(0) if model in CURSOR_HOUSE_PRICES else (cents * Decimal("0.06"))
        req.cost_usd = ((cents + fee).quantize(MICRO, ROUND_HALF_EVEN)) / 100
    else:
        assert price is not None, f"no list price for {model} on {day}"
        req.cost_usd = list_cost(price, req)
    return req
