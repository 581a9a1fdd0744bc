"""The default branch's first-parent chain and what each PR and chain commit did on it.

``read_chain`` reads the chain (oldest first), ``derive_pr_positions`` and ``pr_chain_commits``
find the chain commits a PR landed as, ``read_path_changes`` which paths each chain commit wrote,
renamed or deleted, and ``pr_files`` the files a PR added lines to.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime

from orchestration.lib.git_durability.git import Git, GitError, decode_path
from orchestration.lib.git_durability.lines import PathExcluder
from orchestration.lib.git_durability.records import DurabilityStats

_SQUASH_SUFFIX = re.compile(r"\(#(\d+)\)\s*$")
_MERGE_PR = re.compile(r"^Merge pull request #(\d+) from (\S+)")
REVERTS = re.compile(r"This reverts commit ([0-9a-fA-F]{7,64})")


@dataclass
class ChainCommit:
    oid: str
    parents: tuple[str, ...]
    committed_at: int  # unix seconds
    committer_email: str
    subject: str
    reverted_shas: tuple[str, ...]
    merged_pr: int | None  # from "(#N)" or "Merge pull request #N"
    merged_branch: str  # "owner/branch" of "Merge pull request #N from owner/branch"


class Chain:
    """The default branch's first-parent chain, oldest first."""

    def __init__(self, commits: list[ChainCommit]) -> None:
        self.commits = commits
        self.position = {c.oid: i for i, c in enumerate(commits)}
        # Committer dates are not monotonic (clock skew, rebases); the suffix minimum is, and the
        # last position with date <= t is the count of suffix minima <= t, minus one.
        self._suffix_min: list[int] = [0] * len(commits)
        running = 2**62
        for i in range(len(commits) - 1, -1, -1):
            running = min(running, commits[i].committed_at)
            self._suffix_min[i] = running

    def last_at_or_before(self, unix_seconds: int) -> int:
        return bisect.bisect_right(self._suffix_min, unix_seconds) - 1

    def resolve(self, oid: str) -> int | None:
        pos = self.position.get(oid)
        if pos is None and len(oid) < 40:
            matches = [p for o, p in self.position.items() if o.startswith(oid)]
            pos = matches[0] if len(matches) == 1 else None
        return pos


def _parse_chain_record(record: bytes) -> ChainCommit:
    oid, parents, ctime, email, message = record.split(b"\x1f", 4)
    text = message.decode("utf-8", "replace").strip()
    subject = text.split("\n", 1)[0]
    merge = _MERGE_PR.match(subject)
    squash = _SQUASH_SUFFIX.search(subject)
    number = int(merge.group(1)) if merge else int(squash.group(1)) if squash else None
    return ChainCommit(
        oid=oid.decode(),
        parents=tuple(p.decode() for p in parents.split()),
        committed_at=int(ctime),
        committer_email=email.decode("utf-8", "replace").lower(),
        subject=subject,
        reverted_shas=tuple(s.lower() for s in REVERTS.findall(text)),
        merged_pr=number,
        merged_branch=merge.group(2) if merge else "",
    )


def read_chain(git: Git, default_branch: str) -> Chain:
    """Stream the first-parent chain with the bits of each message we need (not whole bodies)."""
    fmt = "--format=%x1e%H%x1f%P%x1f%ct%x1f%ce%x1f%B"
    records: list[ChainCommit] = []
    pending = b""
    for chunk in git.stream(["log", "--first-parent", fmt, default_branch, "--"]):
        pending += chunk
        if b"\x1e" in pending:
            *done, pending = pending.split(b"\x1e")
            records.extend(_parse_chain_record(r) for r in done if r.strip())
    if pending.strip():
        records.append(_parse_chain_record(pending))
    git.stats.other_git_invocations += 1
    records.reverse()
    return Chain(records)


def derive_pr_positions(
    chain: Chain,
    merge_pos: int,
    number: int | None,
    commit_oids: Sequence[str],
    taken: AbstractSet[int],
) -> list[int]:
    merge = chain.commits[merge_pos]
    if len(merge.parents) > 1:
        return [merge_pos]  # --first-parent blame credits the whole PR to the merge commit
    on_chain = [chain.position[o] for o in commit_oids if o in chain.position]
    if commit_oids and len(on_chain) == len(commit_oids):
        return sorted(set(on_chain) | {merge_pos})  # rebase that kept the shas (fast-forward)
    limit = len(commit_oids) if commit_oids else 10_000
    positions = [merge_pos]
    pos = merge_pos - 1
    while pos >= 0 and len(positions) < limit:
        prev, nxt = chain.commits[pos], chain.commits[pos + 1]
        same_landing = (
            len(prev.parents) == 1
            and pos not in taken
            and prev.committer_email == merge.committer_email
            and abs(nxt.committed_at - prev.committed_at) <= 60
            and (prev.merged_pr is None or prev.merged_pr == number)
        )
        if not same_landing:
            break
        positions.append(pos)
        pos -= 1
    return sorted(positions)


def pr_chain_commits(
    repo_path: str,
    default_branch: str,
    merge_commit_oid: str,
    commit_oids: Sequence[str] = (),
    number: int | None = None,
) -> tuple[str, ...]:
    """Chain commits that belong to a PR, oldest first (what blame attributes its lines to).

    * merge commit (two parents): the merge commit alone (we blame with ``--first-parent``);
    * the PR's own commits are all on the chain (fast-forward / sha-preserving rebase): those;
    * otherwise squash or rebase merge: the merge commit plus the chain commits just before it
      that were landed in the same operation — single-parent, same committer, committed within 60
      seconds of the next, not marked as another PR (``(#M)``). GitHub's rebase merge writes all
      commits at once with one committer and one time, while two separate squash merges carry
      different ``(#N)`` suffixes. With ``commit_oids`` given, at most that many commits are taken.
    """
    stats = DurabilityStats()
    chain = read_chain(Git(repo_path, stats), default_branch)
    pos = chain.resolve(merge_commit_oid)
    if pos is None:
        raise GitError(f"{merge_commit_oid} is not on the first-parent chain of {default_branch}")
    positions = derive_pr_positions(chain, pos, number, commit_oids, frozenset())
    return tuple(chain.commits[p].oid for p in positions)


def read_path_changes(
    git: Git, chain: Chain, start: int, end: int
) -> tuple[dict[str, list[int]], dict[str, list[tuple[int, str | None]]]]:
    """Per path: chain positions that wrote it, and positions where it was deleted or renamed.

    One ``git log --first-parent -M --name-status -z`` over the range; merges are diffed against
    their first parent, as blame --first-parent sees them.
    """
    writes: dict[str, list[int]] = defaultdict(list)
    moves: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
    if end < start:
        return writes, moves
    rev_range = [chain.commits[end].oid]
    if start > 0:
        rev_range.append("^" + chain.commits[start - 1].oid)
    args = ["log", "--first-parent", "--diff-merges=first-parent", "-M", "--name-status", "-z"]
    out = git.run([*args, "--format=%x01%H", *rev_range, "--"])
    git.stats.other_git_invocations += 1
    for record in out.split(b"\x01")[1:]:
        header, _, body = record.partition(b"\x00")
        pos = chain.position.get(header.decode().strip())
        if pos is None:
            continue
        tokens = body.lstrip(b"\n").split(b"\x00")
        i = 0
        while i < len(tokens) and tokens[i]:
            status = tokens[i][:1].decode()
            if status in "RC":
                old, new = decode_path(tokens[i + 1]), decode_path(tokens[i + 2])
                writes[new].append(pos)
                if status == "R":
                    moves[old].append((pos, new))
                i += 3
            else:
                path = decode_path(tokens[i + 1])
                if status == "D":
                    moves[path].append((pos, None))
                else:
                    writes[path].append(pos)
                i += 2
    for positions in writes.values():
        positions.sort()
    for events in moves.values():
        events.sort(key=lambda e: e[0])
    return writes, moves


def pr_files(
    git: Git, base: str | None, merge: str, excluder: PathExcluder
) -> tuple[list[str], bool]:
    """Text, non-excluded files the PR added lines to, by their path at the merge commit, and
    whether the PR renamed any file. Binary and excluded files are counted in
    ``git.stats.files_skipped``; a submodule's gitlink is no file to blame (it is left out)."""
    options = ["--numstat", "-z", "-M", "--ignore-submodules=all"]
    if base is None:  # root commit: diff against the empty tree
        args = ["diff-tree", "--root", "--no-commit-id", "-r", *options, merge]
    else:
        args = ["diff", *options, base, merge, "--"]
    out = git.run(args)
    git.stats.other_git_invocations += 1
    tokens = out.split(b"\x00")
    files: list[str] = []
    renamed = False
    i = 0
    while i < len(tokens) and tokens[i]:
        added, _deleted, path = tokens[i].split(b"\t", 2)
        if path:
            i += 1
        else:  # rename: "added\tdeleted\t\0old\0new\0"
            path = tokens[i + 2]
            renamed = True
            i += 3
        name = decode_path(path)
        # "-" marks binary files; 0 means nothing of the PR's can be in the file.
        if added == b"-":
            _count(git.stats.files_skipped, "binary")
        elif added != b"0":
            if excluder.excluded(name):
                _count(git.stats.files_skipped, "excluded")
            else:
                files.append(name)
    return files, renamed


def _count(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
