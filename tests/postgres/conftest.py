"""The tiny sandbox extracted into PostgreSQL and built there with dbt (``pg_warehouse``).

PostgreSQL tests run when ``TOKENWORTH_TEST_POSTGRES_URL`` names a server (``.ci/run`` sets
``postgresql://postgres@127.0.0.1:5432/test``); elsewhere they are skipped. Each session creates
its own database (``tw_e2e_<random>``) on that server and drops it at the end, so runs never see
each other's tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orchestration.lib.warehouse import parse_warehouse_url
from tests.warehouse.fixtures import DbtRunner, RawWarehouse, dbt_runner_with_env, extract_tiny


@dataclass
class PostgresWarehouse:
    """A built PostgreSQL warehouse: its URL, the extraction's truth and a dbt runner."""

    url: str
    raw: RawWarehouse
    dbt: DbtRunner
    seconds: dict[str, float]

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg2

        con = psycopg2.connect(self.url)
        try:
            with con.cursor() as cur:
                cur.execute("set time zone 'UTC'")
                cur.execute(sql, params)
                return cur.fetchall()
        finally:
            con.close()


def postgres_dbt_runner(url: str, work_dir: Path) -> DbtRunner:
    """``dbt <args>`` on the postgres target of ``url``, target/log paths under ``work_dir``."""
    return dbt_runner_with_env(parse_warehouse_url(url).dbt_env(), work_dir)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = os.environ.get("TOKENWORTH_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TOKENWORTH_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    pytest.importorskip("psycopg2")
    return url


@pytest.fixture(scope="session")
def fresh_postgres_database(postgres_server_url: str) -> Iterator[str]:
    """The URL of a new, empty database on the test server; dropped when the session ends."""
    import psycopg2

    name = f"tw_e2e_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(postgres_server_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'create database "{name}"')
        yield f"{postgres_server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


@pytest.fixture(scope="session")
def pg_warehouse(
    fresh_postgres_database: str, tmp_path_factory: pytest.TempPathFactory
) -> PostgresWarehouse:
    """The tiny sandbox (the same days as ``tiny_raw``) extracted into PostgreSQL, then a full
    ``dbt build`` (every model and test) on the postgres target."""
    import time

    seconds: dict[str, float] = {}
    started = time.monotonic()
    raw = extract_tiny(
        tmp_path_factory.mktemp("pg_sandbox"),
        tmp_path_factory.mktemp("pg_home"),
        warehouse_url=fresh_postgres_database,
    )
    seconds["extract"] = time.monotonic() - started
    dbt = postgres_dbt_runner(fresh_postgres_database, tmp_path_factory.mktemp("pg_dbt"))
    started = time.monotonic()
    done = dbt("build")
    seconds["dbt_build"] = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-8000:]
    return PostgresWarehouse(url=fresh_postgres_database, raw=raw, dbt=dbt, seconds=seconds)
