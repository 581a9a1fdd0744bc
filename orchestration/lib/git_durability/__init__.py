"""Durability and rework of merged pull requests, measured from git history alone.

Pure library: data in (a repository path, its default branch, merged PRs), data out (rows and
stats). No Dagster, no warehouse; the assets that call it live elsewhere.

Modules, in the order data flows through them:

* ``records``: the data in and out (``MergedPullRequest``, ``SurvivalRow``, ``ReworkRow``,
  ``DurabilityStats``, ``DurabilityResult``);
* ``git``: running git (``Git``, ``BlobReader``) and decoding the paths it prints;
* ``lines``: which lines count (effective lines, the seed's exclude patterns) and reading the lines
  of a PR landed as one commit off two blobs (``own_lines_from_blobs``);
* ``chain``: the default branch's first-parent chain, the chain commits of a PR, which paths each
  chain commit wrote, renamed or deleted, and the files a PR changed;
* ``blame``: forward blames, parsed from ``--porcelain`` and shared by every PR and horizon;
* ``rework``: which later commit killed each of a PR's dead lines, and whether it was a revert;
* ``measure``: ``measure()``, one repository from its merged PRs to rows;
* ``parallel``: ``measure_repositories()``, several repositories in worker processes.

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

*Blame options*: ``--first-parent -M -w``, not ``-C``; ``blame`` says why.

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
The rows are those of the naive method (one blame per PR per file at the merge and per horizon,
one reverse blame per PR per file with dead lines); the work is not. Each shortcut is described
where it is taken: merge-time lines read off blobs in ``lines``, blames shared across PRs and
horizons in ``blame``, killers found without reverse blames in ``rework``. ``DurabilityStats``
reports blame invocations next to the naive one-blame-per-PR-per-file-per-horizon count.
"""

from orchestration.lib.git_durability.blame import BLAME_FLAGS, parse_porcelain
from orchestration.lib.git_durability.chain import pr_chain_commits, read_chain
from orchestration.lib.git_durability.git import Git
from orchestration.lib.git_durability.lines import (
    PathExcluder,
    load_exclude_patterns,
    own_lines_from_blobs,
)
from orchestration.lib.git_durability.measure import measure
from orchestration.lib.git_durability.parallel import (
    RepositoryJob,
    RepositoryMeasureError,
    measure_repositories,
    worker_count,
)
from orchestration.lib.git_durability.records import (
    DurabilityResult,
    DurabilityStats,
    MergedPullRequest,
    ReworkRow,
    SurvivalRow,
)

# The names callers imported from the single module this package replaces.
__all__ = [
    "BLAME_FLAGS",
    "DurabilityResult",
    "DurabilityStats",
    "Git",
    "MergedPullRequest",
    "PathExcluder",
    "RepositoryJob",
    "RepositoryMeasureError",
    "ReworkRow",
    "SurvivalRow",
    "load_exclude_patterns",
    "measure",
    "measure_repositories",
    "own_lines_from_blobs",
    "parse_porcelain",
    "pr_chain_commits",
    "read_chain",
    "worker_count",
]
