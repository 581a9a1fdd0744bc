"""No credential reaches a file, Dagster's storage, the warehouse or a process listing.

A whole run (extraction and the dbt build) into PostgreSQL whose URL carries a canary password,
with the sandbox's API keys as further canaries. Afterwards every file under the home and dbt's
target directory is scanned — SQLite databases table by table, their compressed blobs
decompressed (Dagster stores job snapshots zlib-compressed) — and so is every text column of the
warehouse; during the run every process's command line is sampled.
"""

from __future__ import annotations

import gzip
import os
import sqlite3
import threading
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CANARY = f"canary{uuid.uuid4().hex}"


def _texts(value: Any) -> Iterator[str]:
    """A stored value and what it decompresses to."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes | memoryview):
        data = bytes(value)
        yield data.decode("utf-8", "replace")
        for inflate in (zlib.decompress, gzip.decompress):
            try:
                yield inflate(data).decode("utf-8", "replace")
            except Exception:  # not that kind of blob
                continue


def _sqlite_texts(path: Path) -> Iterator[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            for row in con.execute(f'select * from "{table}"'):
                for value in row:
                    yield from _texts(value)
    finally:
        con.close()


def _file_texts(path: Path) -> Iterator[str]:
    data = path.read_bytes()
    if data.startswith(b"SQLite format 3"):
        yield from _sqlite_texts(path)
    else:
        yield from _texts(data)


def _sample_command_lines(stop: threading.Event, seen: list[str]) -> None:
    while not stop.wait(0.2):
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                seen.append(cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace"))
            except OSError:
                continue


def test_no_credential_reaches_a_file_the_warehouse_or_a_process_listing(
    make_env: Any, tmp_path: Path
) -> None:
    url = os.environ.get("TOKENWORTH_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TOKENWORTH_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    psycopg2 = pytest.importorskip("psycopg2")
    from orchestration.run import run_partitions

    name = f"tw_canary_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    # The test server trusts local connections, so any password is accepted: the canary travels
    # everywhere a real password would.
    parts = url.rsplit("/", 1)[0].split("://", 1)
    user_host = parts[1].split("@", 1)
    warehouse = f"{parts[0]}://{user_host[0]}:{CANARY}@{user_host[1]}/{name}"
    target = tmp_path / "target"
    seen: list[str] = []
    stop = threading.Event()
    try:
        env = make_env(
            overrides={"TOKENWORTH_WAREHOUSE_URL": warehouse, "DBT_TARGET_PATH": str(target)}
        )
        sampler = threading.Thread(target=_sample_command_lines, args=(stop, seen), daemon=True)
        sampler.start()
        try:
            summary = run_partitions(env.day(1), env.day(1))
        finally:
            stop.set()
            sampler.join(timeout=5)
        assert summary.exit_code == 0, summary.failures
        server = env.server
        canaries = {
            "PostgreSQL password": CANARY,
            "Anthropic key": server.anthropic_admin_key,
            "OpenAI key": server.openai_admin_key,
            "Cursor key": server.cursor_admin_key,
            "GitHub token": server.github_token,
        }
        files = [p for root in (env.home, target) for p in root.rglob("*") if p.is_file()]
        assert any(p.suffix == ".db" for p in files), "Dagster's SQLite storage was scanned"
        for path in files:
            for text in _file_texts(path):
                for what, secret in canaries.items():
                    assert secret not in text, f"{what} in {path}"
        assert len(seen) > 10, "command lines were sampled during the run"
        for cmdline in seen:
            for what, secret in canaries.items():
                assert secret not in cmdline, f"{what} in a command line: {cmdline[:80]}"
        with psycopg2.connect(warehouse) as con, con.cursor() as cur:
            cur.execute(
                "select table_schema, table_name, column_name from information_schema.columns "
                "where table_schema not in ('pg_catalog', 'information_schema') "
                "and data_type in ('text', 'character varying', 'jsonb', 'json')"
            )
            columns = cur.fetchall()
            assert len(columns) > 100
            for schema, table, column in columns:
                cur.execute(
                    f'select count(*) from "{schema}"."{table}" '
                    f'where "{column}"::text like %s or "{column}"::text like %s',
                    (f"%{CANARY}%", f"%{server.anthropic_admin_key}%"),
                )
                assert cur.fetchone()[0] == 0, f"{schema}.{table}.{column}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()
