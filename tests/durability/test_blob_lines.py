"""A PR's lines read off two blobs must be exactly the lines ``git blame -w -M`` credits to it.

Every case commits a parent and a child version of one file in a real repository and compares
``own_lines_from_blobs`` with real blame. Where the function declines (None), blame decides; the
cases where it answers include moved blocks, whitespace changes and repeated lines, which are
where a diff and blame could disagree.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from orchestration.lib.git_durability.blame import BLAME_FLAGS, parse_porcelain
from orchestration.lib.git_durability.git import Git
from orchestration.lib.git_durability.lines import own_lines_from_blobs
from orchestration.lib.git_durability.records import DurabilityStats
from tests.durability.repo_builder import RepoBuilder, day

MODULE = [f"    value_{i} = compute_value({i}, name='v{i}')" for i in range(40)]


def blame_own(repo: RepoBuilder, commit: str, path: str) -> list[int]:
    git = Git(str(repo.path), DurabilityStats())
    lines = parse_porcelain(git.stream(["blame", *BLAME_FLAGS, commit, "--", path]))
    return sorted(line.final_line for line in lines if line.commit == commit and line.effective)


def text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def check(repo: RepoBuilder, parent: list[str], child: list[str], n: int) -> list[int] | None:
    """Commit both versions; when the blobs answer, the answer must be blame's."""
    repo.commit(f"parent {n}", day(n), {f"f{n}.py": text(parent)})
    commit = repo.commit(f"child {n}", day(n, 1), {f"f{n}.py": text(child)})
    ours = own_lines_from_blobs(text(parent).encode(), text(child).encode())
    if ours is not None:
        assert ours == blame_own(repo, commit, f"f{n}.py"), (parent, child)
    return ours


@pytest.fixture
def repo(tmp_path: Path) -> RepoBuilder:
    return RepoBuilder(tmp_path / "repo")


def test_insertions_and_replacements_are_read_from_the_blobs(repo: RepoBuilder) -> None:
    inserted = [*MODULE[:10], "    added_one = 1 + 2 + 3", "", "    added_two = 4", *MODULE[10:]]
    assert check(repo, MODULE, inserted, 1) == [11, 13]
    replaced = [*MODULE[:5], "    rewritten_line = 99", *MODULE[6:]]
    assert check(repo, MODULE, replaced, 2) == [6]
    # A new file: every effective line is the commit's.
    assert own_lines_from_blobs(None, b"first line here\n\nok\nsecond line\n") == [1, 4]


def test_whitespace_only_changes_stay_with_the_parent(repo: RepoBuilder) -> None:
    reindented = ["  " + line for line in MODULE[:20]] + MODULE[20:] + ["    brand_new_line = 7"]
    assert check(repo, MODULE, reindented, 1) == [41]


def test_moves_and_crossing_repeats_are_left_to_blame(repo: RepoBuilder) -> None:
    moved = MODULE[20:] + MODULE[:20]
    assert check(repo, MODULE, moved, 1) is None
    # A unique line moved below repeated short lines: a diff may keep the repeats instead.
    parent = ["    unique_line_here = 1", "    pass", "    pass", "    pass", *MODULE]
    child = ["    pass", "    pass", "    pass", "    unique_line_here = 1", *MODULE]
    assert check(repo, parent, child, 2) is None


def test_added_copies_of_an_existing_effective_line_are_left_to_blame(repo: RepoBuilder) -> None:
    child = [*MODULE[:3], MODULE[30], *MODULE[3:]]
    assert check(repo, MODULE, child, 1) is None


def test_random_edits_agree_with_blame(repo: RepoBuilder) -> None:
    rng = random.Random(11)
    pool = [*MODULE, "", "    pass", "}", "    return None"]
    answered = 0
    for n in range(1, 41):
        parent = [rng.choice(pool) if rng.random() < 0.3 else MODULE[i % 40] for i in range(30)]
        child = list(parent)
        for _ in range(rng.randint(1, 4)):
            roll = rng.random()
            at = rng.randrange(len(child) + 1)
            if roll < 0.4:
                child[at:at] = [f"    fresh_{n}_{at}_{k} = {k}" for k in range(rng.randint(1, 5))]
            elif roll < 0.6:
                child[at:at] = [rng.choice(pool)]
            elif roll < 0.8 and child:
                del child[min(at, len(child) - 1)]
            elif child:
                child[min(at, len(child) - 1)] = f"    replaced_{n}_{at} = 0"
        if check(repo, parent, child, n) is not None:
            answered += 1
    assert answered >= 20  # the blobs decide most ordinary edits
