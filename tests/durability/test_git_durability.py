"""Line survival and rework on small, hand-built git repositories with exact expected numbers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from orchestration.lib.git_durability.chain import pr_chain_commits
from orchestration.lib.git_durability.lines import PathExcluder, load_exclude_patterns
from orchestration.lib.git_durability.measure import measure
from orchestration.lib.git_durability.records import (
    DurabilityResult,
    MergedPullRequest,
    ReworkRow,
    SurvivalRow,
)
from tests.durability.repo_builder import RepoBuilder, day, lines, numbered

BASE = numbered("base", 3)


@pytest.fixture
def repo(tmp_path: Path) -> RepoBuilder:
    builder = RepoBuilder(tmp_path / "repo")
    builder.commit("initial", day(0), {"app.py": lines(*BASE)})
    return builder


def run(
    repo: RepoBuilder,
    prs: Sequence[MergedPullRequest],
    horizons: Sequence[int] = (7, 30),
    as_of_day: float = 100,
    **kwargs: object,
) -> DurabilityResult:
    return measure(str(repo.path), "main", prs, horizons, day(as_of_day), **kwargs)  # type: ignore[arg-type]


def survival(result: DurabilityResult) -> dict[tuple[int, int], tuple[int, int]]:
    """(number, horizon) -> (effective lines added, lines surviving)."""
    return {
        (r.number, r.horizon_days): (r.effective_lines_added, r.lines_surviving)
        for r in result.survival
    }


def rework(result: DurabilityResult) -> set[tuple[int, int | None, int, bool]]:
    """(original, later, lines reworked, is revert)."""
    return {
        (r.original_number, r.later_number, r.lines_reworked, r.is_revert) for r in result.rework
    }


def row(result: DurabilityResult, number: int, horizon: int) -> SurvivalRow:
    return next(r for r in result.survival if (r.number, r.horizon_days) == (number, horizon))


# --------------------------------------------------------------------------- basics


def test_squash_merge_basic(repo: RepoBuilder) -> None:
    pr1_app = numbered("pr1 app", 5)
    pr1 = repo.squash_pr(
        1,
        "feat: one",
        day(1),
        {"app.py": lines(*BASE, *pr1_app), "util.py": lines(*numbered("pr1 util", 4))},
    )
    rewritten = ["pr2 rewrote line 1", "pr2 rewrote line 2", *pr1_app[2:]]
    pr2 = repo.squash_pr(2, "fix: two", day(3), {"app.py": lines(*BASE, *rewritten)})
    pr3 = repo.squash_pr(3, "chore: three", day(12), {"util.py": lines(*numbered("pr1 util", 3))})
    result = run(repo, [pr1, pr2, pr3])

    assert survival(result) == {
        (1, 7): (9, 7),
        (1, 30): (9, 6),
        (2, 7): (2, 2),
        (2, 30): (2, 2),
        (3, 7): (0, 0),
        (3, 30): (0, 0),
    }
    first = row(result, 1, 7)
    assert first.snapshot_oid == pr2.merge_commit_oid
    assert first.snapshot_at == day(3)
    assert first.survival_rate == pytest.approx(7 / 9)
    assert first.computed_for_date == day(100).date()
    assert row(result, 1, 30).snapshot_oid == pr3.merge_commit_oid
    assert row(result, 3, 7).survival_rate is None
    assert rework(result) == {(1, 2, 2, False), (1, 3, 1, False)}
    to_pr2 = next(r for r in result.rework if r.later_number == 2)
    assert to_pr2 == ReworkRow(
        repo="acme/app",
        original_number=1,
        later_number=2,
        later_commit_oid=pr2.merge_commit_oid,
        lines_reworked=2,
        first_reworked_at=day(3),
        days_after_merge=2.0,
        is_revert=False,
        horizon_days=30,
    )


def test_blank_short_excluded_and_binary_lines_are_not_effective(repo: RepoBuilder) -> None:
    code = lines("x = 1", "", "   ", "pass", "end", "  }  ", "return x")
    pr1 = repo.squash_pr(
        1,
        "feat: assets",
        day(1),
        {
            "app.py": lines(*BASE) + code,
            "yarn.lock": lines(*numbered("lock", 5)),
            "web/vendor/lib.js": lines(*numbered("vendored", 5)),
            "static/app.min.js": lines(*numbered("minified", 5)),
            "api/service_pb2.py": lines(*numbered("generated", 5)),
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00binary line number one\n\x00\x01",
        },
    )
    result = run(repo, [pr1], horizons=(7,))
    # "x = 1", "pass" and "return x" are longer than 3 characters after trimming.
    assert survival(result) == {(1, 7): (3, 3)}
    # The binary file and the excluded ones are never blamed; each is counted as left out.
    assert result.stats.blame_invocations == 1
    assert result.stats.files_skipped == {"binary": 1, "excluded": 4}


def test_submodule_lfs_pointer_and_latin1_text_are_measured_without_a_blame_failure(
    repo: RepoBuilder,
) -> None:
    """A submodule (gitlink) has no lines to blame, and is no failure; an LFS pointer and
    text that is not UTF-8 are text to git: their lines count like any other."""
    repo.commit("base", day(0), {"app.py": lines(*BASE)})
    repo.write({"app.py": lines(*BASE, "use_protos()"),
                "design/mockup.psd": lines("version https://git-lfs.github.com/spec/v1",
                                           "oid sha256:" + "ab" * 32, "size 4096"),
                "notes-fr.txt": "Étape 1 : vérifier\n".encode("latin-1")})  # fmt: skip
    protos = repo.head()  # any commit id: a gitlink names a commit of another repository
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{protos},libs/protos")
    oid = repo.commit("chore: protos as a submodule (#1)", day(1), {})
    pr1 = MergedPullRequest("acme/app", 1, day(1), oid, (), "chore: protos", "feat-1")
    result = run(repo, [pr1], horizons=(7,))
    assert result.stats.blame_failures == []
    # use_protos(), the pointer's three lines, the Latin-1 line.
    assert survival(result) == {(1, 7): (5, 5)}
    assert result.stats.files_skipped == {}


def test_seed_patterns() -> None:
    excluder = PathExcluder(load_exclude_patterns())
    for path in [
        "yarn.lock",
        "backend/poetry.lock",
        "package-lock.json",
        "web/package-lock.json",
        "vendor/github.com/x/y.go",
        "src/vendor/lib.js",
        "dist/bundle.js",
        "proto/user_pb2.py",
        "static/app.min.js",
        "go.sum",
    ]:
        assert excluder.excluded(path), path
    for path in ["app.py", "src/dist_utils.py", "vendoring.md", "lib/distance.py", "src/dist/x.py"]:
        assert not excluder.excluded(path), path


def test_horizons_not_reached_and_already_measured_are_skipped(repo: RepoBuilder) -> None:
    pr1 = repo.squash_pr(1, "feat: one", day(1), {"a.py": lines(*numbered("pr1", 4))})
    pr2 = repo.squash_pr(2, "feat: two", day(5), {"b.py": lines(*numbered("pr2", 2))})
    result = run(repo, [pr1, pr2], horizons=(7, 30, 90), as_of_day=20)
    assert survival(result) == {(1, 7): (4, 4), (2, 7): (2, 2)}

    again = run(repo, [pr1, pr2], horizons=(7, 30, 90), as_of_day=20, already_measured={(1, 7)})
    assert survival(again) == {(2, 7): (2, 2)}

    nothing = run(
        repo, [pr1, pr2], horizons=(7, 30), as_of_day=20, already_measured={(1, 7), (2, 7)}
    )
    assert nothing.survival == [] and nothing.rework == []
    assert nothing.stats.total_blame_invocations == 0


def test_horizon_reached_exactly_at_as_of(repo: RepoBuilder) -> None:
    pr1 = repo.squash_pr(1, "feat: one", day(1), {"a.py": lines(*numbered("pr1", 4))})
    assert survival(run(repo, [pr1], horizons=(7,), as_of_day=8)) == {(1, 7): (4, 4)}
    assert run(repo, [pr1], horizons=(7,), as_of_day=7.99).survival == []


# --------------------------------------------------------------------------- files move and die


def test_rename_keeps_lines_alive(repo: RepoBuilder) -> None:
    original = numbered("pr1 café", 4)
    pr1 = repo.squash_pr(1, "feat: one", day(1), {"src/café app.py": lines(*original)})
    repo.move("src/café app.py", "lib/new name.py")
    pr2 = repo.squash_pr(2, "refactor: move", day(3), {})
    # Rename again with one of four lines changed (75% similar: still a rename).
    repo.move("lib/new name.py", "lib/final.py")
    changed = [*original[:3], "pr3 changed the last line"]
    pr3 = repo.squash_pr(3, "refactor: rename", day(10), {"lib/final.py": lines(*changed)})
    result = run(repo, [pr1, pr2, pr3])
    assert survival(result)[(1, 7)] == (4, 4)
    assert survival(result)[(1, 30)] == (4, 3)
    assert rework(result) == {(1, 3, 1, False)}


def test_move_within_a_file_keeps_lines_alive_with_dash_m(repo: RepoBuilder) -> None:
    block = [f"def helper_{i}(value): return value * {i} + offset_{i}" for i in range(5)]
    tail = numbered("base tail", 5)
    pr1 = repo.squash_pr(1, "feat: helpers", day(1), {"app.py": lines(*block, *BASE, *tail)})
    # PR 2 only moves PR 1's block below the others: -M follows it, so nothing died.
    pr2 = repo.squash_pr(2, "refactor: reorder", day(2), {"app.py": lines(*BASE, *tail, *block)})
    result = run(repo, [pr1, pr2], horizons=(7,))
    assert survival(result) == {(1, 7): (10, 10), (2, 7): (0, 0)}
    assert result.rework == []


def test_deleted_file_lines_die_and_the_deleting_pr_reworked_them(repo: RepoBuilder) -> None:
    pr1 = repo.squash_pr(
        1,
        "feat: one",
        day(1),
        {"gone.py": lines(*numbered("gone", 4)), "keep.py": lines(*numbered("keep", 2))},
    )
    pr2 = repo.squash_pr(2, "chore: drop gone", day(4), {"gone.py": None})
    result = run(repo, [pr1, pr2], horizons=(7, 30))
    assert survival(result)[(1, 7)] == (6, 2)
    assert survival(result)[(1, 30)] == (6, 2)
    assert rework(result) == {(1, 2, 4, False)}


def test_whitespace_only_change_keeps_authorship_with_dash_w(repo: RepoBuilder) -> None:
    body = numbered("pr1 body", 4)
    pr1 = repo.squash_pr(1, "feat: one", day(1), {"b.py": lines(*body)})
    # Re-indent all four lines and really change one of them.
    reindented = [f"    {b}" for b in body[:3]] + ["    pr2 really changed this"]
    pr2 = repo.squash_pr(2, "style: indent", day(2), {"b.py": lines("if True:", *reindented)})
    result = run(repo, [pr1, pr2], horizons=(7,))
    assert survival(result)[(1, 7)] == (4, 3)
    assert rework(result) == {(1, 2, 1, False)}


def test_lines_rewritten_twice_are_rework_of_the_first_rewriter(repo: RepoBuilder) -> None:
    pr1 = repo.squash_pr(1, "feat: one", day(1), {"c.py": lines(*numbered("pr1", 4))})
    v2 = ["pr2 version 1", "pr2 version 2", "pr1 line 3", "pr1 line 4"]
    pr2 = repo.squash_pr(2, "fix: two", day(2), {"c.py": lines(*v2)})
    v3 = ["pr3 version 1", "pr3 version 2", "pr3 version 3", "pr1 line 4"]
    pr3 = repo.squash_pr(3, "fix: three", day(4), {"c.py": lines(*v3)})
    result = run(repo, [pr1, pr2, pr3], horizons=(7,))
    assert survival(result) == {(1, 7): (4, 1), (2, 7): (2, 0), (3, 7): (3, 3)}
    assert rework(result) == {(1, 2, 2, False), (1, 3, 1, False), (2, 3, 2, False)}


# --------------------------------------------------------------------------- reverts


def test_revert_pr_is_rework_of_all_lines(repo: RepoBuilder) -> None:
    pr1 = repo.squash_pr(1, "feat: risky", day(1), {"r.py": lines(*numbered("risky", 5))})
    revert_oid = repo.revert(pr1.merge_commit_oid, day(2), suffix=" (#2)")
    pr2 = MergedPullRequest(
        "acme/app", 2, day(2), revert_oid, (), 'Revert "feat: risky (#1)"', "revert-1-feat-risky"
    )
    result = run(repo, [pr1, pr2], horizons=(7,))
    assert survival(result)[(1, 7)] == (5, 0)
    assert row(result, 1, 7).survival_rate == 0.0
    assert rework(result) == {(1, 2, 5, True)}


def test_direct_revert_without_a_pr_is_still_a_revert(repo: RepoBuilder) -> None:
    pr1 = repo.squash_pr(1, "feat: risky", day(1), {"r.py": lines(*numbered("risky", 5))})
    revert_oid = repo.revert(pr1.merge_commit_oid, day(2))
    result = run(repo, [pr1], horizons=(7,))
    assert survival(result) == {(1, 7): (5, 0)}
    assert [(r.later_number, r.later_commit_oid, r.is_revert) for r in result.rework] == [
        (None, revert_oid, True)
    ]


def test_revert_found_by_branch_name_when_landed_by_merge_commit(repo: RepoBuilder) -> None:
    pr1 = repo.squash_pr(1, "feat: risky", day(1), {"r.py": lines(*numbered("risky", 5))})
    repo.checkout("revert-1-feat-risky", create_from="main")
    repo.commit("undo it", day(2), {"r.py": None})
    repo.checkout("main")
    repo.git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge pull request #7 from acme/revert-1-feat-risky",
        "revert-1-feat-risky",
        at=day(2, 1),
    )
    result = run(repo, [pr1], horizons=(7,))  # PR 7 is not in prs: found from the message
    assert rework(result) == {(1, 7, 5, True)}


# --------------------------------------------------------------------------- merge strategies


def test_merge_commit_counts_only_the_prs_own_lines(repo: RepoBuilder) -> None:
    fork = repo.head()
    # Main moves on while PR 1 is open.
    pr2 = repo.squash_pr(2, "feat: two", day(1), {"app.py": lines(*numbered("pr2 top", 2), *BASE)})
    pr1 = repo.merge_pr(
        1,
        "feat: one",
        day(2),
        [
            {"feature.py": lines(*numbered("pr1 feature", 3))},
            {
                "feature.py": lines(*numbered("pr1 feature", 5)),
                "app.py": lines(*BASE, "pr1 appended this"),
            },
        ],
        base=fork,
    )
    # Later: a squash PR rewrites one of PR 1's lines; a merge-commit PR not in prs rewrites
    # one of PR 2's lines.
    pr3 = repo.squash_pr(
        3,
        "fix: three",
        day(4),
        {"feature.py": lines(*numbered("pr1 feature", 4), "pr3 rewrote it")},
    )
    repo.merge_pr(
        4,
        "fix: four",
        day(5),
        [{"app.py": lines("pr4 rewrote the top", "pr2 top line 2", *BASE, "pr1 appended this")}],
    )
    result = run(repo, [pr1, pr2, pr3], horizons=(7,))
    # PR 1: five lines in feature.py and one in app.py; PR 2's lines are not PR 1's.
    assert survival(result) == {(1, 7): (6, 5), (2, 7): (2, 1), (3, 7): (1, 1)}
    assert rework(result) == {(1, 3, 1, False), (2, 4, 1, False)}
    assert pr_chain_commits(str(repo.path), "main", pr1.merge_commit_oid) == (pr1.merge_commit_oid,)


def test_rebase_merge_credits_all_rebased_commits(repo: RepoBuilder) -> None:
    pr1, oids = repo.rebase_pr(
        1,
        "feat: one",
        day(1),
        [
            {"a.py": lines(*numbered("step1", 3))},
            {"a.py": lines(*numbered("step1", 3), *numbered("step2", 2))},
            {"b.py": lines(*numbered("step3", 2))},
        ],
    )
    pr2 = repo.squash_pr(
        2,
        "fix: two",
        day(3),
        {"a.py": lines(*numbered("step1", 3), "pr2 rewrote step2 line 1", "step2 line 2")},
    )
    pr3, oids3 = repo.rebase_pr(
        3,
        "fix: three",
        day(4),
        [{"b.py": lines("pr3 rewrote step3", "step3 line 2")}, {"c.py": lines("pr3 new file")}],
    )
    # Callers with only the merge commit get the three rebased commits.
    assert pr_chain_commits(str(repo.path), "main", pr1.merge_commit_oid) == tuple(oids)
    result = run(repo, [pr1, pr2, pr3], horizons=(7,))
    assert survival(result) == {(1, 7): (7, 5), (2, 7): (1, 1), (3, 7): (2, 2)}
    assert rework(result) == {(1, 2, 1, False), (1, 3, 1, False)}
    to_pr3 = next(r for r in result.rework if r.later_number == 3)
    assert to_pr3.later_commit_oid == oids3[0]


def test_rebase_merge_with_original_commit_oids_given(repo: RepoBuilder) -> None:
    repo.squash_pr(9, "feat: before", day(0, 1), {"z.py": lines("unrelated line here")})
    pr1, oids = repo.rebase_pr(
        1,
        "feat: one",
        day(1),
        [{"a.py": lines("step one line")}, {"a.py": lines("step one line", "step two line")}],
        original_oids=("1" * 40, "2" * 40),  # pre-rebase shas, not on main
    )
    assert pr_chain_commits(
        str(repo.path), "main", pr1.merge_commit_oid, pr1.commit_oids, 1
    ) == tuple(oids)
    assert survival(run(repo, [pr1], horizons=(7,))) == {(1, 7): (2, 2)}


# --------------------------------------------------------------------------- efficiency


def test_one_blame_per_file_version_is_shared_between_prs(repo: RepoBuilder) -> None:
    pr1 = repo.squash_pr(1, "feat: one", day(1), {"app.py": lines(*BASE, "pr1 added line")})
    pr2 = repo.squash_pr(
        2, "feat: two", day(1, 2), {"app.py": lines(*BASE, "pr1 added line", "pr2 added line")}
    )
    pr3 = repo.squash_pr(
        3,
        "feat: three",
        day(3),
        {"app.py": lines(*BASE, "pr1 added line", "pr2 added line", "pr3 added line")},
    )
    result = run(repo, [pr1, pr2, pr3], horizons=(7,))
    # Every 7-day snapshot sees app.py as PR 3 wrote it, which is also PR 3's merge-time blame.
    assert {r.snapshot_oid for r in result.survival} == {pr3.merge_commit_oid}
    assert survival(result) == {(1, 7): (1, 1), (2, 7): (1, 1), (3, 7): (1, 1)}
    # Each PR only added lines, so its lines are read off the blobs, with no merge-time blame;
    # the one blame left is app.py as PR 3 left it, shared by every snapshot.
    assert result.stats.files_read_from_blobs == 3
    assert result.stats.blame_invocations == 1
    assert result.stats.baseline_blame_invocations == 6  # 3 at merge + 3 at the snapshot

    naive = run(repo, [pr1, pr2, pr3], horizons=(7,), share_blames=False)
    assert naive.stats.blame_invocations == 6
    assert naive.survival == result.survival


def test_sharing_gives_the_same_rows_as_the_naive_method(repo: RepoBuilder) -> None:
    pr1 = repo.squash_pr(1, "feat: one", day(1), {"c.py": lines(*numbered("pr1", 6))})
    pr2 = repo.squash_pr(2, "fix: two", day(2), {"c.py": lines(*numbered("pr1", 4), "pr2 x")})
    repo.move("c.py", "d.py")
    pr3 = repo.squash_pr(3, "refactor: three", day(9), {"e.py": lines("pr3 line one")})
    pr4 = repo.squash_pr(4, "fix: four", day(20), {"d.py": lines("pr4 only line")})
    prs = [pr1, pr2, pr3, pr4]
    shared = run(repo, prs, horizons=(7, 30, 90))
    naive = run(repo, prs, horizons=(7, 30, 90), share_blames=False)
    assert shared.survival == naive.survival
    assert shared.rework == naive.rework
    assert shared.stats.blame_invocations < naive.stats.blame_invocations


def test_forward_blames_pin_the_killers_without_a_reverse_blame(repo: RepoBuilder) -> None:
    pr1_lines = numbered("pr1", 4)
    pr1 = repo.squash_pr(1, "feat: one", day(1), {"c.py": lines(*pr1_lines)})
    v2 = ["pr2 rewrote line 1", *pr1_lines[1:]]
    pr2 = repo.squash_pr(2, "fix: two", day(2), {"c.py": lines(*v2)})
    v3 = [v2[0], "pr3 rewrote line 2", *pr1_lines[2:]]
    pr3 = repo.squash_pr(3, "fix: three", day(3), {"c.py": lines(*v3)})
    prs = [pr1, pr2, pr3]
    # PR 1's 1-day snapshot is c.py as PR 2 left it: line 1 already gone, line 2 still there.
    # PR 2 then is the only commit that can have killed line 1, and PR 3 line 2.
    shared = run(repo, prs, horizons=(1, 7))
    assert rework(shared) == {(1, 2, 1, False), (1, 3, 1, False)}
    assert shared.stats.reverse_blame_invocations == 0
    assert shared.stats.baseline_reverse_blame_invocations == 1  # PR 1's c.py

    naive = run(repo, prs, horizons=(1, 7), share_blames=False)
    assert naive.stats.reverse_blame_invocations == 1
    assert (shared.survival, shared.rework) == (naive.survival, naive.rework)


def test_one_reverse_blame_serves_every_pr_whose_lines_were_last_seen_in_the_same_version(
    repo: RepoBuilder,
) -> None:
    a, b = numbered("pr1", 3), numbered("pr2", 3)
    pr1 = repo.squash_pr(1, "feat: one", day(1), {"c.py": lines(*BASE, *a)})
    pr2 = repo.squash_pr(2, "feat: two", day(1, 12), {"c.py": lines(*BASE, *a, *b)})
    # PR 3 touches only a base line; PR 2's 1-day snapshot blames c.py as PR 3 left it, where
    # both PRs' lines are still alive. Two later PRs then each rewrite one line of each.
    base3 = ["pr3 changed the base", *BASE[1:]]
    pr3 = repo.squash_pr(3, "chore: three", day(2, 6), {"c.py": lines(*base3, *a, *b)})
    v4 = [*base3, "pr4 rewrote", *a[1:], "pr4 rewrote too", *b[1:]]
    pr4 = repo.squash_pr(4, "fix: four", day(4), {"c.py": lines(*v4)})
    v5 = [*base3, v4[3], "pr5 rewrote", a[2], v4[6], "pr5 rewrote too", b[2]]
    pr5 = repo.squash_pr(5, "fix: five", day(4, 12), {"c.py": lines(*v5)})
    prs = [pr1, pr2, pr3, pr4, pr5]
    shared = run(repo, prs, horizons=(1, 7))
    # (PR 1 created c.py, base lines included; PR 3's change to one is pinned without a blame.)
    assert rework(shared) == {
        (1, 3, 1, False),
        (1, 4, 1, False),
        (1, 5, 1, False),
        (2, 4, 1, False),
        (2, 5, 1, False),
    }
    # PRs 4 and 5 both wrote c.py after the version both PRs' lines were last seen alive in, so
    # a reverse blame must tell them apart: one, from that version, for both PRs.
    assert shared.stats.reverse_blame_invocations == 1
    assert shared.stats.baseline_reverse_blame_invocations == 2

    naive = run(repo, prs, horizons=(1, 7), share_blames=False)
    assert naive.stats.reverse_blame_invocations == 2
    assert (shared.survival, shared.rework) == (naive.survival, naive.rework)


def test_works_on_a_bare_mirror(repo: RepoBuilder, tmp_path: Path) -> None:
    pr1 = repo.squash_pr(1, "feat: one", day(1), {"a.py": lines(*numbered("pr1", 4))})
    pr2 = repo.squash_pr(2, "fix: two", day(2), {"a.py": lines(*numbered("pr1", 3))})
    mirror = repo.mirror(tmp_path / "mirror.git")
    result = measure(mirror, "main", [pr1, pr2], (7,), day(30))
    assert survival(result) == {(1, 7): (4, 3), (2, 7): (0, 0)}
    assert rework(result) == {(1, 2, 1, False)}


def test_merge_commit_not_on_the_branch_is_skipped(repo: RepoBuilder) -> None:
    repo.checkout("side", create_from="main")
    side = repo.commit("side work", day(1), {"s.py": lines("side line here")})
    repo.checkout("main")
    pr = MergedPullRequest("acme/app", 5, day(1), side)
    result = run(repo, [pr], horizons=(7,))
    assert result.survival == []
    assert result.stats.prs_skipped == [(5, "merge commit not on the first-parent chain")]


def test_pr_that_is_the_root_commit(tmp_path: Path) -> None:
    builder = RepoBuilder(tmp_path / "fresh")
    pr1 = builder.squash_pr(1, "feat: start", day(0), {"a b/ünï.py": lines(*numbered("root", 3))})
    pr2 = builder.squash_pr(2, "fix: more", day(1), {"a b/ünï.py": lines(*numbered("root", 2))})
    result = measure(str(builder.path), "main", [pr1, pr2], (7,), day(30))
    assert survival(result) == {(1, 7): (3, 2), (2, 7): (0, 0)}
    assert rework(result) == {(1, 2, 1, False)}
