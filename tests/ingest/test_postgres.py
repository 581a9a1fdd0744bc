"""The same extraction into PostgreSQL, chosen by TOKENWORTH_WAREHOUSE_URL alone."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_one_day_into_postgres(make_env: Any) -> None:
    url = os.environ.get("TOKENWORTH_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TOKENWORTH_TEST_POSTGRES_URL is not set")
    psycopg2 = pytest.importorskip("psycopg2")
    # A fresh database per test run keeps raw_* schemas from colliding with other tests.
    name = f"tw_ingest_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    base = url.rsplit("/", 1)[0]
    try:
        env = make_env(overrides={"TOKENWORTH_WAREHOUSE_URL": f"{base}/{name}"})
        env.run_ok(env.day(1))
        with psycopg2.connect(f"{base}/{name}") as con, con.cursor() as cur:
            cur.execute("select count(*) from raw_cursor.usage_events")
            events = cur.fetchone()[0]
            cur.execute("select count(*) from raw_github.pull_requests")
            prs = cur.fetchone()[0]
        assert events > 0 and prs > 0
        assert not (env.home / "warehouse.duckdb").exists()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()
