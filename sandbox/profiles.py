"""Sizes of the simulated organisation. Every profile is deterministic for a given seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Profile:
    name: str
    people: int
    teams: int
    repositories: int
    start: date
    days: int
    # Mean AI sessions per AI-using person per working day, before the heavy-tailed intensity.
    sessions_per_day: float
    # Mean requests per session (agentic platforms); the distribution is heavy-tailed.
    requests_per_session: int
    # Share of tasks whose work is later reverted or rewritten. The tests' small org gets more,
    # so that a ten-day world still holds reverts and rewrites to recover.
    rework_share: float = 0.13
    # Share of Claude Code and Codex users whose agents export OpenTelemetry to the Collector.
    telemetry_share: float = 0.5
    # The real-world cases (``sandbox.reality``, by name as ``RealityOptions.parse`` reads them)
    # the profile's world holds unless asked otherwise; "" is the tidy world.
    reality: str = ""


# The tiny world's default real-world cases.
TINY_REALITY = "unowned_keys,api_actors,ghosts,forks,copilot_seats_forbidden"

PROFILES: dict[str, Profile] = {
    # The tests' org: small enough to generate in about a second, big enough that every kind of
    # record (reverts, bots, unresolvable identities, teams below the cohort size) occurs.
    "tiny": Profile(
        "tiny",
        people=12,
        teams=3,
        repositories=2,
        start=date(2026, 10, 2),
        days=10,
        sessions_per_day=1.6,
        requests_per_session=14,
        rework_share=0.3,
        # Every Claude Code user: the tests measure what session-grain data recovers.
        telemetry_share=1.0,
        # What every real account sends (issue 22 §4), so every test meets it by default: usage
        # nobody in the roster owns, a deleted account's PRs, PRs from forks, and a product the
        # organisation lacks: the token cannot read Copilot's seats (403). (Not a Cursor team
        # below Enterprise, the commoner case: its AI Code Tracking is the only source of the
        # Cursor branch links the attribution tests score; sandbox.reality's cursor_teams_plan.)
        reality=TINY_REALITY,
    ),
    "demo": Profile(
        "demo",
        people=150,
        teams=12,
        repositories=6,
        start=date(2026, 9, 20),
        days=45,
        sessions_per_day=1.6,
        requests_per_session=16,
    ),
    "large": Profile(
        "large",
        people=2000,
        teams=120,
        repositories=40,
        start=date(2026, 7, 20),
        days=120,
        sessions_per_day=1.6,
        requests_per_session=16,
    ),
}

DEFAULT_SEED = 7


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown sandbox profile {name!r}: choose one of {', '.join(PROFILES)}"
        ) from None
