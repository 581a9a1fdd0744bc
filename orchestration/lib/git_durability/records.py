"""What goes into a durability measurement and what comes out: merged PRs in, rows and stats out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


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
