"""``tokenworth hooks install``: the prepare-commit-msg hook, tried with real git commits."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from orchestration.cli import main
from orchestration.hooks import hook_source

SESSION = "1b7a3c52-9f0e-4d8e-a6b1-2f4c8e9d0a11"
AGENT_VARIABLES = ("CLAUDE_CODE_SESSION_ID", "AI_SESSION_AGENT", "AI_SESSION_ID")


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    base = {k: v for k, v in os.environ.items() if k not in AGENT_VARIABLES}
    base.update(
        GIT_AUTHOR_NAME="Ana", GIT_AUTHOR_EMAIL="ana@acme.example",
        GIT_COMMITTER_NAME="Ana", GIT_COMMITTER_EMAIL="ana@acme.example",
    )  # fmt: skip
    result = subprocess.run(
        ["git", "-C", str(repo), *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "a.txt").write_text("one\n")
    _git(path, "add", "a.txt")
    _git(path, "commit", "-q", "-m", "feat: first")
    return path


def _commit(repo: Path, message: str, env: dict[str, str] | None = None) -> str:
    with (repo / "a.txt").open("a") as handle:
        handle.write("more\n")
    _git(repo, "commit", "-q", "-a", "-m", message, env=env)
    return _git(repo, "log", "-1", "--format=%B").strip()


def test_agent_commits_carry_the_session_and_people_commits_do_not(repo: Path) -> None:
    assert main(["hooks", "install", str(repo)]) == 0
    agent = _commit(repo, "fix: rounding", {"CLAUDE_CODE_SESSION_ID": SESSION})
    assert agent == f"fix: rounding\n\nAI-Session: claude_code/{SESSION}"
    trailers = _git(repo, "log", "-1", "--format=%(trailers:key=AI-Session,valueonly)").strip()
    assert trailers == f"claude_code/{SESSION}"
    human = _commit(repo, "docs: by hand")
    assert human == "docs: by hand"


def test_amending_keeps_one_trailer_and_other_trailers_stay(repo: Path) -> None:
    main(["hooks", "install", str(repo)])
    env = {"CLAUDE_CODE_SESSION_ID": SESSION}
    message = "feat: x\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
    _commit(repo, message, env)
    _git(repo, "commit", "-q", "--amend", "--no-edit", env=env)
    body = _git(repo, "log", "-1", "--format=%B").strip()
    assert body.count("AI-Session:") == 1
    assert "Co-Authored-By: Claude <noreply@anthropic.com>" in body


def test_other_agents_name_themselves_and_forged_ids_are_ignored(repo: Path) -> None:
    main(["hooks", "install", str(repo)])
    other = _commit(repo, "chore: y", {"AI_SESSION_AGENT": "codex", "AI_SESSION_ID": "abc-123"})
    assert other.endswith("AI-Session: codex/abc-123")
    forged = _commit(repo, "chore: z", {"CLAUDE_CODE_SESSION_ID": "x\nSigned-off-by: Mallory"})
    assert forged == "chore: z"


def test_install_honours_core_hooks_path_and_is_idempotent(repo: Path) -> None:
    _git(repo, "config", "core.hooksPath", ".githooks")
    assert main(["hooks", "install", str(repo)]) == 0
    assert main(["hooks", "install", str(repo)]) == 0
    hook = repo / ".githooks" / "prepare-commit-msg"
    assert hook.read_text() == hook_source().read_text()
    assert os.access(hook, os.X_OK)
    assert _commit(repo, "feat: z", {"CLAUDE_CODE_SESSION_ID": SESSION}).endswith(SESSION)


def test_an_existing_hook_is_never_overwritten(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = repo / ".git" / "hooks" / "prepare-commit-msg"
    existing.write_text("#!/bin/sh\nexit 0\n")
    assert main(["hooks", "install", str(repo)]) == 1
    assert existing.read_text() == "#!/bin/sh\nexit 0\n"
    assert str(hook_source()) in capsys.readouterr().err


def test_not_a_repository_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["hooks", "install", str(tmp_path)]) == 1
    assert "is not a git repository" in capsys.readouterr().err


def test_hooks_path_prints_the_directory_for_core_hooks_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["hooks", "path"]) == 0
    assert Path(capsys.readouterr().out.strip()) == hook_source().parent
