"""Shared fixtures: generated sandbox worlds (cached per session; generation is deterministic)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sandbox.generate import build_world
from sandbox.gitrepos import write_repositories
from sandbox.model import World

# Under pytest-xdist (`make test`), each worker keeps its own dbt target/ and Dagster home: two dbt
# parses writing one target/, or two processes sharing one Dagster SQLite store, would race.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    _SCRATCH = Path(__file__).resolve().parents[1] / ".tokenworth" / f"pytest-{_WORKER}"
    os.environ["DBT_TARGET_PATH"] = str(_SCRATCH / "target")
    os.environ["DAGSTER_HOME"] = str(_SCRATCH / "dagster")
    (_SCRATCH / "dagster").mkdir(parents=True, exist_ok=True)

# The built tiny warehouse (extracted once per session) for every folder that needs it.
pytest_plugins = ["tests.warehouse.fixtures"]


@pytest.fixture(scope="session")
def tiny_world() -> World:
    return build_world("tiny")


@pytest.fixture(scope="session")
def tiny_repos(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    """A fresh tiny world with its repositories written to disk."""
    world = build_world("tiny")
    out = tmp_path_factory.mktemp("sandbox")
    write_repositories(world, out)
    return world, out
