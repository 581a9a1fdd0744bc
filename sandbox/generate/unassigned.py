"""Usage that belongs to nobody in the roster (issue 22 §2), added when the world's options ask.

Every stream is generated after the tidy world, from random streams of its own, so the tidy part
stays as it was. Each is an :class:`~sandbox.model.UnassignedUsage`: the requests (priced like any
other), why nobody owns them (``kind``) and what owner a warehouse should state. The vendors serve
them beside the people's usage; the vendors' cost reports include their cost, so reconciliation
balances.

* OpenAI (``unowned_keys``): a service-account key (user null), Playground usage in a project (key
  and user null) and usage the report cannot break down (user, key, project and model null).
* Anthropic (``unowned_keys``): Console usage (no key, default workspace), a service account's key
  and a key whose creator has left.
* Claude Code (``api_actors``): a CI bot's key in the Claude Code workspace, reported as an
  ``api_actor`` (and, being key-billed, in the messages and cost reports too).
* Cursor (``removed_members``): a member removed from the team part-way through the world.
* Copilot (``departed_users``): a user who left (no seat, not in the organisation).
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

from sandbox.generate.state import Simulation, b62, seeded, weighted
from sandbox.generate.work import PLATFORM_MODELS, new_request
from sandbox.history import randint
from sandbox.model import AIRequest, AISession, ApiKey, Person, UnassignedUsage, World
from sandbox.reality import RealityOptions


def add_unassigned_usage(sim: Simulation, world: World, options: RealityOptions) -> None:
    """Append the usage streams ``options`` asks for to ``world.unassigned`` (and their keys
    and projects to the world's)."""
    seed = sim.seed
    default_ws = next(w for w, n in world.anthropic_workspaces.items() if n == "Default")
    cc_ws = next(w for w, n in world.anthropic_workspaces.items() if n == "Claude Code")
    project = next(iter(world.openai_projects))
    days = [world.start + timedelta(days=k) for k in range(world.days)]
    streams: list[UnassignedUsage] = []
    if options.unowned_keys:
        automation = "proj_" + b62(seed, "proj-automation", n=24)
        world.openai_projects[automation] = "Platform automation"
        svc = _key(sim, "key_" + b62(seed, "svc-openai", n=16), "openai", "evals-runner")
        svc.project_id = automation
        svc.created_by = ("service_account", "user-" + b62(seed, "svc-openai-account", n=24))
        streams += [
            UnassignedUsage(
                "u-openai-service-key",
                "openai_api",
                "service_account_key",
                ("key", svc.api_key_id),
                [],
                api_key=svc,
                project_id=automation,
            ),
            UnassignedUsage(
                "u-openai-playground",
                "openai_api",
                "no_key",
                ("project", project),
                [],
                project_id=project,
            ),
            UnassignedUsage(
                "u-openai-ungrouped",
                "openai_api",
                "ungrouped",
                ("org", None),
                [],
                model_reported=False,
            ),
        ]
        service_account = "svac_01" + b62(seed, "svac", n=22)
        ant_svc = _key(sim, "apikey_01" + b62(seed, "svc-anthropic"), "anthropic", "etl-summaries")
        ant_svc.workspace_id = default_ws
        ant_svc.service_account_id = service_account
        ant_svc.created_by = ("service_account", service_account)
        orphan = _key(sim, "apikey_01" + b62(seed, "orphan"), "anthropic", "hackathon-demo")
        orphan.workspace_id = default_ws
        orphan.created_by = ("user", "user_01" + b62(seed, "departed-admin", n=22))
        streams += [
            UnassignedUsage(
                "u-anthropic-console",
                "anthropic_api",
                "no_key",
                ("org", None),
                [],
            ),
            UnassignedUsage(
                "u-anthropic-service-key",
                "anthropic_api",
                "service_account_key",
                ("key", ant_svc.api_key_id),
                [],
                api_key=ant_svc,
                workspace_id=default_ws,
            ),
            UnassignedUsage(
                "u-anthropic-orphaned-key",
                "anthropic_api",
                "orphaned_key",
                ("key", orphan.api_key_id),
                [],
                api_key=orphan,
                workspace_id=default_ws,
            ),
        ]
    if options.api_actors:
        bot = _key(sim, "apikey_01" + b62(seed, "cc-bot"), "anthropic", "github-actions-claude")
        bot.workspace_id = cc_ws
        bot.is_claude_code = True
        bot.created_by = ("user", "user_01" + b62(seed, "departed-admin", n=22))
        streams.append(
            UnassignedUsage(
                "u-claude-code-api-actor",
                "claude_code",
                "api_actor",
                ("key", bot.name),
                [],
                api_key=bot,
                workspace_id=cc_ws,
            )
        )
    leaves = days[max(1, len(days) * 3 // 5)]
    if options.removed_members:
        former = _former(sim, "cursor", 1, "Riley Gone", "rgone", ("cursor",))
        streams.append(
            UnassignedUsage(
                "u-cursor-removed-member",
                "cursor",
                "removed_member",
                ("user", former.vendor_emails["cursor"]),
                [],
                former=former,
            )
        )
    if options.departed_users:
        former = _former(sim, "copilot", 2, "Sam Left", "sleft", ("copilot",))
        streams.append(
            UnassignedUsage(
                "u-copilot-departed-user",
                "copilot",
                "departed_user",
                ("user", former.github_login),
                [],
                former=former,
            )
        )
    for usage in streams:
        active = [d for d in days if d < leaves] if usage.former else days
        usage.sessions = _sessions(sim, usage, active)
        if usage.api_key is not None:
            world.api_keys.append(usage.api_key)
    world.unassigned += streams


def _key(sim: Simulation, key_id: str, vendor: str, name: str) -> ApiKey:
    created = sim.start - timedelta(days=seeded(sim.seed, "unowned-key", key_id).randint(20, 200))
    return ApiKey(key_id, vendor, name, "", created)


def _former(
    sim: Simulation, label: str, n: int, name: str, login: str, platforms: tuple[str, ...]
) -> Person:
    """Someone who was here and has left: not in the roster, the people list or any team."""
    email = f"{login}@acme.example"
    return Person(
        person_id=f"former-{n}",
        name=name,
        team="",
        utc_offset_hours=0,
        work_email=email,
        github_login=login,
        github_id=2_000_000 + n,
        commit_email=email,
        platforms=platforms,
        vendor_emails={p: email for p in platforms},
        vendor_user_ids={
            "cursor": "user_" + b62(sim.seed, "former", label, n=26),
            "cursor_numeric": str(49_000 + n),
        },
        joined_on=sim.profile.start - timedelta(days=400),
    )


def _sessions(sim: Simulation, usage: UnassignedUsage, days: list[date]) -> list[AISession]:
    """One to three bursts of requests on each working day (machines keep no office hours)."""
    rng = seeded(sim.seed, "unassigned", usage.usage_id)
    platform = usage.platform
    sessions = []
    for day in days:
        for _ in range(randint(rng, 1, 3)):
            hour = rng.uniform(0, 20)  # a burst ends before midnight, inside the world
            at = datetime.combine(day, datetime.min.time(), tzinfo=sim.start.tzinfo)
            at += timedelta(hours=hour)
            n = max(1, int(rng.lognormvariate(math.log(6), 0.5)))
            requests = _requests(sim, platform, at, n, rng)
            for r in requests:
                r.api_key_id = usage.api_key.api_key_id if usage.api_key else None
            sessions.append(
                AISession(
                    session_id=f"{usage.usage_id}-{len(sessions) + 1:04d}",
                    person_id=usage.former.person_id if usage.former else "",
                    platform=platform,
                    intent="exploratory",
                    started_at=requests[0].at,
                    ended_at=requests[-1].at,
                    requests=requests,
                )
            )
    return sessions


def _requests(
    sim: Simulation, platform: str, at: datetime, n: int, rng: random.Random
) -> list[AIRequest]:
    model = weighted(rng, PLATFORM_MODELS[platform])
    context = randint(rng, 4_000, 16_000)
    requests = []
    t = at
    for k in range(n):
        if k:
            t += timedelta(seconds=randint(rng, 20, 180))
        request = new_request(sim, platform, model, t, k, context, rng)
        context = min(150_000, context + request.output_tokens + randint(rng, 200, 2_000))
        requests.append(request)
    return requests
