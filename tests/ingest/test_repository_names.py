"""A repository name becomes a path only if it is a name GitHub could have given.

Names come from TOKENWORTH_GITHUB_REPOS and from the GitHub API; either could hold `../../x`,
which once mirrored a repository outside TOKENWORTH_HOME (and re-pointed and pruned one that
was there).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.defs.ingest.git.mirrors import (
    RepositoryNameError,
    check_repository_name,
    mirror_path,
)


@pytest.mark.parametrize(
    "name",
    ["acme/api", "a/b", "Acme-Corp/web.site", "a1-b2/repo_name.git-tools", "x/..."],
)
def test_github_names_are_accepted(name: str, tmp_path: Path) -> None:
    assert check_repository_name(name, "test") == name
    path = mirror_path(tmp_path, name)
    assert path.resolve().is_relative_to((tmp_path / "git").resolve())


@pytest.mark.parametrize(
    "name",
    [
        "../../x",
        "acme/../../etc",
        "/etc/passwd",
        "acme",
        "acme/",
        "/acme",
        "acme/api/extra",
        "acme/..",
        "acme/.",
        "-acme/api",
        "acme-/api",
        "ac--me/api",
        "acme/a b",
        "acme/api;rm",
        "a" * 40 + "/api",
        "acme/" + "r" * 101,
    ],
)
def test_anything_else_is_refused_naming_where_it_came_from(name: str, tmp_path: Path) -> None:
    with pytest.raises(RepositoryNameError) as error:
        check_repository_name(name, "TOKENWORTH_GITHUB_REPOS")
    assert str(error.value).startswith(f"TOKENWORTH_GITHUB_REPOS: {name!r} is not a GitHub ")
    with pytest.raises(RepositoryNameError):
        mirror_path(tmp_path, name)


def test_a_bad_name_in_the_configuration_stops_the_definitions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orchestration.defs.resources import build_resources

    monkeypatch.setenv("TOKENWORTH_GITHUB_REPOS", "acme/api, ../../x")
    with pytest.raises(ValueError, match=r"^TOKENWORTH_GITHUB_REPOS: '\.\./\.\./x' is not a"):
        build_resources()
