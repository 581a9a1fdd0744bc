"""Who reworked a PR's lines: the later commit that killed each dead line, and whether it reverted.

Most dead lines need no reverse blame: every shared forward blame of a file between a PR's merge
and its rework snapshot (planned to reach back to the PR's first commit) records which of the PR's
lines it still holds, so each dead line has a last version it was seen in and a first it was gone
from; when exactly one commit wrote the file in between, that commit killed it. The rest are
grouped by (path, version last seen in): one reverse blame from that version serves every PR whose
lines are there. Reverse blames follow only the lines asked about (``-L`` runs), so git stops at
the last of them.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, timedelta

from orchestration.lib.git_durability.blame import BLAME_FLAGS, PrState, parse_porcelain
from orchestration.lib.git_durability.chain import REVERTS, Chain, ChainCommit, from_unix
from orchestration.lib.git_durability.git import Git, GitError
from orchestration.lib.git_durability.records import MergedPullRequest, ReworkRow

MAX_LINE_RANGES = 256  # beyond this many -L ranges a reverse blame just takes the whole file


def _branch_revert_shas(git: Git, commit: ChainCommit) -> tuple[str, ...]:
    # A PR landed by merge commit carries "This reverts commit" in its branch commits.
    if len(commit.parents) < 2:
        return ()
    out = git.run(["log", "--format=%B", f"{commit.parents[0]}..{commit.parents[1]}", "--"])
    git.stats.other_git_invocations += 1
    return tuple(s.lower() for s in REVERTS.findall(out.decode("utf-8", "replace")))


def _is_revert(
    git: Git,
    chain: Chain,
    original: PrState,
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


def killers_from_forward_blames(
    state: PrState,
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


def reverse_blame(
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


def rework_rows(
    git: Git,
    chain: Chain,
    state: PrState,
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
        first_at = from_unix(first.committed_at)
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
