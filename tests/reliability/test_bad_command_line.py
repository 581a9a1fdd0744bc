"""Bad ``tokenworth run`` input is refused with a clear message and changes nothing.

Each case runs the real command line in a subprocess against a TOKENWORTH_HOME that already
holds a warehouse; afterwards every file under it must be byte-for-byte what it was, and no
Dagster run, dlt state or dbt target may have appeared.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.fixtures import REPO_ROOT

# Dates relative to today are built when the test runs (a suite can cross midnight UTC).
CASES: list[tuple[str, Callable[[date], tuple[list[str], str]]]] = [
    (
        "not a date",
        lambda _: (
            ["--start", "2026-13-01"],
            "argument --start: '2026-13-01' is not a date: use YYYY-MM-DD, e.g. 2026-11-01",
        ),
    ),
    (
        "a word",
        lambda _: (
            ["--start", "yesterday"],
            "argument --start: 'yesterday' is not a date: use YYYY-MM-DD",
        ),
    ),
    (
        "end before start",
        lambda _: (
            ["--start", "2026-10-05", "--end", "2026-10-02"],
            "tokenworth run: --end 2026-10-02 is before --start 2026-10-05",
        ),
    ),
    (
        "end in the future",
        lambda today: (
            ["--start", str(today - timedelta(days=2)), "--end", str(today + timedelta(days=3))],
            f"tokenworth run: {today + timedelta(days=3)} is in the future: "
            f"the last complete UTC day is {today - timedelta(days=1)}",
        ),
    ),
    (
        "today",
        lambda today: (
            ["--start", str(today)],
            f"tokenworth run: {today} is today, which is not complete yet: "
            f"the last complete UTC day is {today - timedelta(days=1)}",
        ),
    ),
    (
        "before the first partition",
        lambda _: (
            ["--start", "2019-12-31"],
            "tokenworth run: --start 2019-12-31 is before the first partition 2020-01-01 "
            "(set TOKENWORTH_START_DATE to go further back)",
        ),
    ),
]


def _tree(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[name for name, _ in CASES])
def test_bad_input_is_refused_and_changes_nothing(
    tmp_path: Path, case: Callable[[date], tuple[list[str], str]]
) -> None:
    today = datetime.now(UTC).date()
    arguments, message = case(today)
    home = tmp_path / "home"
    home.mkdir()
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("create schema raw_cursor")
        con.execute("create table raw_cursor.usage_events as select 1 as event_key")
    before = _tree(home)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "DBT_TARGET"))}
    env.update(
        TOKENWORTH_HOME=str(home),
        TOKENWORTH_START_DATE="2020-01-01",
        DBT_TARGET_PATH=str(tmp_path / "target"),
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "tokenworth"), "run", *arguments],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if datetime.now(UTC).date() != today:
        pytest.skip("midnight UTC passed while the command ran: 'today' changed under it")
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert _tree(home) == before
    assert not (tmp_path / "target").exists()
