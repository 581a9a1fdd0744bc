"""Products the organisation does not have (issue 22 §1), applied to a generated world.

Without a Copilot licence or without Claude Code there is no such usage to report: the world
drops those sessions (and seats, and Claude Code's keys), after everything else is generated, so
the rest stays as it was. Pull requests keep their markers: people can still use the tool on a
personal plan the organisation never sees. Products that exist but cannot be read (the Copilot
metrics policy off, Cursor below Enterprise) change only what the server answers.
"""

from __future__ import annotations

from sandbox.model import World
from sandbox.reality import RealityOptions


def drop_absent_products(world: World, options: RealityOptions) -> None:
    absent = set(options.absent_platforms)
    if not absent:
        return
    world.sessions = [s for s in world.sessions if s.platform not in absent]
    world.unassigned = [u for u in world.unassigned if u.platform not in absent]
    if "claude_code" in absent:
        world.api_keys = [k for k in world.api_keys if not k.is_claude_code]
    if "copilot" in absent:
        world.copilot_seats = []
    for person in world.people:
        person.platforms = tuple(p for p in person.platforms if p not in absent)
        for platform in absent:
            person.vendor_emails.pop(platform, None)
