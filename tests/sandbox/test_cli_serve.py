"""`tokenworth sandbox serve` as a user runs it: a process that prints exports and answers."""

from __future__ import annotations

import base64
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

TOKENWORTH = Path(sys.executable).parent / "tokenworth"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("home")
    proc = subprocess.Popen(
        [str(TOKENWORTH), "sandbox", "serve", "--profile", "tiny", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TOKENWORTH_HOME": str(home)},
    )
    env: dict[str, str] = {}
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            if line.startswith("export "):
                name, _, value = line[len("export ") :].strip().partition("=")
                env[name] = shlex.split(value)[0]
            if line.startswith("# serving") or time.monotonic() > deadline:
                break
        assert "GITHUB_TOKEN" in env, "the sandbox printed no export lines"
        yield env
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def _call(url: str, headers: dict[str, str], body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    if data is not None:
        request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def test_every_endpoint_answers(served: dict[str, str]) -> None:
    anthropic = {
        "x-api-key": served["ANTHROPIC_ADMIN_API_KEY"],
        "anthropic-version": "2023-06-01",
    }
    openai = {"Authorization": f"Bearer {served['OPENAI_ADMIN_API_KEY']}"}
    basic = base64.b64encode(f"{served['CURSOR_ADMIN_API_KEY']}:".encode()).decode()
    cursor = {"Authorization": f"Basic {basic}"}
    github = {"Authorization": f"Bearer {served['GITHUB_TOKEN']}"}
    a, o, c, g = (
        served["TOKENWORTH_ANTHROPIC_BASE_URL"],
        served["TOKENWORTH_OPENAI_BASE_URL"],
        served["TOKENWORTH_CURSOR_BASE_URL"],
        served["TOKENWORTH_GITHUB_API_URL"],
    )
    org = served["TOKENWORTH_GITHUB_ORG"]
    day = "2026-10-05"
    start_ms, end_ms = 1_759_622_400_000, 1_759_708_799_999
    calls = [
        (f"{a}/v1/organizations/usage_report/claude_code?starting_at={day}", anthropic, None),
        (
            f"{a}/v1/organizations/usage_report/messages?starting_at={day}T00:00:00Z"
            "&bucket_width=1h&group_by[]=model&group_by[]=api_key_id",
            anthropic,
            None,
        ),
        (f"{a}/v1/organizations/cost_report?starting_at={day}T00:00:00Z", anthropic, None),
        (f"{a}/v1/organizations/users", anthropic, None),
        (f"{a}/v1/organizations/api_keys", anthropic, None),
        (
            f"{o}/v1/organization/usage/completions?start_time=1759622400&bucket_width=1h"
            "&group_by=user_id&group_by=model",
            openai,
            None,
        ),
        (f"{o}/v1/organization/costs?start_time=1759622400", openai, None),
        (f"{o}/v1/organization/users", openai, None),
        (f"{c}/teams/members", cursor, None),
        (
            f"{c}/teams/filtered-usage-events",
            cursor,
            {"startDate": start_ms, "endDate": end_ms, "page": 1, "pageSize": 100},
        ),
        (f"{c}/teams/daily-usage-data", cursor, {"startDate": start_ms, "endDate": end_ms}),
        (f"{c}/teams/spend", cursor, {}),
        (f"{g}/orgs/{org}/copilot/metrics/reports/users-1-day?day={day}", github, None),
        (f"{g}/orgs/{org}/copilot/metrics/reports/users-28-day/latest", github, None),
        (
            f"{g}/organizations/{org}/settings/billing/ai_credit/usage?year=2026&month=10",
            github,
            None,
        ),
        (
            f"{g}/graphql",
            github,
            {
                "query": '{ repository(owner: "acme", name: "api") { pullRequests(first: 5) '
                "{ totalCount nodes { number mergeCommit { oid } } } } }"
            },
        ),
    ]
    for url, headers, body in calls:
        status, payload = _call(url, headers, body)
        assert status == 200, url
        parsed = json.loads(payload)
        assert parsed, url
        assert "error" not in parsed and "errors" not in parsed, (url, parsed)
    links = json.loads(_call(calls[12][0], github)[1])["download_links"]
    status, ndjson = _call(links[0], {})
    assert status == 200 and all(json.loads(x)["user_login"] for x in ndjson.splitlines())
    # The tiny world's token may not read Copilot's seat list (sandbox.reality
    # copilot_seats_forbidden, one of the cases the tiny world holds by default): 403, as GitHub.
    with pytest.raises(urllib.error.HTTPError) as refused:
        _call(f"{g}/orgs/{org}/copilot/billing/seats", github)
    assert refused.value.code == 403
    assert json.loads(refused.value.read())["message"] == (
        "Resource not accessible by personal access token"
    )


def test_git_repositories_clone_through_the_url_template(
    served: dict[str, str], tmp_path: Path
) -> None:
    url = served["TOKENWORTH_GIT_CLONE_URL"].replace("{repo}", "acme/api")
    subprocess.run(["git", "clone", "-q", "--mirror", url, str(tmp_path / "m")], check=True)
    refs = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname)"],
        cwd=tmp_path / "m",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "refs/heads/main" in refs
    assert any(ref.startswith("refs/pull/") for ref in refs)
    truth = json.loads(Path(served["TOKENWORTH_PEOPLE_FILE"]).with_name("truth.json").read_text())
    assert truth["profile"] == "tiny"
