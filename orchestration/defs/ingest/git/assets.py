"""Git mirrors of every repository (``git clone --mirror``), refreshed nightly.

Mirrors live in ``$TOKENWORTH_HOME/git/<owner>/<name>.git``. A mirror's refspec is
``+refs/*:refs/*``, so GitHub's ``refs/pull/*`` (the heads of pull requests, including closed
and force-pushed ones) come along; ``git remote update --prune`` follows deletions. The asset is
partitioned like the rest so one job covers everything, but every partition simply brings the
mirrors up to date (idempotent).
"""

import base64
import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg

from orchestration.defs.ingest.common import completed_without_data
from orchestration.defs.ingest.github.source import list_repositories
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import GitHubResource, WarehouseResource
from orchestration.lib import settings
from orchestration.lib.http import safe_url

_GIT_TIMEOUT_SECONDS = 3600
# Mirrors update a few at a time: each update is mostly waiting on git and the network (one
# after another, 40 repositories took 19 s of a night's 70 s on the large benchmark profile).
_MIRROR_WORKERS = 4


class GitMirrorError(RuntimeError):
    """A git command failed; the message names the repository, never a credential."""


def mirror_path(home: Path, repo: str) -> Path:
    owner, name = repo.split("/", 1)
    return home / "git" / owner / f"{name}.git"


def _git_env(url: str, token: str | None) -> dict[str, str]:
    """Environment for git: never prompt; a token goes in an extra header via GIT_CONFIG_*.

    Passing the header through the environment keeps it out of the process arguments (visible
    to ``ps``) and out of the mirror's stored config and remote URL.
    """
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    if token and url.startswith("https://"):
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(
            {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
            }
        )
    return env


def _run_git(args: list[str], env: dict[str, str], repo: str, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitMirrorError(f"git {args[0]} of {repo} timed out") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise GitMirrorError(f"git {args[0]} of {repo} failed: {detail[0][:300]}")
    return done.stdout


def update_mirror(home: Path, repo: str, url: str, token: str | None) -> dict[str, int | str]:
    """Clone ``url`` as a mirror (first time) or fetch everything with pruning."""
    path = mirror_path(home, repo)
    env = _git_env(url, token)
    if not (path / "HEAD").exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _run_git(["clone", "--mirror", "--quiet", url, str(path)], env, repo)
        action = "cloned"
    else:
        # The clone URL may change (e.g. a new template); keep the remote in step.
        _run_git(["remote", "set-url", "origin", url], env, repo, cwd=path)
        action = "updated"
    # Make sure PR heads are fetched even for a mirror created by other means.
    _run_git(["config", "--replace-all", "remote.origin.fetch", "+refs/*:refs/*"], env, repo, path)
    _run_git(["remote", "update", "--prune"], env, repo, cwd=path)
    refs = _run_git(["for-each-ref", "--format=%(refname)"], env, repo, cwd=path).split()
    return {
        "action": action,
        "refs": len(refs),
        "pull_refs": sum(1 for r in refs if r.startswith("refs/pull/")),
    }


@dg.asset(
    key=dg.AssetKey(["git", "mirrors"]),
    group_name="ingest_git",
    partitions_def=daily_partitions,
    # One run brings the mirrors up to date for any range of days.
    backfill_policy=dg.BackfillPolicy.single_run(),
    output_required=False,
    kinds={"git"},
    description="Bare mirrors of every repository (with refs/pull/*), fetched nightly.",
)
def git_mirrors(
    context: dg.AssetExecutionContext, github: GitHubResource, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    repos = github.repo_list
    if not repos:
        if not (github.configured and github.org):
            reason = (
                f"git mirrors: skipped — set {settings.TOKENWORTH_GITHUB_REPOS} (or "
                f"{settings.GITHUB_TOKEN} and {settings.TOKENWORTH_GITHUB_ORG}) to mirror "
                "repositories"
            )
            yield from completed_without_data(context, reason)
            return
        client = github.client(context.log)
        try:
            repos = list_repositories(client, github.org)
        finally:
            client.close()
    home = warehouse.home_path

    def update(repo: str) -> dict[str, int | str] | GitMirrorError:
        url = github.clone_url_template.format(repo=repo)
        try:
            return update_mirror(home, repo, url, github.token)
        except GitMirrorError as exc:
            return exc

    results: dict[str, dict[str, int | str]] = {}
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=_MIRROR_WORKERS) as pool:
        # map() keeps the repositories' order, so the log reads the same on every run.
        for repo, outcome in zip(repos, pool.map(update, repos), strict=True):
            if isinstance(outcome, GitMirrorError):
                failures.append(str(outcome))
                context.log.error(str(outcome))
                continue
            results[repo] = outcome
            url = safe_url(github.clone_url_template.format(repo=repo))
            context.log.info(f"git mirror {repo}: {outcome['action']} from {url}")
    if failures:
        # Other repositories are already up to date; fail loudly for the rest.
        raise dg.Failure(
            description=f"{len(failures)} of {len(repos)} git mirrors failed: "
            + "; ".join(failures)
            + f" — check {settings.TOKENWORTH_GIT_CLONE_URL} and {settings.GITHUB_TOKEN}"
        )
    yield dg.MaterializeResult(
        metadata={
            "repositories": len(results),
            "refs": sum(int(r["refs"]) for r in results.values()),
            "pull_refs": sum(int(r["pull_refs"]) for r in results.values()),
            "path": dg.MetadataValue.path(str(home / "git")),
        }
    )
