"""The sandbox's Collector files: read by the real reader, they agree with the Admin reports."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.defs.ingest.otel.collector import CollectorFiles
from orchestration.defs.ingest.otel.source import _file_rows
from sandbox.cli import prepare
from sandbox.generate import build_world
from sandbox.model import World
from sandbox.vendors.anthropic import AnthropicApi


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    out = tmp_path_factory.mktemp("tiny")
    return prepare("tiny", 7, out), out


def _rows(out: Path, world: World) -> dict[str, list[dict]]:
    files = CollectorFiles(str(out / "otel"))
    days = {world.start + timedelta(days=d) for d in range(-1, world.days + 1)}
    rows: dict[str, list[dict]] = defaultdict(list)
    for file in files.listing():
        for table, found in _file_rows(files, file, days).items():
            rows[table] += found
    assert files.stats.pending == 0
    return rows


def test_claude_code_telemetry_matches_the_admin_report_to_the_cent(
    tiny: tuple[World, Path],
) -> None:
    world, out = tiny
    telemetry: dict[tuple[str, date, str], list] = defaultdict(lambda: [Decimal(0), 0, 0, 0, 0])
    for row in _rows(out, world)["api_requests"]:
        if row["agent"] != "claude_code":
            continue
        acc = telemetry[(row["user_email"], row["event_date"], row["model"])]
        acc[0] += row["cost_usd"]
        acc[1] += row["input_tokens"]
        acc[2] += row["output_tokens"]
        acc[3] += row["cache_read_tokens"]
        acc[4] += row["cache_creation_tokens"]
    api = AnthropicApi(world, "key")
    api.ensure_indexed()
    admin = {}
    api_actors = set()
    for day, records in api.claude_code.items():
        for record in records:
            if record["actor"]["type"] == "api_actor":
                # A Claude Code key no person holds (CI bots, sandbox.reality api_actors): no
                # person's agent, so nothing in the Collector's files.
                api_actors.add(record["actor"]["api_key_name"])
                continue
            for model_row in record["model_breakdown"]:
                key = (record["actor"]["email_address"], day, model_row["model"])
                tokens = model_row["tokens"]
                admin[key] = [
                    Decimal(str(model_row["estimated_cost"]["amount"])) / 100,
                    tokens["input"], tokens["output"], tokens["cache_read"],
                    tokens["cache_creation"],
                ]  # fmt: skip
    # The keys the report names api_actor are exactly the world's Claude Code usage nobody owns.
    assert api_actors == {u.owner[1] for u in world.unassigned if u.platform == "claude_code"}
    # tiny: every Claude Code user exports telemetry, so the two cover the same person-days.
    assert set(telemetry) == set(admin)
    for key, (cost, *tokens) in admin.items():
        assert telemetry[key][1:] == tokens, key
        assert abs(telemetry[key][0] - cost) < Decimal("0.005"), key


def test_session_ids_prompts_and_codex_as_truth_says(tiny: tuple[World, Path]) -> None:
    world, out = tiny
    rows = _rows(out, world)
    truth = json.loads((out / "truth.json").read_text())
    exported = {(s["platform"], s["agent_session_id"]) for s in truth["sessions"] if s["telemetry"]}
    platform = {"claude_code": "claude_code", "codex": "openai_api"}
    seen = {(platform[r["agent"]], r["session_id"]) for r in rows["api_requests"]}
    assert seen == exported
    assert any(p == "openai_api" for p, _ in exported), "Codex sessions are exported too"
    prompts = [r for r in rows["agent_events"] if r["event_name"] == "claude_code.user_prompt"]
    assert prompts and all(r["prompt_length"] > 0 for r in prompts)
    # Some people log prompt text (OTEL_LOG_USER_PROMPTS=1): it is in the files, never a row.
    raw = b"".join(
        subprocess.run(["zcat", "-f", str(p)], capture_output=True, check=True).stdout
        for p in sorted((out / "otel").glob("claude-code*"))
    )
    assert b'"key":"prompt"' in raw
    assert all("prompt" not in r for r in prompts)


def test_agent_commits_carry_their_session_and_only_theirs(tiny: tuple[World, Path]) -> None:
    world, _ = tiny
    sessions = {s.agent_session_id: s for s in world.sessions if s.agent_session_id}
    trailers = 0
    for repo in world.repositories:
        for pr in repo.pull_requests:
            for commit in pr.commits:
                lines = [x for x in commit.message.splitlines() if x.startswith("AI-Session: ")]
                if not lines:
                    continue
                trailers += 1
                (line,) = lines
                agent, _, session_id = line.removeprefix("AI-Session: ").partition("/")
                session = sessions[session_id]
                assert agent == "claude_code" == session.platform
                assert session.pr == (repo.full_name, pr.number)
                assert session.started_at <= commit.authored_at
                assert world.person(session.person_id).session_hook
    assert trailers > 0


def test_demo_exports_telemetry_for_about_half_of_the_agent_users() -> None:
    people = [
        p for p in build_world("demo").people if {"claude_code", "openai_api"} & set(p.platforms)
    ]
    share = sum(p.telemetry for p in people) / len(people)
    assert 0.4 <= share <= 0.6
    everyone = build_world("tiny", telemetry_share=0.0).people
    assert not any(p.telemetry or p.session_hook for p in everyone)
