"""Durability and rework of merged pull requests, measured from git history alone.

Pure library: data in (a repository path, its default branch, merged PRs), data out (rows and
stats). No Dagster, no warehouse; the assets that call it live elsewhere.

Semantics (the contract the tests pin down)
-------------------------------------------
*Default-branch chain.* Everything is measured along the default branch's **first-parent** chain:
the sequence of commits the branch pointed at, one per landing. Every blame runs with
``--first-parent``, so every line is attributed to exactly one chain commit:

* squash merge -> the squash commit;
* merge commit (``--no-ff``) -> the merge commit itself. Its lines are exactly the lines that differ
  from the merge's first parent, i.e. what the PR brought in plus any conflict resolution. Blaming
  without ``--first-parent`` would instead credit the PR branch's own commits, which double-counts
  stacked PRs (a branch commit that reached main through an earlier PR) and credits lines merged in
  from main during a "sync" merge to nobody in particular;
* rebase merge -> the rebased commits, which sit on the chain one after another.

``pr_chain_commits`` derives those commits from the merge commit alone (see its docstring), so
callers that only know ``merge_commit_oid`` work.

*Snapshot* of (PR, horizon h): the last chain commit whose committer date is <= merged_at + h
(never earlier than the merge commit itself). A horizon is *reached* when merged_at + h <= as_of;
only reached pairs that are not in ``already_measured`` are computed.

*The PR's lines*: lines of the files the PR changed, blamed at the merge commit, attributed to the
PR's chain commits, and *effective*: not blank, longer than 3 characters after trimming, in a file
whose path matches none of the exclude patterns (seed ``generated_file_patterns.csv``) and that git
does not consider binary (``--numstat`` shows ``-``). A line is identified by its blame origin
(commit, path in that commit, line number in that commit), which does not change however the line
moves later, so the same line is recognised at every snapshot.

*lines_surviving* at h: the PR's effective lines still attributed to them by blame at the snapshot.
Files are followed through renames (``git log -M`` along the chain, git's default 50% similarity);
a file deleted before the snapshot contributes nothing.

*Blame options.*

* ``-M``: a block moved *within* a file keeps its author. Moving code is not rewriting it, and
  without ``-M`` a reorder would count as the mover killing the lines. (Whole-file renames are
  followed by blame anyway.)
* not ``-C``: ``-C`` looks for lines copied from *other* files of the same commit. It is several
  times slower, and we only blame the files a PR's lines live in, so a cross-file move could not be
  credited anyway. Consequence: code moved to another file counts as not surviving, and as rework
  by the PR that moved it.
* ``-w``: a whitespace-only change (re-indent, trailing spaces, tab/space) keeps the line's author.
  A formatter run or wrapping code in a block does not rewrite the logic; without ``-w`` such PRs
  would show as massive rework of everyone's lines. The same flags are used forward and reverse.

*Rework.* For a PR, rework is measured at the snapshot of the largest horizon computed in this run
that is <= ``rework_window_days`` (``ReworkRow.horizon_days`` says which; rows from a larger horizon
supersede those from a smaller one for the same original PR). For each file with dead lines,
``git blame --reverse --first-parent <merge>..<snapshot>`` gives, per line of the file at the
merge, the last chain commit in which it still existed; the next chain commit removed or changed
it. That commit is mapped to a PR: by ``merge_commit_oid`` (or the rebased commits) of ``prs``,
else by the ``(#N)`` squash-subject suffix or ``Merge pull request #N`` message; else ``None``.
Rows are grouped per (original PR, later PR) — per killing commit when the later PR is unknown.
Each line is attributed to the first commit that killed it only, so a line rewritten twice is
rework of the first rewriter.

*Reverts.* A later change is a revert of the original when its message (or, for a merge commit,
its branch's messages) says ``This reverts commit <sha>`` of one of the original's commits, when
its title is ``Revert "<original title>"``, or when its head branch is ``revert-<number>-...``.
A revert's row counts all the original's lines it removed (100% of the reverted lines still alive).

Efficiency
----------
A PR landed as one chain commit (squash or merge commit) mostly needs no blame to find its
lines: ``own_lines_from_blobs`` reads them off the file before and after the merge (one
``git cat-file --batch`` for the run) whenever every diff git could compute credits the same
lines — the PR's effective lines are those whose text (ignoring whitespace) the parent does not
have, and the common lines keep their order. Moves, reorders, rename targets and repeated lines
are left to blame. On the demo sandbox's acme/api this replaces 891 of 970 merge-time blames.

Blame output for a path at a snapshot S equals the blame at T, the last chain commit <= S that wrote
that path: nothing between T and S touched the file. Blames are therefore keyed by (path, T),
run once and shared by every PR and horizon (and by the merge-time blame of a PR, which is T when
nothing changed the file since). Work is done in chain order and only the latest result per path is
kept, so memory stays bounded. All blames are planned before any runs, and each is bounded below by
``^<parent of the oldest PR commit among its consumers>``, so it never walks history that no PR
needs (the merge-time blame of a PR that shares no key walks only that PR's commits).

Most dead lines need no reverse blame: every shared forward blame of a file between a PR's merge
and its rework snapshot (planned to reach back to the PR's first commit) records which of the PR's
lines it still holds, so each dead line has a last version it was seen in and a first it was gone
from; when exactly one commit wrote the file in between, that commit killed it. The rest are
grouped by (path, version last seen in): one reverse blame from that version serves every PR whose
lines are there. Reverse blames follow only the lines asked about (``-L`` runs), so git stops at
the last of them. Output is
streamed and parsed from ``--porcelain`` (line contents come with it, so no blob reads are needed);
``-z`` is used wherever git offers it. ``DurabilityStats`` reports blame invocations next to the
naive one-blame-per-PR-per-file-per-horizon count.
"""

from __future__ import annotations

import bisect
import csv
import multiprocessing
import os
import re
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

SEED_PATH = (
    Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "generated_file_patterns.csv"
)
BLAME_FLAGS: tuple[str, ...] = ("--first-parent", "-M", "-w", "--porcelain")
MIN_EFFECTIVE_CHARS = 3  # a line is effective when longer than this after trimming
MAX_LINE_RANGES = 256  # beyond this many -L ranges a reverse blame just takes the whole file
MAX_BLOB_DIFF_EXTRA = 100  # more changed common lines than this: blame, not the blobs, decides

_SQUASH_SUFFIX = re.compile(r"\(#(\d+)\)\s*$")
_MERGE_PR = re.compile(r"^Merge pull request #(\d+) from (\S+)")
_REVERTS = re.compile(r"This reverts commit ([0-9a-fA-F]{7,64})")


# --------------------------------------------------------------------------- data in / data out


@dataclass(frozen=True)
class MergedPullRequest:
    repo: str
    number: int
    merged_at: datetime
    merge_commit_oid: str
    commit_oids: tuple[str, ...] = ()
    title: str = ""
    head_ref: str = ""


@dataclass(frozen=True)
class SurvivalRow:
    repo: str
    number: int
    horizon_days: int
    snapshot_oid: str
    snapshot_at: datetime
    effective_lines_added: int
    lines_surviving: int
    survival_rate: float | None
    computed_for_date: date


@dataclass(frozen=True)
class ReworkRow:
    repo: str
    original_number: int
    later_number: int | None
    later_commit_oid: str
    lines_reworked: int
    first_reworked_at: datetime
    days_after_merge: float
    is_revert: bool
    horizon_days: int


@dataclass
class DurabilityStats:
    blame_invocations: int = 0
    reverse_blame_invocations: int = 0
    other_git_invocations: int = 0
    baseline_blame_invocations: int = 0  # one blame per PR per file at merge and per horizon
    baseline_reverse_blame_invocations: int = 0  # one per PR per file with dead lines
    blame_seconds: float = 0.0
    reverse_blame_seconds: float = 0.0
    seconds: float = 0.0
    pairs_computed: int = 0
    prs_skipped: list[tuple[int, str]] = field(default_factory=list)
    blame_failures: list[str] = field(default_factory=list)
    unresolved_dead_lines: int = 0  # dead by forward blame, alive by reverse blame (rare)
    files_read_from_blobs: int = 0  # a PR's lines in a file found without a merge-time blame
    # Files of merged PRs left out of blame, by why: "binary" (git's numstat shows "-": images,
    # other binaries) and "excluded" (generated, vendored, lock files, minified bundles, by the
    # seed's patterns). Submodules (gitlinks) have no lines and never reach the diff.
    files_skipped: dict[str, int] = field(default_factory=dict)

    @property
    def total_blame_invocations(self) -> int:
        return self.blame_invocations + self.reverse_blame_invocations

    @property
    def baseline_total_blame_invocations(self) -> int:
        return self.baseline_blame_invocations + self.baseline_reverse_blame_invocations


@dataclass
class DurabilityResult:
    survival: list[SurvivalRow]
    rework: list[ReworkRow]
    stats: DurabilityStats


# --------------------------------------------------------------------------- exclude patterns


def load_exclude_patterns(path: Path | str = SEED_PATH) -> list[str]:
    """Read the ``pattern`` column of the generated/vendored/lock-file seed."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [row["pattern"].strip() for row in csv.DictReader(handle) if row["pattern"].strip()]


def _glob_to_regex(pattern: str) -> str:
    # gitignore-like: no "/" -> match the basename at any depth; "**" spans directories.
    if "/" not in pattern:
        pattern = "**/" + pattern
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


class PathExcluder:
    """Glob matching for exclude patterns (``*.lock``, ``**/vendor/**``, ``dist/**``)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(patterns)
        body = "|".join(f"(?:{_glob_to_regex(p)})" for p in self.patterns)
        self._regex = re.compile(f"^(?:{body})$") if body else None

    def excluded(self, path: str) -> bool:
        return bool(self._regex and self._regex.match(path))


def is_effective_line(text: str) -> bool:
    return len(text.strip()) > MIN_EFFECTIVE_CHARS


# --------------------------------------------------------------------------- git plumbing


class GitError(RuntimeError):
    pass


def _decode_path(raw: bytes) -> str:
    # surrogateescape round-trips non-UTF-8 path bytes back into argv unchanged.
    return raw.decode("utf-8", "surrogateescape")


def _unquote_c_style(raw: bytes) -> bytes:
    """Undo git's C-style quoting of a path (``"dir/caf\\303\\251 x.txt"``)."""
    if not (raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2):
        return raw
    body, out, i = raw[1:-1], bytearray(), 0
    escapes = {ord("n"): 10, ord("t"): 9, ord("r"): 13, ord("a"): 7, ord("b"): 8, ord("f"): 12}
    escapes |= {ord("v"): 11, ord("\\"): 92, ord('"'): 34}
    while i < len(body):
        ch = body[i]
        if ch == 92 and i + 1 < len(body):
            nxt = body[i + 1]
            octal = body[i + 1 : i + 4]
            if len(octal) == 3 and all(48 <= b <= 55 for b in octal):
                out.append(int(octal, 8))
                i += 4
                continue
            out.append(escapes.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return bytes(out)


class Git:
    """Runs git in one repository (bare or not) and counts invocations."""

    def __init__(self, repo_path: str, stats: DurabilityStats) -> None:
        self.repo_path = repo_path
        self.stats = stats

    def _argv(self, args: Sequence[str]) -> list[str]:
        # quotepath=off keeps UTF-8 names readable in the few outputs that have no -z.
        return ["git", "-C", self.repo_path, "-c", "core.quotepath=off", *args]

    def run(self, args: Sequence[str], stdin: bytes | None = None) -> bytes:
        proc = subprocess.run(self._argv(args), input=stdin, capture_output=True, check=False)
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"git {' '.join(args)}: {message}")
        return proc.stdout

    def stream(self, args: Sequence[str]) -> Iterator[bytes]:
        """Yield stdout lines (with their b"\\n") without holding the whole output."""
        # stderr goes to a file: a pipe nobody reads could fill up and stall git.
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen(
                self._argv(args), stdout=subprocess.PIPE, stderr=errors, bufsize=1 << 16
            )
            assert proc.stdout is not None
            with proc.stdout:
                yield from proc.stdout
            if proc.wait() != 0:
                errors.seek(0)
                message = errors.read().decode("utf-8", "replace").strip()
                raise GitError(f"git {' '.join(args)}: {message}")


# --------------------------------------------------------------------------- blame parsing

LineKey = tuple[str, str, int]  # (origin commit, path in that commit, line number there)


@dataclass
class BlameLine:
    commit: str
    orig_path: str
    orig_line: int
    final_line: int
    effective: bool

    @property
    def key(self) -> LineKey:
        return (self.commit, self.orig_path, self.orig_line)


def parse_porcelain(lines: Iterator[bytes]) -> Iterator[BlameLine]:
    """Parse ``git blame --porcelain`` (forward or ``--reverse``) one line at a time.

    The ``filename`` header is only repeated when a commit's details are first shown or when the
    commit touched several paths, so the last filename seen per commit is remembered.
    """
    filenames: dict[str, str] = {}
    commit, orig, final = "", 0, 0
    expect_header = True
    for raw in lines:
        if raw.startswith(b"\t"):
            text = raw[1:].rstrip(b"\n").decode("utf-8", "replace")
            yield BlameLine(commit, filenames.get(commit, ""), orig, final, is_effective_line(text))
            expect_header = True
        elif expect_header:
            parts = raw.split()
            commit, orig, final = parts[0].decode(), int(parts[1]), int(parts[2])
            expect_header = False
        elif raw.startswith(b"filename "):
            filenames[commit] = _decode_path(_unquote_c_style(raw[9:].rstrip(b"\n")))


@dataclass
class BlameResult:
    lines: list[BlameLine]
    _keys: frozenset[LineKey] | None = None

    @property
    def keys(self) -> frozenset[LineKey]:
        if self._keys is None:
            self._keys = frozenset(line.key for line in self.lines)
        return self._keys


# --------------------------------------------------------------------------- the chain


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
        reverted_shas=tuple(s.lower() for s in _REVERTS.findall(text)),
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


def _derive_pr_positions(
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
    positions = _derive_pr_positions(chain, pos, number, commit_oids, frozenset())
    return tuple(chain.commits[p].oid for p in positions)


def _read_path_changes(
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
                old, new = _decode_path(tokens[i + 1]), _decode_path(tokens[i + 2])
                writes[new].append(pos)
                if status == "R":
                    moves[old].append((pos, new))
                i += 3
            else:
                path = _decode_path(tokens[i + 1])
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


def _pr_files(
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
        name = _decode_path(path)
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


class BlobReader:
    """One ``git cat-file --batch`` for the whole run: blobs by ``<commit>:<path>``."""

    def __init__(self, git: Git) -> None:
        self.git = git
        self._proc: subprocess.Popen[bytes] | None = None

    def read(self, commit: str, path: str) -> bytes | None:
        """The blob's bytes, or None when ``path`` is not a blob in ``commit``."""
        if "\n" in path:
            return None
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "-C", self.git.repo_path, "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            self.git.stats.other_git_invocations += 1
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(f"{commit}:{path}\n".encode("utf-8", "surrogateescape"))
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().split()
        if len(header) != 3 or not header[2].isdigit():  # "<name> missing" (or ambiguous)
            return None
        data = self._proc.stdout.read(int(header[2]) + 1)[:-1]  # content, then a newline
        return data if header[1] == b"blob" else None

    def close(self) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc.wait()
            self._proc = None


_XDL_SPACE = b" \t\n\v\f\r"  # what ``-w`` ignores (git's XDL_ISSPACE)


def _xdl_bogosqrt(n: int) -> int:
    # xdiff's square-root estimate, as in xdiff/xprepare.c: the "too many matches" limit.
    i = 1
    while n > 0:
        i <<= 1
        n >>= 2
    return i


def _blob_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def own_lines_from_blobs(parent: bytes | None, child: bytes) -> list[int] | None:
    """Line numbers of ``child``'s effective lines that ``git blame -w -M`` credits to the commit
    that turned ``parent`` into ``child`` — or None when only blame itself can tell.

    Blame first diffs parent and child; lines the diff matches go to the parent, and ``-M``
    then looks for the rest in the parent. A line whose text (ignoring whitespace, as ``-w``
    does) occurs nowhere in the parent can go to neither, so it is the commit's own. Every
    other effective line is the parent's when any diff git could compute matches it: xdiff
    drops the lines without a counterpart before aligning the rest, and the rest must then be
    one side plus lines only the other side has (so the longest common subsequence holds all
    of the shorter side), with the child's extra lines not effective, few changes (xdiff's
    search is exact for small edit costs) and no line frequent enough for xdiff's
    multiple-match heuristic (``xdl_cleanup_records``). Otherwise None: the caller blames.
    ``parent=None`` (a file new in the commit, not a rename): every effective line is its own.
    """
    child_lines = _blob_lines(child)
    if parent is None:
        return [n for n, raw in enumerate(child_lines, 1) if _effective_bytes(raw)]
    a = [line.translate(None, _XDL_SPACE) for line in _blob_lines(parent)]
    b = [line.translate(None, _XDL_SPACE) for line in child_lines]
    count_a: dict[bytes, int] = defaultdict(int)
    count_b: dict[bytes, int] = defaultdict(int)
    for line in a:
        count_a[line] += 1
    for line in b:
        count_b[line] += 1
    common_a = [line for line in a if line in count_b]
    common_b = [line for line in b if line in count_a]
    if len(common_a) <= len(common_b):
        shorter, longer, extra_may_be_effective = common_a, common_b, False
    else:
        shorter, longer, extra_may_be_effective = common_b, common_a, True
    if len(longer) - len(shorter) > MAX_BLOB_DIFF_EXTRA or not _is_subsequence(shorter, longer):
        return None
    if not extra_may_be_effective:
        # The child's extra copies of common lines: blame may credit any of them to the commit.
        in_shorter: dict[bytes, int] = defaultdict(int)
        for line in shorter:
            in_shorter[line] += 1
        if any(
            count_b[norm] != in_shorter[norm] and _effective_bytes(raw)
            for raw, norm in zip(child_lines, b, strict=True)
            if norm in count_a
        ):
            return None
    limit = min(_xdl_bogosqrt(len(a)), _xdl_bogosqrt(len(b)), 1024)
    if any(count_a[line] >= limit or count_b[line] >= limit for line in set(longer)):
        return None
    return [
        n
        for n, (raw, norm) in enumerate(zip(child_lines, b, strict=True), 1)
        if norm not in count_a and _effective_bytes(raw)
    ]


def _is_subsequence(short: list[bytes], long: list[bytes]) -> bool:
    remaining = iter(long)
    return all(any(line == other for other in remaining) for line in short)


def _effective_bytes(raw: bytes) -> bool:
    # The same test as on blame's porcelain text, which is the line's bytes decoded.
    return is_effective_line(raw.decode("utf-8", "replace"))


# --------------------------------------------------------------------------- measurement


@dataclass
class _PrState:
    pr: MergedPullRequest
    merge_pos: int
    own_positions: frozenset[int]
    files: list[str] = field(default_factory=list)
    # path at merge -> final line number at merge -> line identity
    lines: dict[str, dict[int, LineKey]] = field(default_factory=dict)
    # horizon -> path at merge -> path at that snapshot (None: deleted by then)
    paths_at: dict[int, dict[str, str | None]] = field(default_factory=dict)
    # path at merge -> final line numbers dead at the rework snapshot
    dead: dict[str, list[int]] = field(default_factory=dict)
    # path at merge -> line numbers of the PR's lines, where the blobs tell without a blame
    from_blobs: dict[str, list[int]] = field(default_factory=dict)
    # path at merge -> line number at merge -> (the last chain position a shared blame of the
    # file saw the line alive at, up to the rework snapshot, and the line's number there)
    seen_alive: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)
    # path at merge -> line number at merge -> the first chain position a blame saw it gone at
    seen_gone: dict[str, dict[int, int]] = field(default_factory=dict)

    @property
    def first_pos(self) -> int:
        return min(self.own_positions)

    @property
    def effective_lines_added(self) -> int:
        return sum(len(v) for v in self.lines.values())


BlameKey = tuple[str, int]  # (path, chain position blamed)


class _Blamer:
    """Forward blames keyed by (path, last chain commit that wrote it), one live result per path.

    Every consumer registers first (``need``) with the oldest chain position whose attribution it
    cares about; a key is then blamed once with ``^<parent of the oldest such position>``, so it
    never walks history that no consumer needs and its output is the same for all of them.
    """

    def __init__(self, git: Git, chain: Chain, writes: dict[str, list[int]], share: bool) -> None:
        self.git, self.chain, self.writes, self.share = git, chain, writes, share
        self._bounds: dict[BlameKey, int] = {}
        self._latest: dict[str, tuple[int, BlameResult]] = {}
        self._planned: dict[str, list[int]] | None = None  # path -> planned positions, sorted
        # path -> PRs whose lines in it are followed up to a chain position (their rework snapshot)
        self._watchers: dict[str, list[tuple[_PrState, int]]] = defaultdict(list)

    def watch(self, path: str, state: _PrState, until_pos: int) -> None:
        """Record in ``state`` what every later blame of ``path`` up to ``until_pos`` shows of its
        lines, so that most dead lines' killers need no reverse blame."""
        self._watchers[path].append((state, until_pos))

    def _observe(self, path: str, pos: int, bound: int, result: BlameResult) -> None:
        # Blames of a path come in chain order, so a watch that ended before ``pos`` is over.
        watchers = self._watchers.get(path)
        if not watchers:
            return
        watchers[:] = [(state, until) for state, until in watchers if until >= pos]
        line_at = {line.key: line.final_line for line in result.lines}
        for state, _ in watchers:
            # A blame bounded after the PR's first commit credits its lines to the boundary.
            if pos <= state.merge_pos or bound > state.first_pos:
                continue
            alive = state.seen_alive.setdefault(path, {})
            gone = state.seen_gone.setdefault(path, {})
            for line, key in state.lines[path].items():
                there = line_at.get(key)
                if there is not None:
                    if pos > alive.get(line, (-1, 0))[0]:
                        alive[line] = (pos, there)
                else:
                    gone[line] = min(gone.get(line, pos), pos)

    def key(self, path: str, at_pos: int) -> BlameKey:
        if not self.share:
            return (path, at_pos)
        positions = self.writes.get(path, [])
        idx = bisect.bisect_right(positions, at_pos) - 1
        return (path, positions[idx] if idx >= 0 else at_pos)

    def need(self, key: BlameKey, first_pos: int) -> None:
        self._bounds[key] = min(self._bounds.get(key, first_pos), first_pos)

    def reach_back(self, path: str, after: int, up_to: int, first_pos: int) -> None:
        """Let the blames of ``path`` planned within (after, up_to] attribute lines back to
        ``first_pos`` too, so that they can tell a watching PR which of its lines they hold.
        Called once every blame is planned."""
        if self._planned is None:
            self._planned = defaultdict(list)
            for planned_path, pos in sorted(self._bounds):
                self._planned[planned_path].append(pos)
        positions = self._planned.get(path, [])
        start, end = bisect.bisect_right(positions, after), bisect.bisect_right(positions, up_to)
        for pos in positions[start:end]:
            self._bounds[(path, pos)] = min(self._bounds[(path, pos)], first_pos)

    def blame(self, key: BlameKey, first_pos: int) -> BlameResult:
        path, pos = key
        cached = self._latest.get(path)
        if self.share and cached is not None and cached[0] == pos:
            return cached[1]
        bound = self._bounds.get(key, first_pos) if self.share else first_pos
        args = ["blame", *BLAME_FLAGS, self.chain.commits[pos].oid]
        if bound > 0:
            args.append("^" + self.chain.commits[bound - 1].oid)
        started = time.perf_counter()
        self.git.stats.blame_invocations += 1
        try:
            result = BlameResult(list(parse_porcelain(self.git.stream([*args, "--", path]))))
        except GitError as exc:
            self.git.stats.blame_failures.append(str(exc))
            result = BlameResult([])
        self.git.stats.blame_seconds += time.perf_counter() - started
        if self.share:
            self._latest[path] = (pos, result)
            self._observe(path, pos, bound, result)
        return result


def _track(
    path: str | None,
    from_pos: int,
    to_pos: int,
    moves: dict[str, list[tuple[int, str | None]]],
) -> str | None:
    """Follow a path through renames and deletions on the chain from from_pos to to_pos."""
    while path is not None:
        events = moves.get(path, [])
        idx = bisect.bisect_right(events, from_pos, key=lambda e: e[0])
        if idx >= len(events) or events[idx][0] > to_pos:
            return path
        from_pos, path = events[idx]
    return None


def _to_unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _reached_horizons(
    prs: Sequence[MergedPullRequest],
    horizons_days: Sequence[int],
    as_of: datetime,
    already_measured: AbstractSet[tuple[int, int]],
) -> dict[int, list[int]]:
    as_of_unix = _to_unix(as_of)
    todo: dict[int, list[int]] = {}
    for pr in prs:
        merged = _to_unix(pr.merged_at)
        reached = sorted(
            h
            for h in set(horizons_days)
            if merged + h * 86400 <= as_of_unix and (pr.number, h) not in already_measured
        )
        if reached:
            todo[pr.number] = reached
    return todo


def measure(
    repo_path: str,
    default_branch: str,
    prs: Sequence[MergedPullRequest],
    horizons_days: Sequence[int],
    as_of: datetime,
    already_measured: AbstractSet[tuple[int, int]] = frozenset(),
    exclude_patterns: Sequence[str] | None = None,
    rework_window_days: int = 30,
    share_blames: bool = True,
) -> DurabilityResult:
    """Survival rows for every reached, unmeasured (PR, horizon) and rework rows for those PRs.

    ``prs`` should hold every known merged PR of the repository, not only those to measure: the
    others name the later PRs of rework rows. ``exclude_patterns=None`` loads the seed.
    ``share_blames=False`` is the naive baseline (one blame per PR per file at the merge and per
    horizon), kept for the benchmark.
    """
    started = time.perf_counter()
    stats = DurabilityStats()
    git = Git(repo_path, stats)
    patterns = load_exclude_patterns() if exclude_patterns is None else exclude_patterns
    excluder = PathExcluder(patterns)
    todo = _reached_horizons(prs, horizons_days, as_of, already_measured)
    if not todo:
        stats.seconds = time.perf_counter() - started
        return DurabilityResult([], [], stats)

    chain = read_chain(git, default_branch)
    by_number = {pr.number: pr for pr in prs}
    owner_of: dict[int, int] = {}  # chain position -> PR number
    states: dict[int, _PrState] = {}
    merge_positions = {
        pr.number: pos for pr in prs if (pos := chain.resolve(pr.merge_commit_oid)) is not None
    }
    taken = frozenset(merge_positions.values())
    for pr in prs:
        pos = merge_positions.get(pr.number)
        if pos is None:
            if pr.number in todo:
                stats.prs_skipped.append((pr.number, "merge commit not on the first-parent chain"))
            continue
        own = _derive_pr_positions(chain, pos, pr.number, pr.commit_oids, taken - {pos})
        for p in own:
            owner_of.setdefault(p, pr.number)
        if pr.number in todo:
            states[pr.number] = _PrState(pr, pos, frozenset(own))
    if not states:
        stats.seconds = time.perf_counter() - started
        return DurabilityResult([], [], stats)

    # (number, horizon) -> snapshot position
    snapshots: dict[tuple[int, int], int] = {}
    for number, state in states.items():
        merged_unix = _to_unix(state.pr.merged_at)
        for h in todo[number]:
            pos = chain.last_at_or_before(merged_unix + h * 86400)
            snapshots[(number, h)] = max(pos, state.merge_pos)

    oldest = min(s.first_pos for s in states.values())
    writes, moves = _read_path_changes(git, chain, max(oldest - 1, 0), max(snapshots.values()))
    blamer = _Blamer(git, chain, writes, share_blames)

    # Plan every blame before running any, so each key knows how far back it must look.
    # A PR landed as one commit usually needs no merge-time blame at all: its lines can be read
    # off the two blobs (``own_lines_from_blobs``); the naive baseline always blames.
    blobs = BlobReader(git) if share_blames else None
    try:
        for number, state in states.items():
            first = chain.commits[state.first_pos]
            base = first.parents[0] if first.parents else None
            state.files, renamed = _pr_files(git, base, state.pr.merge_commit_oid, excluder)
            for path in state.files:
                own = None
                if blobs is not None and len(state.own_positions) == 1:
                    own = _own_lines(blobs, chain.commits[state.merge_pos], path, renamed)
                if own is None:
                    blamer.need(blamer.key(path, state.merge_pos), state.first_pos)
                else:
                    state.from_blobs[path] = own
                    stats.files_read_from_blobs += 1
            for h in todo[number]:
                snapshot = snapshots[(number, h)]
                where = {f: _track(f, state.merge_pos, snapshot, moves) for f in state.files}
                state.paths_at[h] = where
                for current in where.values():
                    if current is not None:
                        blamer.need(blamer.key(current, snapshot), state.first_pos)
    finally:
        if blobs is not None:
            blobs.close()

    rework_horizon = {
        n: max((h for h in hs if h <= rework_window_days), default=None) for n, hs in todo.items()
    }
    if share_blames:
        for number, state in states.items():
            if rework_horizon[number] is not None:
                until = snapshots[(number, rework_horizon[number])]
                for path in state.files:
                    blamer.reach_back(path, state.merge_pos, until, state.first_pos)

    # Chain order, merge-time extraction before counting at the same position, keeps blame keys
    # per path non-decreasing, so one cached result per path suffices.
    events: list[tuple[int, int, int, int]] = [(s.merge_pos, 0, n, 0) for n, s in states.items()]
    events += [(pos, 1, n, h) for (n, h), pos in snapshots.items()]
    events.sort()
    computed_for = as_of.astimezone(UTC).date() if as_of.tzinfo else as_of.date()
    survival: list[SurvivalRow] = []
    for pos, kind, number, h in events:
        state = states[number]
        if kind == 0:
            _extract_pr_lines(state, blamer)
            if share_blames and rework_horizon[number] is not None:
                until = snapshots[(number, rework_horizon[number])]
                for path in state.lines:
                    blamer.watch(path, state, until)
            continue
        alive_count = 0
        for path, lines in state.lines.items():
            current = state.paths_at[h][path]
            alive = (
                blamer.blame(blamer.key(current, pos), state.first_pos).keys
                if current is not None
                else frozenset()
            )
            dead_lines = [n for n, key in lines.items() if key not in alive]
            alive_count += len(lines) - len(dead_lines)
            if rework_horizon[number] == h and dead_lines:
                state.dead[path] = dead_lines
        # The naive method blames each of the PR's surviving files at every horizon.
        stats.baseline_blame_invocations += sum(
            state.paths_at[h][p] is not None for p in state.lines
        )
        stats.pairs_computed += 1
        added = state.effective_lines_added
        snap = chain.commits[pos]
        survival.append(
            SurvivalRow(
                repo=state.pr.repo,
                number=number,
                horizon_days=h,
                snapshot_oid=snap.oid,
                snapshot_at=_from_unix(snap.committed_at),
                effective_lines_added=added,
                lines_surviving=alive_count,
                survival_rate=(alive_count / added) if added else None,
                computed_for_date=computed_for,
            )
        )

    # Who killed each dead line: pinned by the forward blames where they can tell, else by reverse
    # blames, one per (path, chain position the lines were last seen alive at).
    killed: dict[int, dict[int, int]] = {}  # PR -> killing chain position -> lines
    asks: dict[tuple[str, int], list[tuple[int, int, int]]] = defaultdict(list)
    for number, state in states.items():
        h = rework_horizon[number]
        if h is None or not state.dead:
            continue
        snapshot = snapshots[(number, h)]
        killed[number] = defaultdict(int)
        for path, dead_lines in state.dead.items():
            stats.baseline_reverse_blame_invocations += 1  # the naive method: one per PR per file
            if share_blames:
                pinned, left = _killers_from_forward_blames(
                    state, path, dead_lines, snapshot, writes, moves
                )
            else:
                pinned, left = {}, [(state.merge_pos, line) for line in dead_lines]
            for pos, count in pinned.items():
                killed[number][pos] += count
            for anchor, line_there in left:
                asks[(path, anchor)].append((number, line_there, snapshot))
    for (path, anchor), wanted in asks.items():
        last_alive = _reverse_blame(
            git, chain, path, anchor, max(s for _, _, s in wanted), [n for _, n, _ in wanted]
        )
        for number, line, snapshot in wanted:
            pos = chain.position.get(last_alive.get(line, ""))
            if pos is None or pos >= snapshot:
                stats.unresolved_dead_lines += 1
            else:
                killed[number][pos + 1] += 1

    rework: list[ReworkRow] = []
    revert_cache: dict[str, tuple[str, ...]] = {}  # killing commit -> shas it says it reverts
    for number, by_position in killed.items():
        h = rework_horizon[number]
        assert h is not None
        rework += _rework_rows(
            git, chain, states[number], h, by_position, owner_of, by_number, revert_cache
        )

    survival.sort(key=lambda r: (r.number, r.horizon_days))
    rework.sort(key=lambda r: (r.original_number, r.first_reworked_at, r.later_commit_oid))
    stats.seconds = time.perf_counter() - started
    return DurabilityResult(survival, rework, stats)


def _own_lines(blobs: BlobReader, merge: ChainCommit, path: str, renamed: bool) -> list[int] | None:
    """The PR's line numbers in ``path`` from the blobs, or None when a blame must tell."""
    child = blobs.read(merge.oid, path)
    if child is None:
        return None
    parent = blobs.read(merge.parents[0], path) if merge.parents else None
    if parent is None and renamed:
        return None  # perhaps renamed from another path, which blame follows
    return own_lines_from_blobs(parent, child)


def _extract_pr_lines(state: _PrState, blamer: _Blamer) -> None:
    own = {blamer.chain.commits[p].oid for p in state.own_positions}
    merge_oid = blamer.chain.commits[state.merge_pos].oid
    for path in state.files:
        numbers = state.from_blobs.get(path)
        if numbers is not None:
            # Blame's identity for a line the merge commit wrote: (commit, path, line there).
            lines = {n: (merge_oid, path, n) for n in numbers}
        else:
            result = blamer.blame(blamer.key(path, state.merge_pos), state.first_pos)
            lines = {
                line.final_line: line.key
                for line in result.lines
                if line.commit in own and line.effective
            }
        if lines:
            state.lines[path] = lines
        # The naive method blames each PR file at its merge as well.
        blamer.git.stats.baseline_blame_invocations += 1


def _branch_revert_shas(git: Git, commit: ChainCommit) -> tuple[str, ...]:
    # A PR landed by merge commit carries "This reverts commit" in its branch commits.
    if len(commit.parents) < 2:
        return ()
    out = git.run(["log", "--format=%B", f"{commit.parents[0]}..{commit.parents[1]}", "--"])
    git.stats.other_git_invocations += 1
    return tuple(s.lower() for s in _REVERTS.findall(out.decode("utf-8", "replace")))


def _is_revert(
    git: Git,
    chain: Chain,
    original: _PrState,
    killer: ChainCommit,
    later: MergedPullRequest | None,
    revert_cache: dict[str, tuple[str, ...]],
) -> bool:
    pr = original.pr
    original_shas = {chain.commits[p].oid for p in original.own_positions} | set(pr.commit_oids)
    if killer.oid not in revert_cache:
        revert_cache[killer.oid] = killer.reverted_shas + _branch_revert_shas(git, killer)
    for sha in revert_cache[killer.oid]:
        if any(o.lower().startswith(sha) for o in original_shas):
            return True
    titles = {t for t in (pr.title, chain.commits[original.merge_pos].subject) if t}
    titles |= {f"{t} (#{pr.number})" for t in list(titles)}
    later_titles = {killer.subject} | ({later.title} if later and later.title else set())
    for later_title in later_titles:
        if any(later_title.startswith(f'Revert "{t}"') for t in titles):
            return True
    branches = {killer.merged_branch.split("/", 1)[-1]} | ({later.head_ref} if later else set())
    return any(b.startswith(f"revert-{pr.number}-") for b in branches if b)


def _line_ranges(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted line numbers as inclusive (start, end) runs."""
    ranges: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if ranges and ranges[-1][1] == n - 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    return ranges


def _sole_writer(positions: list[int], after: int, up_to: int) -> int | None:
    """The one position in ``positions`` (sorted) within (after, up_to], if there is exactly one."""
    first = bisect.bisect_right(positions, after)
    return positions[first] if bisect.bisect_right(positions, up_to) - first == 1 else None


def _killers_from_forward_blames(
    state: _PrState,
    path: str,
    dead_lines: list[int],
    snapshot_pos: int,
    writes: dict[str, list[int]],
    moves: dict[str, list[tuple[int, str | None]]],
) -> tuple[dict[int, int], list[int]]:
    """Dead lines whose killer the forward blames already pin down, and the rest.

    A dead line was last seen alive at some chain position and first seen gone at a later one
    (the merge and the snapshot, narrowed by every shared blame of the file in between); when
    exactly one commit wrote the file within that bracket, that commit killed it, which is what a
    reverse blame would say. Returns (killing position -> lines) and, for the rest, (position last
    seen alive, line number there): a reverse blame from there tells.
    """
    at_merge = [(state.merge_pos, line) for line in dead_lines]
    if any(state.merge_pos < pos <= snapshot_pos for pos, _ in moves.get(path, [])):
        return {}, at_merge  # renamed or deleted meanwhile: the bracket would span two paths
    alive, gone = state.seen_alive.get(path, {}), state.seen_gone.get(path, {})
    killed: dict[int, int] = defaultdict(int)
    left: list[tuple[int, int]] = []
    for line in dead_lines:
        seen, line_there = alive.get(line, (state.merge_pos, line))
        killer = _sole_writer(writes.get(path, []), seen, gone.get(line, snapshot_pos))
        if killer is None:
            left.append((seen, line_there))
        else:
            killed[killer] += 1
    return killed, left


def _reverse_blame(
    git: Git, chain: Chain, path: str, from_pos: int, to_pos: int, lines: Sequence[int]
) -> dict[int, str]:
    """Line number of ``path`` at ``from_pos`` -> the last chain commit up to ``to_pos`` it
    existed in (``git blame --reverse``); the next chain commit removed or changed it."""
    # Tracking only the lines asked about lets blame stop as soon as the last of them is resolved,
    # instead of carrying the whole file forward to the snapshot.
    ranges = _line_ranges(sorted(set(lines)))
    limits = [f"-L{a},{b}" for a, b in ranges] if len(ranges) <= MAX_LINE_RANGES else []
    span = f"{chain.commits[from_pos].oid}..{chain.commits[to_pos].oid}"
    args = ["blame", "--reverse", *BLAME_FLAGS, *limits, span, "--", path]
    started = time.perf_counter()
    git.stats.reverse_blame_invocations += 1
    try:
        last_alive = {b.final_line: b.commit for b in parse_porcelain(git.stream(args))}
    except GitError as exc:
        git.stats.blame_failures.append(str(exc))
        last_alive = {}
    git.stats.reverse_blame_seconds += time.perf_counter() - started
    return last_alive


def _rework_rows(
    git: Git,
    chain: Chain,
    state: _PrState,
    horizon: int,
    killed: dict[int, int],
    owner_of: dict[int, int],
    by_number: dict[int, MergedPullRequest],
    revert_cache: dict[str, tuple[str, ...]],
) -> list[ReworkRow]:
    """One row per later PR (or unknown commit) that killed the PR's lines (position -> lines)."""
    groups: dict[int | str, list[int]] = defaultdict(list)  # later PR (or commit) -> positions
    for pos in killed:
        later = owner_of.get(pos, chain.commits[pos].merged_pr)
        groups[later if later is not None else chain.commits[pos].oid].append(pos)
    merged_at = (
        state.pr.merged_at if state.pr.merged_at.tzinfo else state.pr.merged_at.replace(tzinfo=UTC)
    )
    rows: list[ReworkRow] = []
    for later_key, positions in groups.items():
        first = chain.commits[min(positions)]
        later_number = later_key if isinstance(later_key, int) else None
        later_pr = by_number.get(later_number) if later_number is not None else None
        first_at = _from_unix(first.committed_at)
        rows.append(
            ReworkRow(
                repo=state.pr.repo,
                original_number=state.pr.number,
                later_number=later_number,
                later_commit_oid=first.oid,
                lines_reworked=sum(killed[p] for p in positions),
                first_reworked_at=first_at,
                days_after_merge=round((first_at - merged_at) / timedelta(days=1), 4),
                is_revert=any(
                    _is_revert(git, chain, state, chain.commits[p], later_pr, revert_cache)
                    for p in positions
                ),
                horizon_days=horizon,
            )
        )
    return rows


# --------------------------------------------------------------------------- several repositories


@dataclass(frozen=True)
class RepositoryJob:
    """The arguments of one ``measure`` call as plain data, so it pickles to a worker process."""

    repo: str  # owner/name, for error messages
    repo_path: str
    default_branch: str
    prs: tuple[MergedPullRequest, ...]
    horizons_days: tuple[int, ...]
    as_of: datetime
    already_measured: frozenset[tuple[int, int]] = frozenset()
    # The glob strings, not a compiled ``PathExcluder``: ``measure`` compiles them where it runs.
    exclude_patterns: tuple[str, ...] | None = None
    rework_window_days: int = 30


class RepositoryMeasureError(RuntimeError):
    """``measure`` failed for one repository; the message names it."""


def worker_count(requested: int | None, jobs: int) -> int:
    """Processes ``measure_repositories`` uses: ``requested`` (None: one per CPU), at most one
    per job, at least one."""
    return max(1, min(requested or os.cpu_count() or 1, jobs))


def _measure_job(job: RepositoryJob) -> DurabilityResult:
    return measure(
        job.repo_path,
        job.default_branch,
        job.prs,
        job.horizons_days,
        job.as_of,
        already_measured=job.already_measured,
        exclude_patterns=job.exclude_patterns,
        rework_window_days=job.rework_window_days,
    )


def _failure(job: RepositoryJob, exc: BaseException) -> RepositoryMeasureError:
    return RepositoryMeasureError(
        f"git durability of {job.repo} ({job.repo_path}) failed: {type(exc).__name__}: {exc}"
    )


def measure_repositories(
    jobs: Sequence[RepositoryJob], workers: int | None = None
) -> list[DurabilityResult]:
    """``measure`` for every job, ``worker_count(workers, len(jobs))`` repositories at a time.

    Results come back in the order of ``jobs``, whatever order the repositories finish in, and
    each equals what ``measure`` returns in this process. Repositories are the unit of work
    because a repository's blames build on each other in chain order, and ``git blame`` itself
    uses one core. With one worker (or one job) everything runs here, without starting a pool.
    """
    count = worker_count(workers, len(jobs))
    if count == 1:
        results = []
        for job in jobs:
            try:
                results.append(_measure_job(job))
            except Exception as exc:
                raise _failure(job, exc) from exc
        return results
    # spawn, not fork: the callers run inside Dagster (and the demo's sandbox server), whose
    # other threads may hold locks that a forked child would inherit, held forever.
    context = multiprocessing.get_context("spawn")
    # The biggest repositories first, so that the longest job does not start last and leave
    # the other workers idle at the end.
    order = sorted(range(len(jobs)), key=lambda i: len(jobs[i].prs), reverse=True)
    done: dict[int, DurabilityResult] = {}
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        futures = {pool.submit(_measure_job, jobs[i]): i for i in order}
        for future in as_completed(futures):
            index = futures[future]
            try:
                done[index] = future.result()
            except Exception as exc:
                # Start no further repository; let the running ones finish, so no worker or
                # git process outlives the error.
                pool.shutdown(wait=True, cancel_futures=True)
                raise _failure(jobs[index], exc) from exc
    return [done[i] for i in range(len(jobs))]
