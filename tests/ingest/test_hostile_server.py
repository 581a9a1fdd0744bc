"""The real sources against a sandbox that misbehaves on purpose: what a run reports."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from tests.ingest.conftest import ingest_failures

pytestmark = pytest.mark.slow

SOURCES = ("raw_anthropic", "raw_openai", "raw_cursor", "raw_copilot", "raw_github")


def test_an_error_body_quoting_the_key_reaches_no_message_or_log(
    make_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env(faults="rate=1,kinds=leak")
    summary = env.run(env.day(1))
    server = env.server
    secrets = [
        server.anthropic_admin_key,
        server.openai_admin_key,
        server.cursor_admin_key,
        server.github_token,
        base64.b64encode(f"{server.cursor_admin_key}:".encode()).decode(),
    ]
    failures = ingest_failures(summary)
    assert set(SOURCES) <= set(failures), failures
    # Cursor's Basic header is "Basic <base64>": the scheme stays, the credential goes.
    quoted = re.compile(
        r"HTTP 400 \(sandbox fault injection: invalid request for credential "
        r"(Basic )?\[redacted\]\)"
    )
    for step in SOURCES:
        assert quoted.search(failures[step]), failures[step]
    output = capsys.readouterr()
    logged = output.out + output.err
    assert "invalid request for credential" in logged  # the failures were logged, redacted
    for secret in secrets:
        assert not any(_leaks(secret, message) for message in failures.values())
        assert not _leaks(secret, logged)


def test_a_day_long_retry_after_fails_each_source_at_once(make_env: Any) -> None:
    env = make_env(faults="rate=1,kinds=429,retry_after=86400")
    summary = env.run(env.day(1))
    failures = ingest_failures(summary)
    assert set(SOURCES) <= set(failures), failures
    for step in SOURCES:
        assert (
            "(Retry-After: 86400) asks for a 86400s wait, more than the 3900s" in (failures[step])
        ), failures[step]
    # Git durability reads tonight's pull requests, so it does not run when GitHub fails — and
    # says so, rather than leaving its tables a night behind in silence.
    assert failures["raw_git"].startswith("not run: it reads raw_github, which failed"), failures
    # One 429 per client, and never a retry after it: a retry would have met a second 429 and a
    # third attempt would have been answered.
    statuses = env.server.stats()["statuses"]
    assert {status for answers in statuses.values() for status in answers} == {"429"}, statuses
    assert sum(answers["429"] for answers in statuses.values()) == len(SOURCES), statuses


def _leaks(secret: str, text: str) -> bool:
    """True if any 16 consecutive characters of ``secret`` appear in ``text``."""
    return any(secret[i : i + 16] in text for i in range(len(secret) - 15))
