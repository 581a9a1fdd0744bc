"""What real accounts send (issue 22): each case appears in the API answers and in git exactly as
the truth says, and the world's cost is conserved with usage nobody owns.

One messy tiny world (every case at once) is written to disk and served once for the module;
the products an organisation lacks are separate small worlds, one per option.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from answers import Client

from sandbox.cli import prepare
from sandbox.generate import build_world
from sandbox.gitrepos import repository_path, write_repositories
from sandbox.model import PullRequest, World
from sandbox.profiles import TINY_REALITY
from sandbox.reality import RealityOptions
from sandbox.server import SandboxServer
from sandbox.truth import build_truth, is_excluded, load_patterns

PR_FIELDS = """
  number state isCrossRepository
  author { __typename login }
  headRepository { nameWithOwner isFork }
  headRefOid baseRefOid
  mergeCommit { oid }
  commits(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor }
                                       nodes { commit { oid } } }
  files(first: 100, after: $files) { totalCount pageInfo { hasNextPage endCursor }
                                     nodes { path } }
  reviews(first: 50) { nodes { state author { __typename login } } }
  timelineItems(first: 50, itemTypes: [HEAD_REF_FORCE_PUSHED_EVENT]) {
    nodes { __typename ... on HeadRefForcePushedEvent {
      beforeCommit { oid } afterCommit { oid } } }
  }
"""
PR_QUERY = (
    "query PR($owner: String!, $name: String!, $number: Int!, $after: String, $files: String) {"
    " repository(owner: $owner, name: $name) { pullRequest(number: $number) {" + PR_FIELDS + "} } }"
)
REPO_QUERY = """
query Repo($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    nameWithOwner isArchived defaultBranchRef { name }
    pullRequests(first: 100) { totalCount }
  }
}
"""
ORG_QUERY = """
query Org($login: String!) {
  organization(login: $login) { repositories(first: 100) { nodes { nameWithOwner isArchived } } }
}
"""


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("messy")
    world = prepare("tiny", 7, out, RealityOptions.messy())
    return world, out, json.loads((out / "truth.json").read_text())


@pytest.fixture(scope="module")
def client(messy: tuple[World, Path, dict[str, Any]]) -> Iterator[Client]:
    with SandboxServer(messy[0], rate_limit_scale=100) as server:
        yield Client(server)


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=check)


def repo_dir(out: Path, full_name: str) -> Path:
    return repository_path(out, full_name)


def prs(truth: dict[str, Any], **wanted: Any) -> list[dict[str, Any]]:
    return [r for r in truth["pull_requests"] if all(r.get(k) == v for k, v in wanted.items())]


def pr_of(world: World, row: dict[str, Any]) -> PullRequest:
    return next(p for p in world.repository(row["repo"]).pull_requests if p.number == row["number"])


def served_pr(client: Client, row: dict[str, Any], **cursors: str | None) -> dict[str, Any]:
    owner, name = row["repo"].split("/")
    body = client.graphql(PR_QUERY, owner=owner, name=name, number=row["number"], **cursors)
    assert "errors" not in body, body
    return body["data"]["repository"]["pullRequest"]


def whole_world(world: World) -> dict[str, int]:
    start = int(date_ms(world.start) / 1000)
    return {"start_time": start, "end_time": start + world.days * 86400}


def date_ms(day: date) -> int:
    return (day - date(1970, 1, 1)).days * 86_400_000


def usage(truth: dict[str, Any], kind: str, platform: str) -> dict[str, Any]:
    return next(
        u for u in truth["unassigned_usage"] if u["kind"] == kind and u["platform"] == platform
    )


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


# ------------------------------------------------------------------------------------- options


def test_options_turn_cases_on_by_name_and_reject_unknown_ones() -> None:
    assert RealityOptions().is_tidy and not RealityOptions.messy().is_tidy
    one = RealityOptions.parse("forks, no-copilot")
    assert one.forks and not one.ghosts and one.reports_status == 404 == one.seats_status
    assert one.enabled() == ["copilot_licence", "forks"]
    assert RealityOptions.parse("no_claude_code,messy").claude_code is False
    # Cases add to a base (a profile's default); "tidy" starts again from none.
    base = RealityOptions.parse("ghosts")
    assert RealityOptions.parse("forks", base=base) == RealityOptions(ghosts=True, forks=True)
    assert RealityOptions.parse("", base=base) == base
    assert RealityOptions.parse("tidy,bots", base=base) == RealityOptions(bots=True)
    with pytest.raises(ValueError, match=r"unknown sandbox case 'forkz'.*ghosts"):
        RealityOptions.parse("forkz")
    with pytest.raises(ValueError, match="copilot_reports_status 500"):
        RealityOptions(copilot_reports_status=500)


def test_messy_world_is_deterministic_and_keeps_the_tidy_prs_durability() -> None:
    tidy = build_truth(build_world("tiny"))
    first = build_truth(build_world("tiny", reality=RealityOptions.messy()))
    assert first == build_truth(build_world("tiny", reality=RealityOptions.messy()))
    messy = {(r["repo"], r["number"]): r for r in first["pull_requests"]}
    for row in tidy["pull_requests"]:
        twin = messy[(row["repo"], row["number"])]
        assert (twin["state"], twin["effective_lines_added"]) == (
            row["state"],
            row["effective_lines_added"],
        )
        assert [s["lines_surviving"] for s in twin["survival"]] == [
            s["lines_surviving"] for s in row["survival"]
        ]


def test_cli_names_the_cases_and_refuses_an_unknown_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import argparse

    from sandbox.cli import add_arguments, out_name, reality_of

    parser = argparse.ArgumentParser()
    add_arguments(parser)

    def chosen(*argv: str) -> tuple[RealityOptions, str]:
        reality = reality_of(parser.parse_args(argv))
        return reality, out_name(parser.parse_args(argv).profile, reality)

    # tiny holds its default cases; --messy and --mess add to them, "tidy" drops them.
    assert chosen() == (RealityOptions.parse(TINY_REALITY), "tiny")
    assert chosen("--messy") == (
        replace(RealityOptions.messy(), copilot_seats_status=403),  # tiny's own product case
        "tiny-messy",
    )
    assert chosen("--mess", "ghosts") == (RealityOptions.parse(TINY_REALITY), "tiny")
    assert chosen("--mess", "bots") == (
        RealityOptions.parse(TINY_REALITY + ",bots"),
        "tiny-messy",
    )
    assert chosen("--mess", "tidy") == (RealityOptions(), "tiny-tidy")
    assert chosen("--mess", "tidy,ghosts") == (RealityOptions(ghosts=True), "tiny-messy")
    # demo (and large) default to the tidy world.
    assert chosen("--profile", "demo") == (RealityOptions(), "demo")
    assert chosen("--profile", "demo", "--mess", "ghosts") == (
        RealityOptions(ghosts=True),
        "demo-messy",
    )
    with pytest.raises(SystemExit) as exited:
        reality_of(parser.parse_args(["--mess", "nope"]))
    assert exited.value.code == 2
    assert "unknown sandbox case 'nope'" in capsys.readouterr().err


# --------------------------------------------------------------- usage that belongs to nobody


def test_truth_conserves_cost_with_unassigned_usage(messy: tuple[World, Path, dict]) -> None:
    world, _, truth = messy
    totals = truth["totals"]
    people = sum((s.cost_usd for s in world.sessions), Decimal(0))
    nobody = sum((Decimal(u["cost_usd"]) for u in truth["unassigned_usage"]), Decimal(0))
    assert nobody > 0 and Decimal(totals["unassigned_cost_usd"]) == nobody
    assert Decimal(totals["people_cost_usd"]) == people
    assert Decimal(totals["cost_usd"]) == people + nobody
    by_platform = sum((Decimal(v) for v in totals["cost_usd_by_platform"].values()), Decimal(0))
    assert by_platform == people + nobody
    for row in truth["unassigned_usage"]:
        by_day = sum((Decimal(v) for v in row["cost_usd_by_day"].values()), Decimal(0))
        assert by_day == Decimal(row["cost_usd"]) > 0
    assert {(u["kind"], u["owner"]["kind"]) for u in truth["unassigned_usage"]} == {
        ("service_account_key", "key"),
        ("no_key", "project"),
        ("ungrouped", "org"),
        ("no_key", "org"),
        ("orphaned_key", "key"),
        ("api_actor", "key"),
        ("removed_member", "user"),
        ("departed_user", "user"),
    }


def _openai_rows(client: Client, world: World) -> list[dict[str, Any]]:
    body = client.get(
        "/v1/organization/usage/completions",
        client.openai,
        **whole_world(world),
        bucket_width="1d",
        limit=31,
        group_by=["project_id", "user_id", "api_key_id", "model"],
    ).json()
    return [r for bucket in body["data"] for r in bucket["results"]]


def test_openai_reports_usage_without_a_user_key_project_or_model(
    messy: tuple[World, Path, dict], client: Client
) -> None:
    world, _, truth = messy
    rows = _openai_rows(client, world)
    service = usage(truth, "service_account_key", "openai_api")
    playground = usage(truth, "no_key", "openai_api")
    ungrouped = usage(truth, "ungrouped", "openai_api")

    def output(pred: Any) -> int:
        return sum(r["output_tokens"] for r in rows if pred(r))

    key = service["identifiers"]["api_key_id"]
    assert (
        output(lambda r: r["api_key_id"] == key and r["user_id"] is None)
        == (service["output_tokens"])
    )
    assert (
        output(lambda r: r["api_key_id"] is None and r["project_id"] == playground["owner"]["id"])
        == playground["output_tokens"]
    )
    assert (
        output(lambda r: r["api_key_id"] is None and r["project_id"] is None and r["model"] is None)
        == ungrouped["output_tokens"]
    )
    # The costs report still includes them: it adds up to everything OpenAI billed.
    costs = client.get(
        "/v1/organization/costs", client.openai, **whole_world(world), limit=180
    ).json()
    billed = sum(
        (Decimal(str(r["amount"]["value"])) for b in costs["data"] for r in b["results"]),
        Decimal(0),
    )
    assert cents(billed) == cents(Decimal(truth["totals"]["cost_usd_by_platform"]["openai_api"]))


def test_anthropic_reports_console_service_account_and_orphaned_key_usage(
    messy: tuple[World, Path, dict], client: Client
) -> None:
    world, _, truth = messy
    iso = {"starting_at": f"{world.start}T00:00:00Z", "ending_at": f"{world.end}T00:00:00Z"}
    body = client.get(
        "/v1/organizations/usage_report/messages",
        client.anthropic,
        **iso,
        limit=31,
        **{"group_by[]": ["api_key_id", "workspace_id", "service_account_id"]},
    ).json()
    rows = [r for bucket in body["data"] for r in bucket["results"]]
    console = usage(truth, "no_key", "anthropic_api")
    service = usage(truth, "service_account_key", "anthropic_api")
    orphan = usage(truth, "orphaned_key", "anthropic_api")
    no_key = [r for r in rows if r["api_key_id"] is None]
    assert {r["workspace_id"] for r in no_key} == {None}
    assert sum(r["output_tokens"] for r in no_key) == console["output_tokens"]
    by_service = [r for r in rows if r["service_account_id"] is not None]
    assert {r["api_key_id"] for r in by_service} == {service["identifiers"]["api_key_id"]}
    assert by_service[0]["service_account_id"] == service["identifiers"]["service_account_id"]
    # The cost report includes every key-billed request, whoever owns the key.
    keyed = sum(
        (
            r.cost_usd
            for s in world.sessions
            if s.platform in ("claude_code", "anthropic_api")
            for r in s.requests
            if r.api_key_id
        ),
        Decimal(0),
    ) + sum(
        (u.cost_usd for u in world.unassigned if u.platform in ("claude_code", "anthropic_api")),
        Decimal(0),
    )
    report = client.get("/v1/organizations/cost_report", client.anthropic, **iso, limit=31).json()
    billed = sum((Decimal(r["amount"]) for b in report["data"] for r in b["results"]), Decimal(0))
    assert billed / 100 == keyed
    keys = client.get("/v1/organizations/api_keys", client.anthropic, limit=1000).json()["data"]
    users = client.get("/v1/organizations/users", client.anthropic, limit=1000).json()["data"]
    creators = {k["id"]: k["created_by"] for k in keys}
    assert creators[service["identifiers"]["api_key_id"]]["type"] == "service_account"
    orphan_creator = creators[orphan["identifiers"]["api_key_id"]]
    assert orphan_creator["type"] == "user"
    assert orphan_creator["id"] not in {u["id"] for u in users}


def test_claude_code_reports_an_api_actor_whose_key_nobody_holds(
    messy: tuple[World, Path, dict], client: Client
) -> None:
    world, _, truth = messy
    actor = usage(truth, "api_actor", "claude_code")
    records = []
    for k in range(world.days):
        day = (world.start + timedelta(days=k)).isoformat()
        body = client.get(
            "/v1/organizations/usage_report/claude_code",
            client.anthropic,
            starting_at=day,
            limit=1000,
        ).json()
        records += [r for r in body["data"] if r["actor"]["type"] == "api_actor"]
    assert {r["actor"]["api_key_name"] for r in records} == {actor["owner"]["id"]}
    assert all("email_address" not in r["actor"] and r["customer_type"] == "api" for r in records)
    reported = sum(
        (
            Decimal(str(m["estimated_cost"]["amount"]))
            for r in records
            for m in r["model_breakdown"]
        ),
        Decimal(0),
    )
    assert cents(reported / 100) == cents(Decimal(actor["cost_usd"]))


def test_cursor_reports_events_of_a_member_no_longer_in_the_team(
    messy: tuple[World, Path, dict], client: Client
) -> None:
    world, _, truth = messy
    removed = usage(truth, "removed_member", "cursor")
    email = removed["owner"]["id"]
    members = client.cursor("GET", "/teams/members")["teamMembers"]
    assert email not in {m["email"] for m in members}
    start = date_ms(world.start)
    body = client.cursor(
        "POST",
        "/teams/filtered-usage-events",
        {"startDate": start, "endDate": start + world.days * 86_400_000 - 1, "pageSize": 1000},
    )
    theirs = [e for e in body["usageEvents"] if e["userEmail"] == email]
    assert len(theirs) == removed["requests"]
    charged = sum((Decimal(str(e["chargedCents"])) for e in theirs), Decimal(0))
    assert cents(charged / 100) == cents(Decimal(removed["cost_usd"]))
    last_day = max(removed["cost_usd_by_day"])
    assert last_day < (world.end - timedelta(days=1)).isoformat(), "they left before the end"


def test_copilot_reports_user_days_of_a_user_who_left() -> None:
    world = build_world("tiny", reality=RealityOptions.parse("departed_users"))
    truth = build_truth(world)
    departed = usage(truth, "departed_user", "copilot")
    login = departed["owner"]["id"]
    with SandboxServer(world, rate_limit_scale=100) as server:
        client = Client(server)
        org = world.org
        records = []
        for day in departed["cost_usd_by_day"]:
            links = client.get(
                f"/orgs/{org}/copilot/metrics/reports/users-1-day", client.github, day=day
            ).json()["download_links"]
            for link in links:
                records += [
                    json.loads(x) for x in requests.get(link, timeout=30).text.split("\n") if x
                ]
        theirs = [r for r in records if r["user_login"] == login]
        assert len(theirs) == len(departed["cost_usd_by_day"])
        seats = client.get(f"/orgs/{org}/copilot/billing/seats", client.github, per_page=100)
        assert login not in {s["assignee"]["login"] for s in seats.json()["seats"]}
        last = max(departed["cost_usd_by_day"])
        credits = client.get(
            f"/organizations/{org}/settings/billing/ai_credit/usage",
            client.github,
            year=last[:4],
            month=int(last[5:7]),
            user=login,
        ).json()
        billed = sum((Decimal(str(i["netAmount"])) for i in credits["usageItems"]), Decimal(0))
        month = last[:7]
        expected = sum(
            (Decimal(v) for d, v in departed["cost_usd_by_day"].items() if d.startswith(month)),
            Decimal(0),
        )
        assert cents(billed) == cents(expected) > 0


# ------------------------------------------------------------------ products the org lacks


@pytest.mark.parametrize(
    ("case", "reports", "seats"),
    [
        ("copilot_metrics_off", 403, 200),
        ("copilot_metrics_disabled", 422, 200),
        ("copilot_seats_forbidden", 200, 403),
        ("no_copilot", 404, 404),
    ],
)
def test_copilot_answers_as_the_organisation_has_it(case: str, reports: int, seats: int) -> None:
    world = build_world("tiny", reality=RealityOptions.parse(case))
    truth = build_truth(world)
    assert truth["products"]["copilot"]["usage_reports_status"] == reports
    assert truth["products"]["copilot"]["seats_status"] == seats
    with SandboxServer(world) as server:
        client = Client(server)
        day = world.start.isoformat()
        answers = {
            "reports": client.get(
                f"/orgs/{world.org}/copilot/metrics/reports/users-1-day", client.github, day=day
            ),
            "28": client.get(
                f"/orgs/{world.org}/copilot/metrics/reports/users-28-day/latest", client.github
            ),
            "seats": client.get(f"/orgs/{world.org}/copilot/billing/seats", client.github),
        }
    assert answers["reports"].status_code == reports == answers["28"].status_code
    assert answers["seats"].status_code == seats
    for response in answers.values():
        if response.status_code != 200:
            body = response.json()
            assert set(body) == {"message", "documentation_url", "status"}
            assert body["status"] == str(response.status_code)
            if response.status_code == 404:
                assert body["message"] == "Not Found"
    if case == "no_copilot":
        assert truth["products"]["absent_platforms"] == ["copilot"]
        assert not any(s.platform == "copilot" for s in world.sessions)
        assert "copilot" not in truth["totals"]["cost_usd_by_platform"]
    else:
        assert any(s.platform == "copilot" for s in world.sessions)


def test_cursor_below_enterprise_has_no_ai_code_tracking() -> None:
    world = build_world("tiny", reality=RealityOptions.parse("cursor_teams_plan"))
    assert build_truth(world)["products"]["cursor_ai_code_tracking"] == {
        "available": False,
        "status": 403,
    }
    with SandboxServer(world) as server:
        response = requests.get(
            f"{server.url}/analytics/ai-code/commits",
            auth=(server.cursor_admin_key, ""),
            timeout=30,
        )
    assert response.status_code == 403
    assert "Enterprise" in response.json()["message"]


def test_anthropic_without_claude_code_answers_empty_reports() -> None:
    world = build_world("tiny", reality=RealityOptions.parse("no_claude_code"))
    truth = build_truth(world)
    assert truth["products"]["absent_platforms"] == ["claude_code"]
    assert "claude_code" not in truth["totals"]["cost_usd_by_platform"]
    assert not any(k.is_claude_code for k in world.api_keys)
    with SandboxServer(world) as server:
        client = Client(server)
        for k in range(world.days):
            body = client.get(
                "/v1/organizations/usage_report/claude_code",
                client.anthropic,
                starting_at=(world.start + timedelta(days=k)).isoformat(),
            )
            assert body.status_code == 200
            assert body.json() == {"data": [], "has_more": False, "next_page": None}
    # PRs keep their Claude Code markers: people may use it on plans the organisation never sees.
    assert any(r["platform"] == "claude_code" for r in truth["pull_requests"])


# --------------------------------------------------------------------- GitHub as it really is


def test_ghost_prs_and_reviews_have_no_author(
    messy: tuple[World, Path, dict], client: Client
) -> None:
    truth = messy[2]
    ghosts = prs(truth, author_ghost=True)
    assert ghosts and all(r["author_login"] is None and r["person_id"] for r in ghosts)
    gone = [p for p in truth["people"] if p["github_deleted"]]
    assert len(gone) == 1
    for row in ghosts:
        assert served_pr(client, row)["author"] is None
    reviewed = [r for r in truth["pull_requests"] if "User:ghost" in r["reviewers"]]
    for row in reviewed:
        served = served_pr(client, row)
        assert any(r["author"] is None for r in served["reviews"]["nodes"])
    body = client.graphql(
        "query($l: String!) { user(login: $l) { login } }", l=gone[0]["github_login"]
    )
    assert body["errors"][0]["type"] == "NOT_FOUND"


def test_fork_prs_are_cross_repository(messy: tuple[World, Path, dict], client: Client) -> None:
    _, out, truth = messy
    forks = prs(truth, is_cross_repository=True)
    assert {r["head_repository"] is None for r in forks} == {True, False}
    for row in forks:
        served = served_pr(client, row)
        assert served["isCrossRepository"] is True
        if row["head_repository"] is None:
            assert served["headRepository"] is None
        else:
            assert served["headRepository"] == {
                "nameWithOwner": row["head_repository"],
                "isFork": True,
            }
        # The fork's commits are in the base repository under refs/pull only.
        refs = git(repo_dir(out, row["repo"]), "for-each-ref", "--format=%(refname)").stdout
        assert f"refs/pull/{row['number']}/head".encode() in refs


def test_github_apps_author_prs_and_copilot_reviews(
    messy: tuple[World, Path, dict], client: Client
) -> None:
    world, out, truth = messy
    logins = {r["author_login"] for r in prs(truth, is_bot=True)}
    assert {"dependabot", "renovate", "github-actions", "copilot-swe-agent"} <= logins
    for row in prs(truth, author_login="renovate") + prs(truth, author_login="github-actions"):
        served = served_pr(client, row)
        assert served["author"] == {"__typename": "Bot", "login": row["author_login"]}
        head = pr_of(world, row).commits[-1].oid
        log = git(repo_dir(out, row["repo"]), "log", "-1", "--format=%an", head).stdout
        assert log.decode().strip() == f"{row['author_login']}[bot]"
    reviewed = [
        r for r in truth["pull_requests"] if "Bot:copilot-pull-request-reviewer" in r["reviewers"]
    ]
    assert reviewed
    served = served_pr(client, reviewed[0])
    bots = [r["author"] for r in served["reviews"]["nodes"] if r["author"]["__typename"] == "Bot"]
    assert {"__typename": "Bot", "login": "copilot-pull-request-reviewer"} in bots


def _all_pages(client: Client, row: dict[str, Any], connection: str, cursor: str) -> list[Any]:
    nodes: list[Any] = []
    after = None
    while True:
        page = served_pr(client, row, **{cursor: after})[connection]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def test_oversized_prs_are_capped_as_github_caps_them(
    messy: tuple[World, Path, dict], client: Client
) -> None:
    world, out, truth = messy
    many_commits = next(r for r in truth["pull_requests"] if r["commits_total"] > 250)
    assert many_commits["commits_served"] == 250
    served = served_pr(client, many_commits)
    assert served["commits"]["totalCount"] == many_commits["commits_total"] == 300
    assert len(_all_pages(client, many_commits, "commits", "after")) == 250
    head = pr_of(world, many_commits).commits[-1].oid
    base = pr_of(world, many_commits).commits[0].parent
    assert base is not None and base.oid is not None
    count = git(repo_dir(out, many_commits["repo"]), "rev-list", "--count", head, f"^{base.oid}")
    assert int(count.stdout) == 300
    many_files = next(r for r in truth["pull_requests"] if r["files_total"] > 3000)
    assert many_files["files_served"] == 3000
    assert served_pr(client, many_files)["files"]["totalCount"] == 3100
    assert len(_all_pages(client, many_files, "files", "files")) == 3000


def test_force_pushed_commits_are_served_but_exist_nowhere(
    messy: tuple[World, Path, dict], client: Client
) -> None:
    world, out, truth = messy
    pushed = prs(truth, force_pushed=True)
    assert pushed
    for row in pushed:
        events = served_pr(client, row)["timelineItems"]["nodes"]
        before = {e["beforeCommit"]["oid"] for e in events}
        assert before == set(row["replaced_commit_oids"])
        assert events[0]["afterCommit"]["oid"] == pr_of(world, row).commits[0].oid
        for oid in row["replaced_commit_oids"]:
            missing = git(repo_dir(out, row["repo"]), "cat-file", "-e", oid, check=False)
            assert missing.returncode != 0


def test_rebase_merged_commits_reach_main_and_the_pr_commits_do_not(
    messy: tuple[World, Path, dict], client: Client
) -> None:
    world, out, truth = messy
    rebased = prs(truth, merge_method="REBASE")
    # A rebase drops commits that change nothing, so some land fewer commits than they had.
    assert any(len(r["landed_commit_oids"]) >= 2 for r in rebased)
    for row in rebased:
        repo = repo_dir(out, row["repo"])
        landed = row["landed_commit_oids"]
        assert landed and landed[-1] == row["merge_commit_oid"]
        assert served_pr(client, row)["mergeCommit"]["oid"] == row["merge_commit_oid"]
        for oid in landed:
            assert (
                git(repo, "merge-base", "--is-ancestor", oid, "main", check=False).returncode == 0
            )
        for commit in pr_of(world, row).commits:
            assert commit.oid not in landed
            on_main = git(
                repo, "merge-base", "--is-ancestor", commit.oid or "", "main", check=False
            )
            assert on_main.returncode == 1
        subjects = git(repo, "log", "--format=%s", "-n", str(len(landed)), landed[-1]).stdout
        assert f"(#{row['number']})".encode() not in subjects  # no squash suffix


def test_unfetchable_base_and_head_are_served_but_not_in_git(
    messy: tuple[World, Path, dict], client: Client
) -> None:
    _, out, truth = messy
    rows = [r for r in truth["pull_requests"] if r["unfetchable_oids"]]
    assert rows
    for row in rows:
        served = served_pr(client, row)
        base, head = row["unfetchable_oids"]
        assert (served["baseRefOid"], served["headRefOid"]) == (base, head)
        repo = repo_dir(out, row["repo"])
        for oid in (base, head):
            assert git(repo, "cat-file", "-e", oid, check=False).returncode != 0
        refs = git(repo, "for-each-ref", "--format=%(refname)").stdout.decode()
        assert f"refs/pull/{row['number']}/head" not in refs


def test_odd_files_are_in_git_as_git_stores_them(messy: tuple[World, Path, dict]) -> None:
    world, out, _ = messy
    repo = repo_dir(out, world.repositories[0].full_name)
    tree = git(repo, "ls-tree", "-r", "-l", "main").stdout.decode().splitlines()
    entries = {line.split("\t", 1)[1]: line.split()[:4] for line in tree}
    assert entries["libs/shared-protos"][:2] == ["160000", "commit"]
    logo = git(repo, "cat-file", "blob", "main:assets/logo.png").stdout
    assert logo.startswith(b"\x89PNG") and b"\x00" in logo[:8000]
    numstat = git(repo, "log", "--numstat", "--format=", "main", "--", "assets/logo.png").stdout
    assert numstat.startswith(b"-\t-\t"), "git treats the logo as binary"
    notes = git(repo, "cat-file", "blob", "main:docs/legacy/notes-fr.txt").stdout
    with pytest.raises(UnicodeDecodeError):
        notes.decode("utf-8")
    assert "Étape 1".encode("latin-1") in notes
    pointer = git(repo, "cat-file", "blob", "main:design/mockup.psd").stdout.decode()
    assert pointer.startswith("version https://git-lfs.github.com/spec/v1\noid sha256:")
    assert "filter=lfs" in git(repo, "cat-file", "blob", "main:.gitattributes").stdout.decode()
    lock = git(repo, "cat-file", "blob", "main:frontend/yarn.lock").stdout
    assert lock.count(b"\n") == 50_000
    bundle = git(repo, "cat-file", "blob", "main:static/app.min.js").stdout
    assert bundle.count(b"\n") == 1 and len(bundle) > 100_000
    patterns = load_patterns()
    assert is_excluded("frontend/yarn.lock", patterns)
    assert is_excluded("static/app.min.js", patterns)


def _blamed(repo: Path, snapshot: str, path: str, commits: set[str]) -> int:
    """Effective lines of ``path`` at ``snapshot`` that git blames on ``commits``."""
    out = git(repo, "blame", "--line-porcelain", snapshot, "--", path).stdout
    alive = 0
    commit = ""
    for raw in out.split(b"\n"):
        if raw.startswith(b"\t"):
            text = raw[1:].decode("utf-8", "replace")
            alive += commit in commits and len(text.strip()) > 3
        elif len(raw) >= 40 and raw[40:41] == b" ":
            commit = raw[:40].decode()
    return alive


def test_git_blame_agrees_with_the_truth_on_odd_files_and_rebases(
    messy: tuple[World, Path, dict],
) -> None:
    """Binary files and gitlinks have no lines; non-UTF-8 and LFS pointers do; rebased PRs own
    the lines of every commit they landed."""
    world, out, truth = messy
    patterns = load_patterns()
    odd = {"assets/logo.png", "docs/legacy/notes-fr.txt", "design/mockup.psd", ".gitattributes"}
    checked = set()
    for row in truth["pull_requests"]:
        if not row["merged_at"] or not row["effective_lines_added"]:
            continue
        touched = {f.path for f in pr_of(world, row).files}
        if row["merge_method"] != "REBASE" and not touched & odd:
            continue
        repo = repo_dir(out, row["repo_final_name"])
        landed = set(row["landed_commit_oids"])
        survival = row["survival"][0]
        tree = git(repo, "ls-tree", "-r", survival["snapshot_oid"]).stdout.decode().splitlines()
        alive = 0
        for entry in tree:
            meta, path = entry.split("\t", 1)
            if meta.split()[1] != "blob" or is_excluded(path, patterns):
                continue
            blob = git(repo, "cat-file", "blob", f"{survival['snapshot_oid']}:{path}").stdout
            if b"\x00" in blob[:8000]:
                continue  # binary: no lines
            alive += _blamed(repo, survival["snapshot_oid"], path, landed)
            if path in odd:
                checked.add(path)
        assert alive == survival["lines_surviving"], (row["repo"], row["number"])
    assert {"docs/legacy/notes-fr.txt", "design/mockup.psd"} <= checked


def test_repositories_change_between_nights(
    messy: tuple[World, Path, dict], tmp_path: Path
) -> None:
    world, _, truth = messy
    lifecycle = {r["full_name"]: r for r in truth["repositories"] if r["events"] or r["empty"]}
    renamed = lifecycle["acme/legacy-billing"]
    moved = lifecycle["acme/sdk-python"]
    deleted = lifecycle["acme/hackweek-2026"]
    assert lifecycle["acme/scratch-empty"]["empty"]
    assert (renamed["final_name"], renamed["archived"]) == ("acme/billing-archive", True)
    assert moved["final_name"] == "acme-labs/sdk-python" and deleted["final_name"] is None
    rename_day = date.fromisoformat(renamed["events"][0]["day"])
    delete_day = date.fromisoformat(deleted["deleted_on"])
    before = rename_day - timedelta(days=1)

    def org_repos(client: Client) -> dict[str, bool]:
        body = client.graphql(ORG_QUERY, login=world.org)
        nodes = body["data"]["organization"]["repositories"]["nodes"]
        return {n["nameWithOwner"]: n["isArchived"] for n in nodes}

    with SandboxServer(world, as_of=before) as server:
        client = Client(server)
        early = org_repos(client)
        assert {"acme/legacy-billing", "acme/sdk-python", "acme/hackweek-2026"} <= set(early)
        assert "acme/scratch-empty" in early  # created before the rename
        server.set_as_of(None)  # the last day
        late = org_repos(client)
        assert "acme/billing-archive" in late and late["acme/billing-archive"] is True
        assert not {"acme/legacy-billing", "acme/sdk-python", "acme/hackweek-2026"} & set(late)
        # Old names redirect; a deleted repository is gone; an empty one has no branch.
        old = client.graphql(REPO_QUERY, owner="acme", name="legacy-billing")["data"]
        assert old["repository"]["nameWithOwner"] == "acme/billing-archive"
        gone = client.graphql(REPO_QUERY, owner="acme", name="hackweek-2026")
        assert gone["errors"][0]["type"] == "NOT_FOUND"
        empty = client.graphql(REPO_QUERY, owner="acme", name="scratch-empty")["data"]
        assert empty["repository"]["defaultBranchRef"] is None
        reply = requests.post(
            f"{server.url}/_sandbox/as_of", json={"day": str(delete_day - timedelta(days=1))}
        )
        assert reply.json() == {"as_of": str(delete_day - timedelta(days=1))}
        assert "acme/hackweek-2026" in org_repos(client)

    # On disk, night by night: a deleted repository's clone URL fails, an old name still clones.
    out = tmp_path / "nights"
    write_repositories(world, out, as_of=before)
    clones = tmp_path / "clones"
    clone = lambda name, to: subprocess.run(  # noqa: E731
        ["git", "clone", "-q", "--mirror", repository_path(out, name).as_uri(), str(clones / to)],
        capture_output=True,
        text=True,
    )
    assert clone("acme/hackweek-2026", "a").returncode == 0
    write_repositories(world, out)
    failed = clone("acme/hackweek-2026", "b")
    assert failed.returncode != 0 and "does not appear to be a git repository" in failed.stderr
    assert clone("acme/legacy-billing", "c").returncode == 0
    assert repository_path(out, "acme/legacy-billing").is_symlink()
    assert clone("acme-labs/sdk-python", "d").returncode == 0
    empty = clone("acme/scratch-empty", "e")
    assert empty.returncode == 0 and "empty repository" in empty.stderr
