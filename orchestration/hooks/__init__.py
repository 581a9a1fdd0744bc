"""``tokenworth hooks install``: the git hook that writes an agent's session id into its commits.

The hook (``prepare-commit-msg`` beside this module) adds ``AI-Session: <agent>/<session id>``
when the commit is made inside an agent session (Claude Code exports ``CLAUDE_CODE_SESSION_ID`` to
the commands it runs); the warehouse links that session to every pull request holding such a
commit (``session_trailer``, the exact attribution method). Commits made by people are untouched.
"""

from __future__ import annotations

import stat
import subprocess
from importlib.resources import files
from pathlib import Path

HOOK = "prepare-commit-msg"
MARKER = "tokenworth-hook: prepare-commit-msg"


class HookError(RuntimeError):
    """The hook cannot be installed; the message says why and what to do."""


def hook_source() -> Path:
    """The shipped hook script (for ``git config core.hooksPath``, point at its directory)."""
    return Path(str(files("orchestration.hooks") / HOOK))


def hooks_dir(repo: Path) -> Path:
    """Where git runs ``repo``'s hooks: ``core.hooksPath`` when set, else ``.git/hooks``.

    Raises:
        HookError: ``repo`` is not a git repository.
    """
    result = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--path-format=absolute", "--git-path", "hooks"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise HookError(f"{repo} is not a git repository: {result.stderr.strip()}")
    return Path(result.stdout.strip())


def install(repo: Path) -> Path:
    """Install (or update) the hook in ``repo``; returns its path.

    Raises:
        HookError: the repository already has another ``prepare-commit-msg`` hook (never
            overwritten: the message says how to call this one from it).
    """
    directory = hooks_dir(repo)
    target = directory / HOOK
    if target.exists() and MARKER not in target.read_text(errors="replace"):
        raise HookError(
            f"{target} already exists and is not tokenworth's: add the line "
            f'`"{hook_source()}" "$@" || exit $?` to it, or move it away and run '
            "`tokenworth hooks install` again"
        )
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(hook_source().read_text())
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return target
