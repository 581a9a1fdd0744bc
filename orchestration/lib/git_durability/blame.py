"""Forward blames: parsing ``--porcelain``, and running each (path, version) once for every PR.

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

*Sharing.* Blame output for a path at a snapshot S equals the blame at T, the last chain commit <= S
that wrote that path: nothing between T and S touched the file. Blames are therefore keyed by
(path, T), run once and shared by every PR and horizon (and by the merge-time blame of a PR, which
is T when nothing changed the file since). Work is done in chain order and only the latest result
per path is kept, so memory stays bounded. All blames are planned before any runs, and each is
bounded below by ``^<parent of the oldest PR commit among its consumers>``, so it never walks
history that no PR needs (the merge-time blame of a PR that shares no key walks only that PR's
commits). Output is streamed and parsed from ``--porcelain`` (line contents come with it, so no
blob reads are needed).
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from orchestration.lib.git_durability.chain import Chain
from orchestration.lib.git_durability.git import Git, GitError, decode_path, unquote_c_style
from orchestration.lib.git_durability.lines import is_effective_line
from orchestration.lib.git_durability.records import MergedPullRequest

BLAME_FLAGS: tuple[str, ...] = ("--first-parent", "-M", "-w", "--porcelain")


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
            filenames[commit] = decode_path(unquote_c_style(raw[9:].rstrip(b"\n")))


@dataclass
class BlameResult:
    lines: list[BlameLine]
    _keys: frozenset[LineKey] | None = None

    @property
    def keys(self) -> frozenset[LineKey]:
        if self._keys is None:
            self._keys = frozenset(line.key for line in self.lines)
        return self._keys


@dataclass
class PrState:
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


class Blamer:
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
        self._watchers: dict[str, list[tuple[PrState, int]]] = defaultdict(list)

    def watch(self, path: str, state: PrState, until_pos: int) -> None:
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
