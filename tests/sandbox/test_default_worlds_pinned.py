"""The tidy worlds stay byte for byte what they were: every messy case is a decision.

The digests below were computed on the commit before the sandbox learnt the real world's mess
(4338a1b) and before ``generate.py`` was split into modules. A change here means the tidy
``tiny`` world (``RealityOptions()``) or the default ``demo`` world changed — the truth file, a
git object id or an API answer — which must be a decision (flipping a default), never a side
effect.

Issue 22 §4, a decision: the default ``tiny`` world is no longer the tidy one. It holds the cases
``Profile.reality`` names (usage nobody in the roster owns, a ghost, fork PRs, Copilot's seats
forbidden), and is exactly the tidy world plus those cases: the tidy tiny world is pinned here as
``build_world("tiny", reality=RealityOptions())``, and the default one is checked to be the same
generation with ``RealityOptions.parse(TINY_REALITY)``. ``demo`` and ``large`` stay tidy by default.

Re-pinned by issue 24 (agent telemetry), a decision: truth records each session's agent session
id and whether it is in the Collector's files, and the commits Claude Code sessions make for
people with tokenworth's prepare-commit-msg hook carry ``AI-Session: claude_code/<id>`` — which
changes those commits' ids, hence the git refs, the GraphQL answers and the Cursor AI-code
commits that name commit ids. Every vendor usage answer is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from answers import collect

from sandbox.cli import prepare
from sandbox.generate import build_world
from sandbox.model import World
from sandbox.profiles import PROFILES, TINY_REALITY
from sandbox.reality import RealityOptions
from sandbox.server import SandboxServer
from sandbox.truth import build_truth

TINY = {
    "truth.json": "31aa3d4ea4c0d6c4",
    "people.csv": "70045ecfa9c337c0",
    "git refs": "50f9da2b08377ddb",
}
TINY_ANSWERS = {
    "anthropic messages": "2616357ddfbacd84",
    "anthropic cost_report": "d6f2804aec2161c0",
    "anthropic claude_code": "d6d25bcbcda2289f",
    "anthropic users": "1bc49a971ff3d4e9",
    "anthropic api_keys": "b6f21b106cc09379",
    "openai completions": "76f19e16cd2e56af",
    "openai costs": "df9aa8b5cd867db3",
    "openai users": "7bc7a2e92d45aac9",
    "cursor members": "e1b9c6540bf8bb22",
    "cursor daily": "a84331a0de89b822",
    "cursor daily paged": "d7d253a7ea5ca265",
    "cursor events": "3bdb976d1fd5ea50",
    "cursor spend": "2858dcac71a4e5a4",
    "cursor ai-code commits": "bcad0a33ba0d81ce",
    "copilot users-1-day": "2e7dccfd41d58b69",
    "copilot users-28-day": "a3fc8e1861769676",
    "copilot seats": "01b9cbf5f06c6faa",
    "copilot ai credits": "5e07b940c672ba3a",
    "graphql organization": "d78f2dff23035f81",
    "graphql acme/api": "7e3060ab42c00c33",
    "graphql acme/web": "9886696ebced6694",
}
DEMO = {"truth.json": "ed323193696491bc", "commit oids": "bf7c95c9a2329253"}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def truth_file(world: World) -> bytes:
    """truth.json exactly as ``write_truth`` writes it."""
    return (json.dumps(build_truth(world), indent=1, sort_keys=True) + "\n").encode()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    """The tidy tiny world (no real-world case), written as ``tokenworth sandbox serve`` does."""
    out = tmp_path_factory.mktemp("pinned")
    return prepare("tiny", 7, out, RealityOptions()), out


def test_tiny_truth_roster_and_git_objects_are_unchanged(prepared: tuple[World, Path]) -> None:
    world, out = prepared
    refs = "".join(
        subprocess.run(
            ["git", "for-each-ref", "--format=%(refname) %(objectname)"],
            cwd=out / "git" / f"{repo.full_name}.git",
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for repo in world.repositories
    )
    assert {
        "truth.json": digest((out / "truth.json").read_bytes()),
        "people.csv": digest((out / "people.csv").read_bytes()),
        "git refs": digest(refs.encode()),
    } == TINY


def test_tiny_api_answers_are_unchanged(prepared: tuple[World, Path]) -> None:
    world, _ = prepared
    with SandboxServer(world, rate_limit_scale=100) as server:
        answers = collect(server, world)
    assert {name: digest(body) for name, body in answers.items()} == TINY_ANSWERS


def test_demo_truth_and_commit_ids_are_unchanged() -> None:
    world = build_world("demo")
    oids = "\n".join(
        commit.oid or ""
        for repo in world.repositories
        for commit in [*repo.history, *(c for pr in repo.pull_requests for c in pr.commits)]
    )
    assert {"truth.json": digest(truth_file(world)), "commit oids": digest(oids.encode())} == DEMO


def test_only_tiny_holds_real_world_cases_by_default() -> None:
    """The default tiny world is the tidy one's generation plus exactly ``TINY_REALITY``'s cases
    (what the truth lists); demo and large default to the tidy world (pinned above for demo)."""
    assert {name: p.reality for name, p in PROFILES.items()} == {
        "tiny": TINY_REALITY,
        "demo": "",
        "large": "",
    }
    default = build_world("tiny")
    assert default.reality == RealityOptions.parse(TINY_REALITY)
    assert build_truth(default) == build_truth(
        build_world("tiny", reality=RealityOptions.parse(TINY_REALITY))
    )
    assert build_truth(default)["reality"] == [
        "unowned_keys",
        "api_actors",
        "copilot_seats_status",
        "ghosts",
        "forks",
    ]
