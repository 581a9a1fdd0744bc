"""Generate a simulated engineering organisation, deterministically from a profile and a seed.

The simulation runs in passes, one module each, over a shared :class:`~state.Simulation`:

1. **People and places** (``people``): engineers in teams and time zones with their identities at
   each vendor, repositories with an initial import, API keys, Copilot seats.
2. **Work** (``work``, then ``pulls``): each engineer works through *tasks* back to back. A task
   has a hidden intent (productive, rework, abandoned) and a platform; it produces AI sessions
   while it is developed, then (usually) a pull request with reviews, and a merge or a close.
   Rework tasks are later reverted or rewritten by a follow-up PR (one whose follow-up does not
   merge before the world ends is productive: its work lasts); exploratory sessions happen
   between tasks; bots open dependency PRs. Timestamps respect working hours in each person's
   time zone.
3. **Branches and merges** (``branches``): per repository, in time order, every PR's edits are
   planned against the default branch as it was when the PR was opened and merged as a squash
   commit, which gives real file contents, commits and git object ids.

Everything random comes from ``random.Random`` instances seeded with strings derived from the seed,
and nothing iterates over a ``set`` of strings, so the same profile and seed always give the same
world, byte for byte.
"""

from __future__ import annotations

from sandbox.generate import github_reality
from sandbox.generate.agent_sessions import assign_agent_sessions
from sandbox.generate.branches import write_history
from sandbox.generate.people import copilot_seats, make_api_keys, make_people, make_repositories
from sandbox.generate.pricing import PriceBook, list_cost
from sandbox.generate.products import drop_absent_products
from sandbox.generate.pulls import dependency_bumps, open_pull_requests
from sandbox.generate.state import ORG, Simulation, b62, hex_id
from sandbox.generate.unassigned import add_unassigned_usage
from sandbox.generate.work import plan_work
from sandbox.model import World
from sandbox.profiles import DEFAULT_SEED, get_profile
from sandbox.reality import RealityOptions

__all__ = ["PriceBook", "build_world", "list_cost"]


def build_world(
    profile: str = "tiny",
    seed: int = DEFAULT_SEED,
    reality: RealityOptions | None = None,
    telemetry_share: float | None = None,
) -> World:
    """The simulated organisation for ``profile`` (tiny, demo, large) and ``seed``, holding the
    real-world cases ``reality`` turns on (default: the profile's own, ``Profile.reality``; an
    explicit ``RealityOptions()`` is the tidy world); ``telemetry_share`` of the Claude Code and
    Codex users export OpenTelemetry (default: the profile's)."""
    sim = Simulation(get_profile(profile), seed)
    if reality is None:
        reality = RealityOptions.parse(sim.profile.reality)
    if telemetry_share is None:
        telemetry_share = sim.profile.telemetry_share
    people = make_people(sim)
    repos = make_repositories(sim, people)
    keys = make_api_keys(sim, people)
    sim.keys = {(k.owner_person_id, k.vendor, k.is_claude_code): k for k in keys}
    plan_work(sim, people, repos)
    open_pull_requests(sim)
    dependency_bumps(sim, repos, people)
    assign_agent_sessions(sim, people, telemetry_share)
    extra_repos, ghost = github_reality.before_history(sim, people, repos, reality)
    repos = repos + extra_repos
    write_history(sim, repos)
    github_reality.after_history(sim, repos, reality, ghost)
    world = World(
        seed=seed,
        profile=sim.profile.name,
        org=ORG,
        start=sim.profile.start,
        days=sim.profile.days,
        people=people,
        repositories=repos,
        api_keys=keys,
        sessions=sorted(sim.sessions, key=lambda s: (s.started_at, s.session_id)),
        copilot_seats=copilot_seats(sim, people),
        anthropic_org_id=f"{hex_id(seed, 'org', n=8)}-1234-5678-9abc-{hex_id(seed)[:12]}",
        anthropic_workspaces={
            "wrkspc_" + b62(seed, "ws-default"): "Default",
            "wrkspc_" + b62(seed, "ws-cc"): "Claude Code",
        },
        openai_projects={"proj_" + b62(seed, "proj", n=24): "Engineering agents"},
        reality=reality,
    )
    for key in keys:
        if key.vendor == "anthropic":
            name = "Claude Code" if key.is_claude_code else "Default"
            key.workspace_id = next(w for w, n in world.anthropic_workspaces.items() if n == name)
        else:
            key.project_id = next(iter(world.openai_projects))
    add_unassigned_usage(sim, world, reality)
    drop_absent_products(world, reality)
    return world
