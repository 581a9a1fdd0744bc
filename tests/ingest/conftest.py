"""End-to-end fixtures: the sandbox (tiny profile) on a free port, env pointed at it, runs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.run import RunSummary, run_partitions
from sandbox.reality import RealityOptions

# Per-load stamps (dlt's, and the archive's version of a day): they differ between any two runs.
IGNORED_COLUMNS = {"_dlt_load_id", "_dlt_id", "_tokenworth_load_id"}
INGEST_GROUPS = tuple(
    f"ingest_{s}" for s in ("anthropic", "openai", "cursor", "copilot", "github", "git")
)


@dataclass(frozen=True)
class Sandbox:
    world: Any
    repos_dir: Path


@pytest.fixture(scope="session")
def tiny_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """The tiny sandbox world with its git repositories written (commit ids filled in)."""
    sandbox_generate = pytest.importorskip("sandbox.generate")
    from sandbox.gitrepos import write_repositories

    world = sandbox_generate.build_world("tiny", 7)
    repos_dir = tmp_path_factory.mktemp("repos")
    write_repositories(world, repos_dir)
    return Sandbox(world=world, repos_dir=repos_dir)


@dataclass
class Env:
    """A configured environment: sandbox URL, TOKENWORTH_HOME, and how to run days."""

    home: Path
    server: Any
    world: Any

    def run(self, first: date, last: date | None = None) -> RunSummary:
        # Extraction only: the dbt models downstream are tested on their own.
        return run_partitions(first, last, groups=INGEST_GROUPS)

    def run_ok(self, first: date, last: date | None = None) -> RunSummary:
        """Run and require every extraction step to succeed (downstream dbt is judged by its
        own tests: these tests are about the raw tables)."""
        summary = self.run(first, last)
        failed = ingest_failures(summary)
        assert not failed, failed
        return summary

    def day(self, offset: int) -> date:
        return self.world.start + timedelta(days=offset)

    @property
    def last_day(self) -> date:
        return self.world.start + timedelta(days=self.world.days - 1)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Tables with this server's URL (a free port) replaced, so runs compare across servers."""
        url = self.server.url

        def norm(value: Any) -> Any:
            return value.replace(url, "<sandbox>") if isinstance(value, str) else value

        return {
            table: sorted((tuple(norm(v) for v in row) for row in rows), key=repr)
            for table, rows in snapshot(self.home / "warehouse.duckdb").items()
        }

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(sql).fetchall()


def ingest_failures(summary: RunSummary) -> dict[str, str]:
    """Failures of the extraction steps (``raw_*`` and the git mirrors) only."""
    return {
        step: message
        for step, message in summary.failures.items()
        if step.startswith(("raw_", "git"))
    }


@pytest.fixture
def make_env(
    tiny_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Env]]:
    """Start a sandbox server (optionally with faults) and point every variable at it."""
    from sandbox.server import SandboxServer

    servers: list[Any] = []

    def factory(
        faults: str | None = None,
        overrides: dict[str, str | None] | None = None,
        reality: str | None = None,
        **kw: Any,
    ) -> Env:
        # ``reality``: sandbox cases by name (``RealityOptions.parse``), e.g. wrong answers,
        # added to the cases the tiny world holds by default.
        world = tiny_sandbox.world
        if reality:
            world = dataclasses.replace(
                world, reality=RealityOptions.parse(reality, base=world.reality)
            )
        server = SandboxServer(world, faults=faults, **kw).start()
        servers.append(server)
        home = tmp_path_factory.mktemp("home")
        template = f"file://{tiny_sandbox.repos_dir}/git/{{repo}}.git"
        for name, value in server.environment(template).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("TOKENWORTH_HOME", str(home))
        monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
        (home / "dagster").mkdir()
        monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        monkeypatch.delenv("TOKENWORTH_WAREHOUSE_URL", raising=False)
        monkeypatch.delenv("TOKENWORTH_GITHUB_REPOS", raising=False)
        for name, value in (overrides or {}).items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        return Env(home=home, server=server, world=world)

    yield factory
    for server in servers:
        server.stop()


def snapshot(
    path: Path, ignored_columns: frozenset[str] = frozenset()
) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw table's rows (without dlt's load ids and ``ignored_columns``), sorted: equal
    snapshots = equal tables."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            # raw_tokenworth is the run log (one row per source per run): it grows by design.
            "where table_schema like 'raw\\_%' escape '\\' and table_schema not like '%staging' "
            "and table_schema != 'raw_tokenworth' "
            "and table_name not like '\\_dlt%' escape '\\' order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            columns = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by column_name",
                    [schema, table],
                ).fetchall()
                if r[0] not in IGNORED_COLUMNS | ignored_columns
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'select {select} from {schema}."{table}"').fetchall()
            out[f"{schema}.{table}"] = sorted(rows, key=repr)
    return out
