"""Benchmark of ``git_durability.measure`` against the naive one-blame-per-PR-per-file method.

``run_benchmark`` returns figures (no assertions, no timing thresholds): blame invocations and
seconds of the shared method and of the baseline, and whether both produced the same rows.
It runs on a synthetic repository (``build_synthetic_repo``: squash, merge-commit and rebase
landings, reverts, renames, deletions, lock files, over months) or on any existing repository or
bare mirror, whose PRs are read from its history (``prs_from_history``).

    python -m orchestration.bench.durability --prs 600 --days 120
    python -m orchestration.bench.durability --repo /path/to/mirror.git --branch main
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestration.lib.git_durability.chain import read_chain
from orchestration.lib.git_durability.git import Git
from orchestration.lib.git_durability.measure import measure
from orchestration.lib.git_durability.records import (
    DurabilityResult,
    DurabilityStats,
    MergedPullRequest,
)

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def baseline_measure(
    repo_path: str,
    default_branch: str,
    prs: Sequence[MergedPullRequest],
    horizons_days: Sequence[int],
    as_of: datetime,
) -> DurabilityResult:
    """The naive method: one blame per PR per file at its merge and at every horizon's snapshot."""
    return measure(repo_path, default_branch, prs, horizons_days, as_of, share_blames=False)


def prs_from_history(
    repo_path: str, default_branch: str, repo: str = ""
) -> list[MergedPullRequest]:
    """PRs recognisable from the first-parent chain: ``(#N)`` squash subjects, merge messages."""
    chain = read_chain(Git(repo_path, DurabilityStats()), default_branch)
    found: dict[int, MergedPullRequest] = {}
    for commit in chain.commits:
        if commit.merged_pr is None:
            continue
        found[commit.merged_pr] = MergedPullRequest(
            repo=repo or Path(repo_path).name,
            number=commit.merged_pr,
            merged_at=datetime.fromtimestamp(commit.committed_at, tz=UTC),
            merge_commit_oid=commit.oid,
            title=commit.subject,
            head_ref=commit.merged_branch.split("/", 1)[-1],
        )
    return sorted(found.values(), key=lambda p: p.merged_at)


# --------------------------------------------------------------------------- synthetic repository


@dataclass
class _Landing:
    number: int
    at: datetime
    mark: int
    title: str
    head_ref: str


class _FastImport:
    """Writes a ``git fast-import`` stream: thousands of commits in a second, exact dates."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0

    def commit(
        self,
        ref: str,
        message: str,
        at: datetime,
        changes: list[tuple[str, str, str | None]],  # (op, path, content or new path)
        parent: int | None,
        merge: int | None = None,
        committer: str = "Dev <dev@example.com>",
    ) -> int:
        self.mark += 1
        stamp = int(at.timestamp())
        body = message.encode()
        out = [f"commit {ref}\nmark :{self.mark}\n".encode()]
        out.append(
            f"author {committer} {stamp} +0000\ncommitter {committer} {stamp} +0000\n".encode()
        )
        out.append(f"data {len(body)}\n".encode() + body + b"\n")
        if parent is not None:
            out.append(f"from :{parent}\n".encode())
        if merge is not None:
            out.append(f"merge :{merge}\n".encode())
        for op, path, arg in changes:
            if op == "M":
                data = (arg or "").encode()
                out.append(f'M 100644 inline "{path}"\ndata {len(data)}\n'.encode() + data + b"\n")
            elif op == "D":
                out.append(f'D "{path}"\n'.encode())
            else:
                out.append(f'R "{path}" "{arg}"\n'.encode())
        self.parts.append(b"".join(out) + b"\n")
        return self.mark


def _line(rng: random.Random, author: int) -> str:
    roll = rng.random()
    if roll < 0.08:
        return ""
    if roll < 0.12:
        return rng.choice(["}", "end", "pass", "  )"])
    name = f"v{rng.randrange(10**6)}"
    return f"    {name} = compute_{author}({rng.randrange(1000)}, {name!r})"


def build_synthetic_repo(
    path: Path, prs: int = 600, days: int = 120, files: int = 80, seed: int = 7
) -> tuple[list[MergedPullRequest], datetime]:
    """A repository with ``prs`` PRs landed over ``days`` days; returns the PRs and an as_of."""
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    fi = _FastImport()
    state: dict[str, list[str]] = {
        f"src/mod_{i:03d}.py": [_line(rng, 0) for _ in range(rng.randint(20, 120))]
        for i in range(files)
    }
    state["package-lock.json"] = [f'"dep{i}": "1.0.{i}"' for i in range(200)]
    head = fi.commit(
        "refs/heads/main",
        "initial",
        START - timedelta(days=1),
        [("M", p, "\n".join(c) + "\n") for p, c in state.items()],
        None,
    )
    landings: list[_Landing] = []
    history: list[tuple[_Landing, dict[str, list[str] | None]]] = []  # pre-images for reverts
    step = timedelta(days=days) / prs
    for n in range(1, prs + 1):
        at = START + step * (n - 1) + timedelta(minutes=rng.randint(0, 20))
        kind = rng.random()
        if kind < 0.03 and history:
            original, before = history[-1]
            changes = []
            for p, content in before.items():
                if content is None:
                    if p in state:
                        changes.append(("D", p, None))
                        del state[p]
                else:
                    state[p] = list(content)
                    changes.append(("M", p, "\n".join(content) + "\n"))
            title = f'Revert "{original.title}"'
            head = fi.commit("refs/heads/main", f"{title} (#{n})", at, changes, head)
            landings.append(_Landing(n, at, head, title, f"revert-{original.number}-x"))
            history.clear()
            continue
        touched = rng.sample(sorted(state), k=min(len(state), rng.randint(1, 4)))
        before: dict[str, list[str] | None] = {p: list(state[p]) for p in touched}
        changes: list[tuple[str, str, str | None]] = []
        for p in touched:
            content = state[p]
            for _ in range(rng.randint(0, 6)):  # rewrite some lines
                if content:
                    content[rng.randrange(len(content))] = _line(rng, n)
            insert_at = rng.randrange(len(content) + 1)
            content[insert_at:insert_at] = [_line(rng, n) for _ in range(rng.randint(1, 15))]
            if rng.random() < 0.2 and len(content) > 10:
                cut = rng.randrange(len(content))
                del content[cut : cut + rng.randint(1, 8)]
            changes.append(("M", p, "\n".join(content) + "\n"))
        if rng.random() < 0.03:
            victim = rng.choice(sorted(p for p in state if p not in touched and p.endswith(".py")))
            before[victim] = list(state.pop(victim))
            changes.append(("D", victim, None))
        if rng.random() < 0.04:
            old = rng.choice(sorted(p for p in state if p not in touched and p.endswith(".py")))
            new = f"src/renamed_{n}.py"
            state[new] = state.pop(old)
            before[old], before[new] = list(state[new]), None
            changes.insert(0, ("R", old, new))
        title = f"change {n}"
        if kind < 0.80:  # squash
            head = fi.commit("refs/heads/main", f"{title} (#{n})", at, changes, head)
            landing = _Landing(n, at, head, title, f"feat-{n}")
        elif kind < 0.92:  # merge commit, branch cut just before
            ref = f"refs/heads/pr-{n}"
            tip = fi.commit(ref, f"{title} work", at - timedelta(hours=1), changes, head)
            message = f"Merge pull request #{n} from acme/pr-{n}\n\n{title}"
            head = fi.commit("refs/heads/main", message, at, changes, head, merge=tip)
            landing = _Landing(n, at, head, title, f"pr-{n}")
        else:  # rebase: one commit per change, same committer and time
            for i, change in enumerate(changes):
                head = fi.commit(
                    "refs/heads/main",
                    f"{title} step {i + 1}",
                    at,
                    [change],
                    head,
                    committer="GitHub <noreply@github.com>",
                )
            landing = _Landing(n, at, head, title, f"rb-{n}")
        landings.append(landing)
        history.append((landing, before))
    marks = Path(tempfile.mkstemp(suffix=".marks")[1])
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet", f"--export-marks={marks}"],
        input=b"".join(fi.parts),
        check=True,
    )
    oid_of = dict(line.split(" ", 1) for line in marks.read_text().splitlines())
    marks.unlink()
    result = [
        MergedPullRequest(
            "acme/synthetic", x.number, x.at, oid_of[f":{x.mark}"], (), x.title, x.head_ref
        )
        for x in landings
    ]
    return result, START + timedelta(days=days + 1)


# --------------------------------------------------------------------------- the benchmark


def _figures(result: DurabilityResult) -> dict[str, float | int]:
    stats = result.stats
    return {
        "forward_blames": stats.blame_invocations,
        "files_read_from_blobs": stats.files_read_from_blobs,
        "reverse_blames": stats.reverse_blame_invocations,
        "total_blames": stats.total_blame_invocations,
        "other_git_calls": stats.other_git_invocations,
        "blame_seconds": round(stats.blame_seconds, 2),
        "reverse_blame_seconds": round(stats.reverse_blame_seconds, 2),
        "seconds": round(stats.seconds, 2),
        "pairs": stats.pairs_computed,
        "survival_rows": len(result.survival),
        "rework_rows": len(result.rework),
    }


def run_benchmark(
    repo_path: str | None = None,
    default_branch: str = "main",
    horizons_days: Sequence[int] = (7, 30, 90),
    as_of: datetime | None = None,
    prs: int = 600,
    days: int = 120,
    with_baseline: bool = True,
) -> dict[str, object]:
    """Figures for the shared method and the naive baseline on one repository."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        if repo_path is None:
            repo_path = str(Path(tmp) / "synthetic.git")
            pull_requests, synthetic_as_of = build_synthetic_repo(Path(repo_path), prs, days)
            as_of = as_of or synthetic_as_of
        else:
            pull_requests = prs_from_history(repo_path, default_branch)
            as_of = as_of or datetime.now(UTC)
        build_seconds = time.perf_counter() - started
        commits = subprocess.run(
            ["git", "-C", repo_path, "rev-list", "--count", default_branch],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        shared = measure(repo_path, default_branch, pull_requests, horizons_days, as_of)
        figures: dict[str, object] = {
            "repo": repo_path,
            "prs": len(pull_requests),
            "commits": int(commits),
            "build_seconds": round(build_seconds, 2),
            "shared": _figures(shared),
            "naive_forward_blames_counted": shared.stats.baseline_blame_invocations,
        }
        if with_baseline:
            naive = baseline_measure(repo_path, default_branch, pull_requests, horizons_days, as_of)
            figures["baseline"] = _figures(naive)
            figures["same_rows"] = (
                naive.survival == shared.survival and naive.rework == shared.rework
            )
            figures["blame_ratio"] = round(
                naive.stats.total_blame_invocations / max(shared.stats.total_blame_invocations, 1),
                2,
            )
            figures["speedup"] = round(naive.stats.seconds / max(shared.stats.seconds, 1e-9), 2)
        return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", help="existing repository or bare mirror (default: synthetic)")
    parser.add_argument("--branch", default="main")
    parser.add_argument("--prs", type=int, default=600)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)
    figures = run_benchmark(
        args.repo, args.branch, prs=args.prs, days=args.days, with_baseline=not args.no_baseline
    )
    print(json.dumps(figures, indent=2))  # noqa: T201 - a command-line report


if __name__ == "__main__":
    main()
