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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.fixtures import REPO_ROOT

TODAY = datetime.now(UTC).date()
CASES = [
    (
        ["--start", "2026-13-01"],
        "argument --start: '2026-13-01' is not a date: use YYYY-MM-DD, e.g. 2026-11-01",
    ),
    (["--start", "yesterday"], "argument --start: 'yesterday' is not a date: use YYYY-MM-DD"),
    (
        ["--start", "2026-10-05", "--end", "2026-10-02"],
        "tokenworth run: --end 2026-10-02 is before --start 2026-10-05",
    ),
    (
        ["--start", str(TODAY - timedelta(days=2)), "--end", str(TODAY + timedelta(days=3))],
        f"tokenworth run: {TODAY + timedelta(days=3)} is in the future: "
        f"the last complete UTC day is {TODAY - timedelta(days=1)}",
    ),
    (
        ["--start", str(TODAY)],
        f"tokenworth run: {TODAY} is today, which is not complete yet: "
        f"the last complete UTC day is {TODAY - timedelta(days=1)}",
    ),
    (
        ["--start", "2019-12-31"],
        "tokenworth run: --start 2019-12-31 is before the first partition 2020-01-01 "
        "(set TOKENWORTH_START_DATE to go further back)",
    ),
]


def _tree(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize(("arguments", "message"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_input_is_refused_and_changes_nothing(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
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
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert _tree(home) == before
    assert not (tmp_path / "target").exists()
