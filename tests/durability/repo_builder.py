"""Build small, real git repositories with fixed dates for the durability tests.

Every commit gets explicit author and committer dates (GIT_AUTHOR_DATE / GIT_COMMITTER_DATE), so
snapshots and horizons are deterministic. Helpers mimic how GitHub lands a pull request: squash
(one commit titled ``<title> (#N)``), merge commit (``--no-ff``, ``Merge pull request #N from
owner/branch``) and rebase (the PR's commits replayed on main with one committer and one time).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestration.lib.git_durability.records import MergedPullRequest

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
REPO = "acme/app"


def day(n: float, hours: float = 0.0) -> datetime:
    """A moment n days (plus hours) after T0."""
    return T0 + timedelta(days=n, hours=hours)


class RepoBuilder:
    def __init__(self, path: Path, branch: str = "main") -> None:
        self.path = path
        self.branch = branch
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", branch)
        self.git("config", "user.name", "Dev")
        self.git("config", "user.email", "dev@example.com")
        self.git("config", "commit.gpgsign", "false")

    # ------------------------------------------------------------------ low level

    def git(self, *args: str, at: datetime | None = None, committer: str | None = None) -> str:
        env = dict(os.environ)
        env.pop("GIT_DIR", None)
        if at is not None:
            stamp = at.strftime("%Y-%m-%dT%H:%M:%S+0000")
            env["GIT_AUTHOR_DATE"] = stamp
            env["GIT_COMMITTER_DATE"] = stamp
        if committer is not None:
            env["GIT_COMMITTER_NAME"] = committer
            env["GIT_COMMITTER_EMAIL"] = f"{committer}@example.com"
        proc = subprocess.run(
            ["git", "-C", str(self.path), *args], env=env, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout.strip()

    def head(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)

    def checkout(self, branch: str, create_from: str | None = None) -> None:
        if create_from is not None:
            self.git("checkout", "-q", "-b", branch, create_from)
        else:
            self.git("checkout", "-q", branch)

    def write(self, files: Mapping[str, str | bytes | None]) -> None:
        """Write files (``None`` deletes) into the work tree and stage them."""
        for name, content in files.items():
            target = self.path / name
            if content is None:
                self.git("rm", "-q", "--", name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
            self.git("add", "--", name)

    def move(self, old: str, new: str) -> None:
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", "--", old, new)

    def read(self, name: str) -> str:
        return (self.path / name).read_text(encoding="utf-8")

    def commit(
        self,
        message: str,
        at: datetime,
        files: Mapping[str, str | bytes | None] | None = None,
        committer: str | None = None,
    ) -> str:
        if files:
            self.write(files)
        self.git("commit", "-q", "--allow-empty", "-m", message, at=at, committer=committer)
        return self.head()

    # ------------------------------------------------------------------ GitHub-like landings

    def squash_pr(
        self,
        number: int,
        title: str,
        at: datetime,
        files: Mapping[str, str | bytes | None],
        head_ref: str = "",
    ) -> MergedPullRequest:
        oid = self.commit(f"{title} (#{number})", at, files)
        return MergedPullRequest(REPO, number, at, oid, (), title, head_ref or f"feat-{number}")

    def merge_pr(
        self,
        number: int,
        title: str,
        at: datetime,
        branch_commits: list[Mapping[str, str | bytes | None]],
        base: str | None = None,
    ) -> MergedPullRequest:
        """Branch from ``base`` (default: main), commit each change, land with --no-ff."""
        head_ref = f"feature-{number}"
        self.checkout(head_ref, create_from=base or self.branch)
        oids: list[str] = []
        for i, files in enumerate(branch_commits):
            when = at - timedelta(hours=len(branch_commits) - i)
            oids.append(self.commit(f"{title} part {i + 1}", when, files))
        self.checkout(self.branch)
        message = f"Merge pull request #{number} from acme/{head_ref}\n\n{title}"
        self.git("merge", "-q", "--no-ff", "-m", message, head_ref, at=at)
        return MergedPullRequest(REPO, number, at, self.head(), tuple(oids), title, head_ref)

    def rebase_pr(
        self,
        number: int,
        title: str,
        at: datetime,
        commits: list[Mapping[str, str | bytes | None]],
        original_oids: tuple[str, ...] = (),
    ) -> tuple[MergedPullRequest, list[str]]:
        """Land commits one after another on main, all committed at ``at`` by one committer."""
        oids = [
            self.commit(f"{title}: step {i + 1}", at, files, committer="github")
            for i, files in enumerate(commits)
        ]
        pr = MergedPullRequest(REPO, number, at, oids[-1], original_oids, title, f"rb-{number}")
        return pr, oids

    def revert(self, oid: str, at: datetime, suffix: str = "") -> str:
        self.git("revert", "--no-edit", oid, at=at)
        if suffix:
            message = self.git("log", "-1", "--format=%B")
            subject, _, body = message.partition("\n")
            self.git("commit", "-q", "--amend", "-m", f"{subject}{suffix}\n{body}", at=at)
        return self.head()

    def mirror(self, target: Path) -> str:
        """A bare mirror clone, as the pipeline keeps them."""
        subprocess.run(
            ["git", "clone", "-q", "--mirror", str(self.path), str(target)],
            check=True,
            capture_output=True,
        )
        return str(target)


def lines(*items: str) -> str:
    return "".join(f"{item}\n" for item in items)


def numbered(prefix: str, count: int, start: int = 1) -> list[str]:
    """Distinct, effective lines: ``<prefix> line 1`` ..."""
    return [f"{prefix} line {i}" for i in range(start, start + count)]
