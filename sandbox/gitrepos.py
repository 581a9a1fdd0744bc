"""Write the world's repositories to disk as real bare git repositories.

One ``git fast-import`` stream per repository holds the default branch (the initial import and
every squash or rebase merge) and every pull request's branch commits under
``refs/pull/<n>/head``, as GitHub exposes them; open PRs also keep their head branch (unless it
lives in a fork). The generator already computed every commit id (``gitobjects``); after the
import this module checks that git arrived at the same ids, so anything served by the sandbox's
GitHub API matches the repositories exactly.

Some commits the API names are deliberately never written: a force-pushed branch's replaced
commits and an unfetchable PR's base and head (``sandbox.reality``). Repositories are written as
of a day (``as_of``; default: the end of the world): a deleted repository is removed, so its clone
URL fails; a renamed or transferred one moves to its new path and its old path becomes a symlink,
as GitHub redirects the old URL; an empty one has no commits at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from sandbox.gitobjects import signature
from sandbox.history import file_bytes, gitlink
from sandbox.model import Commit, Repository, World


class GitWriteError(RuntimeError):
    pass


def repository_path(out_dir: Path, full_name: str) -> Path:
    return out_dir / "git" / f"{full_name}.git"


def clone_url_template(out_dir: Path) -> str:
    """The ``TOKENWORTH_GIT_CLONE_URL`` value that points the pipeline at these repositories."""
    return (out_dir.resolve() / "git").as_uri() + "/{repo}.git"


def write_repositories(world: World, out_dir: Path, as_of: date | None = None) -> None:
    """Write every repository of ``world`` under ``out_dir/git/<owner>/<name>.git`` as it is on
    ``as_of`` (None: the end of the world); calling again with a later day moves, links and
    removes repositories as their events say."""
    for repo in world.repositories:
        names = repo.names_until(as_of)
        current = repo.name_on(as_of)
        paths = [repository_path(out_dir, name) for name in names]
        written = next((p for p in paths if p.exists() and not p.is_symlink()), None)
        if current is None:  # deleted: nothing answers at any of its URLs
            for old in paths:
                if old.is_symlink():
                    old.unlink()
                elif old.exists():
                    shutil.rmtree(old)
            repo.path = None
            continue
        path = repository_path(out_dir, current)
        if written is not None and written != path:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(written, path)
        write_repository(repo, path)
        for old in paths:
            if old != path and not old.exists():
                old.parent.mkdir(parents=True, exist_ok=True)
                old.symlink_to(os.path.relpath(path, old.parent))
        repo.path = str(path)


def write_repository(repo: Repository, path: Path) -> None:
    if path.exists():
        # Same seed, same world: an existing repository with the same tip is already right.
        tip = _git(path, "rev-parse", "--verify", "-q", f"refs/heads/{repo.default_branch}")
        if tip.strip() == (repo.history[-1].oid if repo.history else ""):
            return
        raise GitWriteError(
            f"{path} already holds a different repository; remove it or choose another --out"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "init", "--bare", "-q", "-b", repo.default_branch, str(path)],
        check=True,
    )
    _git(path, "config", "gc.auto", "0")
    if not repo.history:
        return  # empty: a clone says "You appear to have cloned an empty repository"
    marks = path / "tokenworth-marks"
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done", f"--export-marks={marks}"],
        cwd=path,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    for chunk in _stream(repo):
        proc.stdin.write(chunk)
    proc.stdin.close()
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.wait() != 0:
        raise GitWriteError(f"git fast-import failed for {repo.full_name}: {stderr}")
    _verify(repo, path, marks)
    marks.unlink()


def _stream(repo: Repository) -> Iterator[bytes]:
    marks: dict[int, int] = {}

    def emit(commit: Commit, ref: str) -> Iterator[bytes]:
        if id(commit) in marks:
            # Already written (e.g. as another ref's ancestor): just point the ref at it.
            yield f"reset {ref}\nfrom :{marks[id(commit)]}\n\n".encode()
            return
        mark = len(marks) + 1
        marks[id(commit)] = mark
        message = commit.message.encode()
        head = [
            f"commit {ref}",
            f"mark :{mark}",
            f"author {signature(commit.author_name, commit.author_email, commit.authored_at)}",
            "committer "
            + signature(commit.committer_name, commit.committer_email, commit.committed_at),
            f"data {len(message)}",
        ]
        yield ("\n".join(head) + "\n").encode() + message
        lines = []
        if commit.parent is not None:
            lines.append(f"from :{marks[id(commit.parent)]}")
        yield ("\n".join(lines) + "\n").encode() if lines else b""
        for path, content in commit.files.items():
            if content is None:
                yield f"D {path}\n".encode()
            elif (submodule := gitlink(content)) is not None:
                yield f"M 160000 {submodule} {path}\n".encode()
            else:
                data = file_bytes(content)
                yield f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
        yield b"\n"

    main = f"refs/heads/{repo.default_branch}"
    merged_at_index = {id(c): i for i, c in enumerate(repo.history)}
    # Branch commits hang off default-branch commits, so write them right after their base.
    branches: dict[int, list] = {}
    for pr in repo.pull_requests:
        if pr.commits and not pr.unfetchable:
            base = pr.commits[0].parent
            branches.setdefault(merged_at_index[id(base)] if base else -1, []).append(pr)
    for i, commit in enumerate(repo.history):
        yield from emit(commit, main)
        for pr in branches.get(i, []):
            ref = f"refs/pull/{pr.number}/head"
            for c in pr.commits:
                yield from emit(c, ref)
            if pr.state == "OPEN" and pr.fork is None and not pr.fork_deleted:
                yield from emit(pr.commits[-1], f"refs/heads/{pr.head_ref}")
    yield f"reset {main}\nfrom :{marks[id(repo.history[-1])]}\n\n".encode()
    yield b"done\n"


def _verify(repo: Repository, path: Path, marks_file: Path) -> None:
    written = {}
    for line in marks_file.read_text().splitlines():
        mark, oid = line.split()
        written[int(mark[1:])] = oid
    expected = [c for c in repo.history] + [
        c for pr in repo.pull_requests if not pr.unfetchable for c in pr.commits
    ]
    tip = _git(path, "rev-parse", f"refs/heads/{repo.default_branch}").strip()
    if tip != repo.history[-1].oid:
        raise GitWriteError(
            f"{repo.full_name}: git wrote tip {tip} but the generator computed "
            f"{repo.history[-1].oid}; the sandbox's object hashing is out of step with git"
        )
    oids = set(written.values())
    missing = [c.oid for c in expected if c.oid not in oids]
    if missing:
        raise GitWriteError(
            f"{repo.full_name}: {len(missing)} commits differ from the generator's ids "
            f"(first {missing[0]})"
        )


def _git(path: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=False)
    if result.returncode != 0 and args[:1] != ("rev-parse",):
        raise GitWriteError(f"git {' '.join(args)} failed in {path}: {result.stderr.strip()}")
    return result.stdout
