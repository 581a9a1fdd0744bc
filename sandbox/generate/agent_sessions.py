"""Agent session ids, telemetry and the commit hook (issue 24), applied to the planned work.

Claude Code and Codex name every session (Claude Code's ``session.id``, also exported to the
commands it runs as ``CLAUDE_CODE_SESSION_ID``; Codex's ``conversation.id``). A configurable share
of the people who use them export the agents' OpenTelemetry to the organisation's Collector
(``Profile.telemetry_share``: all of them in ``tiny``, half in ``demo``), and some of those
installed tokenworth's ``prepare-commit-msg`` hook, so the commits their Claude Code sessions make
carry ``AI-Session: claude_code/<session id>`` (``branches.branch_commits`` writes it).

Runs after the work is planned and before the branches are written; its random numbers come from
their own seeds, so nothing else in the world moves.
"""

from __future__ import annotations

import hashlib
import uuid

from sandbox.generate.state import Simulation, seeded
from sandbox.model import Person

AGENT_PLATFORMS = ("claude_code", "openai_api")  # Codex CLI bills through OpenAI API keys
# Of the people whose agents export telemetry, the share who installed the commit hook.
HOOK_SHARE = 0.7


def agent_session_id(seed: int, session_id: str) -> str:
    """A UUID, as both agents print theirs, stable for the seed and the session."""
    digest = hashlib.blake2b(f"agent-session|{seed}|{session_id}".encode(), digest_size=16)
    return str(uuid.UUID(bytes=digest.digest(), version=4))


def assign_agent_sessions(sim: Simulation, people: list[Person], share: float) -> None:
    """Give every Claude Code and Codex session its agent session id, and choose who exports
    telemetry (``share`` of the people using either agent) and who installed the hook."""
    for person in people:
        if not set(AGENT_PLATFORMS) & set(person.platforms):
            continue
        rng = seeded(sim.seed, "telemetry", person.person_id)
        person.telemetry = rng.random() < share
        person.session_hook = person.telemetry and rng.random() < HOOK_SHARE
    for session in sim.sessions:
        if session.platform in AGENT_PLATFORMS:
            session.agent_session_id = agent_session_id(sim.seed, session.session_id)
