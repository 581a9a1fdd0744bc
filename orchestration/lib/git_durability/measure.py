"""``measure``: one repository's survival and rework rows, from its merged PRs and the chain.

It plans every blame before running any (at the merge, where a PR's blobs cannot tell its lines,
and per file at each snapshot), runs them in chain order, counts each reached (PR, horizon), and
finally finds who killed the dead lines at each PR's rework horizon (``rework``).
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime

from orchestration.lib.git_durability.blame import Blamer, PrState
from orchestration.lib.git_durability.chain import (
    ChainCommit,
    derive_pr_positions,
    from_unix,
    pr_files,
    read_chain,
    read_path_changes,
)
from orchestration.lib.git_durability.git import BlobReader, Git
from orchestration.lib.git_durability.lines import (
    PathExcluder,
    load_exclude_patterns,
    own_lines_from_blobs,
)
from orchestration.lib.git_durability.records import (
    DurabilityResult,
    DurabilityStats,
    MergedPullRequest,
    ReworkRow,
    SurvivalRow,
)
from orchestration.lib.git_durability.rework import (
    killers_from_forward_blames,
    reverse_blame,
    rework_rows,
)


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
    states: dict[int, PrState] = {}
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
        own = derive_pr_positions(chain, pos, pr.number, pr.commit_oids, taken - {pos})
        for p in own:
            owner_of.setdefault(p, pr.number)
        if pr.number in todo:
            states[pr.number] = PrState(pr, pos, frozenset(own))
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
    writes, moves = read_path_changes(git, chain, max(oldest - 1, 0), max(snapshots.values()))
    blamer = Blamer(git, chain, writes, share_blames)

    # Plan every blame before running any, so each key knows how far back it must look.
    # A PR landed as one commit usually needs no merge-time blame at all: its lines can be read
    # off the two blobs (``own_lines_from_blobs``); the naive baseline always blames.
    blobs = BlobReader(git) if share_blames else None
    try:
        for number, state in states.items():
            first = chain.commits[state.first_pos]
            base = first.parents[0] if first.parents else None
            state.files, renamed = pr_files(git, base, state.pr.merge_commit_oid, excluder)
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
                snapshot_at=from_unix(snap.committed_at),
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
                pinned, left = killers_from_forward_blames(
                    state, path, dead_lines, snapshot, writes, moves
                )
            else:
                pinned, left = {}, [(state.merge_pos, line) for line in dead_lines]
            for pos, count in pinned.items():
                killed[number][pos] += count
            for anchor, line_there in left:
                asks[(path, anchor)].append((number, line_there, snapshot))
    for (path, anchor), wanted in asks.items():
        last_alive = reverse_blame(
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
        rework += rework_rows(
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


def _extract_pr_lines(state: PrState, blamer: Blamer) -> None:
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
