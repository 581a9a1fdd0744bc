"""Git mirrors of every repository (``git clone --mirror``), refreshed nightly.

Mirrors live in ``$TOKENWORTH_HOME/git/<owner>/<name>.git``. A mirror's refspec is
``+refs/*:refs/*``, so GitHub's ``refs/pull/*`` (the heads of pull requests, including closed
and force-pushed ones) come along; ``git remote update --prune`` follows deletions. Updating is
idempotent: every night simply brings the mirrors up to date.

Repository names come from configuration and from the GitHub API; both are checked against
GitHub's rules before they become a path, so no name can reach outside ``$TOKENWORTH_HOME/git``.
"""

import base64
import os
import re
import subprocess
import time
from pathlib import Path

from orchestration.lib.redact import redact

_GIT_TIMEOUT_SECONDS = 3600
# Mirrors update a few at a time: each update is mostly waiting on git and the network (one
# after another, 40 repositories took 19 s of a night's 70 s on the large benchmark profile).
_MIRROR_WORKERS = 4


# GitHub's rules: an owner is 1-39 letters, digits or single inner hyphens; a repository name
# is up to 100 letters, digits, '.', '-' or '_', and neither '.' nor '..'.
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class GitMirrorError(RuntimeError):
    """A git command failed; the message names the repository, never a credential."""


class RepositoryNameError(ValueError):
    """Not an ``owner/name`` GitHub could have given; the message names where it came from."""


def check_repository_name(repo: str, origin: str) -> str:
    """``repo`` when it is a valid ``owner/name``; else :class:`RepositoryNameError`.

    Args:
        origin: where the name came from, for the message (a variable, "the GitHub API").
    """
    owner, _, name = repo.partition("/")
    if _OWNER.match(owner) and _NAME.match(name) and name not in (".", ".."):
        return repo
    raise RepositoryNameError(
        f"{origin}: {repo!r} is not a GitHub repository name (owner/name: letters, digits, "
        "'-' in the owner; letters, digits, '.', '-', '_' in the name): fix or remove it"
    )


def mirror_path(home: Path, repo: str) -> Path:
    """Where ``repo``'s mirror lives; the name must have passed :func:`check_repository_name`."""
    owner, name = check_repository_name(repo, "git mirror").split("/", 1)
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


def _run_git(
    args: list[str],
    env: dict[str, str],
    repo: str,
    cwd: Path | None = None,
    deadline: float | None = None,
) -> str:
    timeout = float(_GIT_TIMEOUT_SECONDS)
    if deadline is not None:
        timeout = min(timeout, deadline - time.monotonic())
        if timeout <= 0:
            raise GitMirrorError(
                f"git {args[0]} of {repo} not started: run deadline reached "
                "(TOKENWORTH_RUN_TIMEOUT_SECONDS)"
            )
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitMirrorError(f"git {args[0]} of {repo} timed out") from None
    if done.returncode != 0:
        raise GitMirrorError(
            f"git {args[0]} of {repo} failed: {first_error_line(done.stderr or done.stdout)}"
        )
    return done.stdout


def first_error_line(output: str) -> str:
    """git's own first error line (``fatal: …``/``error: …``), else its first line of output.

    git often ends with advice ("Please make sure you have the correct access rights / and the
    repository exists."), so the last line says nothing about the cause.
    """
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return redact((errors or lines or ["(no output)"])[0])[:300]


def update_mirror(
    home: Path, repo: str, url: str, token: str | None, deadline: float | None = None
) -> dict[str, int | str]:
    """Clone ``url`` as a mirror (first time) or fetch everything with pruning; no git command
    runs past ``deadline`` (a ``time.monotonic()`` instant)."""
    path = mirror_path(home, repo)
    env = _git_env(url, token)

    def git(args: list[str], cwd: Path | None = None) -> str:
        return _run_git(args, env, repo, cwd=cwd, deadline=deadline)

    if not (path / "HEAD").exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        git(["clone", "--mirror", "--quiet", url, str(path)])
        action = "cloned"
    else:
        # The clone URL may change (e.g. a new template); keep the remote in step.
        git(["remote", "set-url", "origin", url], cwd=path)
        action = "updated"
    # Make sure PR heads are fetched even for a mirror created by other means.
    git(["config", "--replace-all", "remote.origin.fetch", "+refs/*:refs/*"], cwd=path)
    git(["remote", "update", "--prune"], cwd=path)
    refs = git(["for-each-ref", "--format=%(refname)"], cwd=path).split()
    return {
        "action": action,
        "refs": len(refs),
        "pull_refs": sum(1 for r in refs if r.startswith("refs/pull/")),
    }
