"""Warehouse fixtures shared by every test that needs a built warehouse (a pytest plugin).

``tiny_raw`` generates the tiny sandbox from a clean clone (repositories, ``truth.json``,
``people.csv``), serves it on a free port and extracts every source for the world's days plus
quiet days (so 7- and 30-day durability horizons are measured, like the reference warehouse).
Only the extraction assets run (``raw_*`` and the git mirrors): dbt runs separately, with its
own target and log paths, so a test never races another dbt process on the repository's
``target/``.

``built_warehouse`` is a copy of that raw warehouse after a full ``dbt build`` (every model and
test). ``roster_warehouse`` is another, built with a roster that also lists the personal vendor
addresses some people use (the sandbox's roster lists work emails only): what attribution,
spend classes and cost per accepted outcome are scored on (docs/metrics.md "How accuracy is
scored"). Tests that change a warehouse copy ``built_warehouse.path`` (or ``tiny_raw.path``)
first and run dbt on the copy with :func:`dbt_runner`. The extraction runs once per test session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sandbox.reality import RealityOptions

REPO_ROOT = Path(__file__).resolve().parents[2]
# Days loaded after the world's first day (the reference warehouse: 2026-10-01..2026-11-15).
LAST_DAY_OFFSET = 44
# The usage side of the project: its folders, seeds, and everything upstream of them.
USAGE_SELECTION = (
    "+staging.anthropic",
    "+staging.openai",
    "+staging.cursor",
    "+staging.copilot",
    "+staging.people",
    "+intermediate.identity",
    "+intermediate.usage",
    "+core.usage",
    "+marts.cache",
    "+marts.reconciliation",
    "+marts.anomalies",
    "+restricted",
    "seat_prices",
    "unit_prices",
    "model_prices",
    "platforms",
)

DbtRunner = Callable[..., subprocess.CompletedProcess[str]]


@dataclass(frozen=True)
class RawWarehouse:
    """The extracted (raw-only) warehouse of the tiny sandbox and its truth."""

    path: Path
    truth: dict[str, Any]
    roster_path: Path
    first_day: date
    last_day: date


@dataclass
class Warehouse:
    """A built warehouse file, its truth and a dbt runner bound to it."""

    path: Path
    truth: dict[str, Any]
    dbt: DbtRunner
    raw: RawWarehouse

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def dbt_runner(path: Path, work_dir: Path, project_dir: Path = REPO_ROOT) -> DbtRunner:
    """``dbt <args>`` on the warehouse at ``path`` with target/log paths under ``work_dir``
    (``project_dir``: a copy of the project, for tests that change models or seeds)."""
    return dbt_runner_with_env(
        {"TOKENWORTH_DBT_TARGET": "duckdb", "TOKENWORTH_DUCKDB_PATH": str(path)},
        work_dir,
        project_dir,
    )


def dbt_runner_with_env(
    target_env: dict[str, str], work_dir: Path, project_dir: Path = REPO_ROOT
) -> DbtRunner:
    """``dbt <args>`` with ``target_env`` (which warehouse: the profile reads these variables),
    target/log paths under ``work_dir``; ``env`` adds variables to one call (a day window)."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        executable = Path(sys.executable).parent / "dbt"
        return subprocess.run(
            [
                str(executable) if executable.exists() else "dbt",
                *args,
                "--project-dir",
                ".",
                "--profiles-dir",
                "dbt_project",
                "--target-path",
                str(work_dir / "target"),
                "--log-path",
                str(work_dir / "logs"),
            ],
            cwd=project_dir,
            env={
                **os.environ,
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                **target_env,
                **(env or {}),
            },
            capture_output=True,
            text=True,
            check=False,
        )

    return run


def build_usage(
    dbt: DbtRunner, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``dbt build`` of the usage side; tests that also need unselected models are left out."""
    selection = ("--select", *USAGE_SELECTION, "--indirect-selection", "cautious")
    return dbt("build", *selection, *extra, env=env)


def _extract(first: date, last: date) -> None:
    """Materialise the extraction assets (raw tables, git mirrors) for ``first``..``last``."""
    import dagster as dg

    from orchestration.defs import build_definitions
    from orchestration.defs.jobs import EXTRACT_JOB
    from orchestration.run import _instance, validate_range

    first, last = validate_range(first, last)
    defs = build_definitions()
    result = defs.resolve_job_def(EXTRACT_JOB).execute_in_process(
        instance=_instance(),
        raise_on_error=False,
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
    )
    failures = [
        event.step_key
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.STEP_FAILURE
    ]
    assert result.success and not failures, f"extraction failed: {failures}"


def _snapshots_on(mp: pytest.MonkeyPatch, day: date) -> None:
    """Key the vendors' current-state snapshots (Cursor's spend, Copilot's seats) by ``day``, the
    morning after the extracted days, as a nightly run would, instead of the wall clock's day:
    two extractions of the same world (DuckDB's, PostgreSQL's, Spark's) then hold the same
    rows even when a test session runs past midnight."""
    from orchestration.defs.ingest.copilot import source as copilot_source
    from orchestration.defs.ingest.cursor import source as cursor_source

    for module in (copilot_source, cursor_source):
        mp.setattr(module, "today_utc", lambda: day)


def extract_tiny(
    out: Path,
    home: Path,
    warehouse_url: str | None = None,
    reality: RealityOptions | None = None,
    nights: tuple[date, date] | None = None,
) -> RawWarehouse:
    """Generate the tiny sandbox into ``out``, serve it and extract it with ``home`` as
    TOKENWORTH_HOME, into ``warehouse_url`` (default: ``home/warehouse.duckdb``), holding the
    real-world cases ``reality`` turns on (default: the tiny profile's, ``TINY_REALITY``). With
    ``nights`` (the first night's last day, the second's first), in two nights: the days up to
    the first's last as GitHub and the repositories stood on that day, then the days from the
    second's first as of the world's last day (repositories renamed, transferred or deleted in
    between)."""
    from sandbox.cli import prepare
    from sandbox.gitrepos import write_repositories
    from sandbox.profiles import DEFAULT_SEED
    from sandbox.server import SandboxServer

    out.mkdir(parents=True, exist_ok=True)
    split = nights[0] if nights else None
    world = prepare("tiny", DEFAULT_SEED, out, reality, as_of=split)
    first = world.start - timedelta(days=1)
    last = world.start + timedelta(days=LAST_DAY_OFFSET)
    server = SandboxServer(world, as_of=split).start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            for name, value in server.environment(f"file://{out}/git/{{repo}}.git").items():
                mp.setenv(name, value)
            mp.setenv("TOKENWORTH_HOME", str(home))
            mp.setenv("DAGSTER_HOME", str(home / "dagster"))
            (home / "dagster").mkdir(parents=True)
            mp.setenv("TOKENWORTH_PEOPLE_FILE", str(out / "people.csv"))
            mp.setenv("TOKENWORTH_OTEL_PATH", str(out / "otel"))
            mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            if warehouse_url:
                mp.setenv("TOKENWORTH_WAREHOUSE_URL", warehouse_url)
            else:
                mp.delenv("TOKENWORTH_WAREHOUSE_URL", raising=False)
            mp.delenv("TOKENWORTH_GITHUB_REPOS", raising=False)
            if nights is None:
                _snapshots_on(mp, last + timedelta(days=1))
                _extract(first, last)
            else:
                _snapshots_on(mp, nights[0] + timedelta(days=1))
                _extract(first, nights[0])
                write_repositories(world, out)  # as of the last day: moved, linked, deleted
                server.set_as_of(None)
                _snapshots_on(mp, last + timedelta(days=1))
                _extract(nights[1], last)
    finally:
        server.stop()
    return RawWarehouse(
        path=home / "warehouse.duckdb",
        truth=json.loads((out / "truth.json").read_text()),
        roster_path=out / "people.csv",
        first_day=first,
        last_day=last,
    )


def _shared_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A directory every pytest-xdist worker of this session sees (the session's base temp
    directory; its parent when running under xdist, where each worker has its own base)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return base / name


@contextmanager
def _built_once(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[tuple[Path, bool]]:
    """``(directory, done)`` under a lock shared by the session's workers: the first worker finds
    ``done`` false, builds into the directory and the lock is released with it marked done; the
    others wait, then reuse it. A failed build is not marked, so the next worker tries again."""
    from filelock import FileLock

    directory = _shared_dir(tmp_path_factory, name)
    marker = directory / ".done"
    with FileLock(str(directory) + ".lock"):
        done = marker.exists()
        if not done:
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True)
        yield directory, done
        marker.touch()


def _raw_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, reality: RealityOptions | None = None
) -> RawWarehouse:
    """The tiny sandbox (with ``reality``'s cases), generated and extracted into a fresh
    warehouse under the session's ``name`` directory once, shared by the xdist workers."""
    with _built_once(tmp_path_factory, name) as (directory, done):
        if not done:
            raw = extract_tiny(directory / "sandbox", directory / "home", reality=reality)
            (directory / "raw.json").write_text(
                json.dumps(
                    {
                        "path": str(raw.path),
                        "roster_path": str(raw.roster_path),
                        "first_day": raw.first_day.isoformat(),
                        "last_day": raw.last_day.isoformat(),
                    }
                )
            )
        saved = json.loads((directory / "raw.json").read_text())
    return RawWarehouse(
        path=Path(saved["path"]),
        truth=json.loads((directory / "sandbox" / "truth.json").read_text()),
        roster_path=Path(saved["roster_path"]),
        first_day=date.fromisoformat(saved["first_day"]),
        last_day=date.fromisoformat(saved["last_day"]),
    )


def _build_once(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    raw: RawWarehouse,
    prepare: Callable[[Path], None] | None = None,
) -> Warehouse:
    """A copy of ``raw`` (changed by ``prepare``) after a full ``dbt build`` (models and tests)
    under the session's ``name`` directory, once, shared by the xdist workers."""
    with _built_once(tmp_path_factory, name) as (work, done):
        path = work / "warehouse.duckdb"
        dbt = dbt_runner(path, work)
        if not done:
            shutil.copyfile(raw.path, path)
            if prepare is not None:
                prepare(path)
            built = dbt("build")
            assert built.returncode == 0, built.stdout[-8000:]
    return Warehouse(path=path, truth=raw.truth, dbt=dbt, raw=raw)


@pytest.fixture(scope="session")
def tiny_raw(tmp_path_factory: pytest.TempPathFactory) -> RawWarehouse:
    """The tiny sandbox as it is by default (``TINY_REALITY``: usage nobody in the roster owns,
    a ghost, fork PRs, Copilot's seats forbidden), generated and extracted into a fresh
    warehouse (no dbt); once per session, shared by the xdist workers (tests copy it before
    changing it)."""
    return _raw_once(tmp_path_factory, "tiny_raw")


@pytest.fixture(scope="session")
def built_warehouse(tiny_raw: RawWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A copy of the raw tiny warehouse after a full ``dbt build`` (models and tests); once per
    session, shared by the xdist workers, so tests only read it (copy it to change it)."""
    return _build_once(tmp_path_factory, "built_dbt", tiny_raw)


def personal_vendor_addresses(truth: dict[str, Any]) -> dict[str, list[str]]:
    """Person id -> the vendor addresses they use that are not their work email (truth)."""
    personal = {
        p["person_id"]: sorted(
            {email for email in p["vendor_emails"].values() if email != p["work_email"]}
        )
        for p in truth["people"]
    }
    return {person: emails for person, emails in personal.items() if emails}


def list_personal_addresses_in_roster(path: Path, truth: dict[str, Any]) -> None:
    """Add each person's personal vendor addresses to their roster row in the raw warehouse at
    ``path``: what the README tells an analyst to do about unresolved identities."""
    with duckdb.connect(str(path)) as con:
        for person_id, emails in personal_vendor_addresses(truth).items():
            con.execute(
                "update raw_people.roster set emails = emails || ';' || ? where person_id = ?",
                [";".join(emails), person_id],
            )


@pytest.fixture(scope="session")
def roster_warehouse(tiny_raw: RawWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The tiny warehouse built (``dbt build``) with a roster that lists every person's vendor
    addresses, personal ones too, as a deployment that keeps its roster would; once per session,
    shared by the xdist workers (read it only)."""
    return _build_once(
        tmp_path_factory,
        "roster_dbt",
        tiny_raw,
        lambda path: list_personal_addresses_in_roster(path, tiny_raw.truth),
    )


def unassigned_owner(usage: dict[str, Any]) -> str:
    """The warehouse's owner string (``dim_people.person_id``) for one of the truth's
    ``unassigned_usage`` streams: built from its raw owner kind and id."""
    kind, owner_id = usage["owner"]["kind"], usage["owner"]["id"]
    return f"unassigned:{usage['platform']}:{kind}" + (f":{owner_id}" if owner_id else "")


# Usage that belongs to nobody in the roster (issue 22 §2), each case of the sandbox.
UNASSIGNED_CASES = "unowned_keys,api_actors,removed_members,departed_users"


@pytest.fixture(scope="session")
def unassigned_raw(tmp_path_factory: pytest.TempPathFactory) -> RawWarehouse:
    """The tiny sandbox with usage nobody in the roster owns (UNASSIGNED_CASES), extracted
    into a fresh warehouse (no dbt); once per session. (The default tiny world holds the first
    two cases; this one holds every case of usage nobody owns, and no other case.)"""
    return _raw_once(tmp_path_factory, "unassigned_raw", RealityOptions.parse(UNASSIGNED_CASES))


@pytest.fixture(scope="session")
def unassigned_warehouse(
    unassigned_raw: RawWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Warehouse:
    """``unassigned_raw`` after a full ``dbt build`` (every model and test); read it only."""
    return _build_once(tmp_path_factory, "unassigned_dbt", unassigned_raw)


# GitHub as it really is (issue 22 §3), every case of the sandbox's.
GITHUB_CASES = (
    "ghosts,forks,bots,oversized_prs,force_pushes,rebase_merges,repo_lifecycle,"
    "unfetchable_refs,odd_files"
)


@pytest.fixture(scope="session")
def github_raw(tmp_path_factory: pytest.TempPathFactory) -> RawWarehouse:
    """The tiny sandbox with every GitHub case (GITHUB_CASES), extracted as of the world's last
    day into a fresh warehouse (no dbt); once per session."""
    return _raw_once(tmp_path_factory, "github_raw", RealityOptions.parse(GITHUB_CASES))


@pytest.fixture(scope="session")
def github_warehouse(
    github_raw: RawWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Warehouse:
    """``github_raw`` after a full ``dbt build`` (every model and test); read it only."""
    return _build_once(tmp_path_factory, "github_dbt", github_raw)
