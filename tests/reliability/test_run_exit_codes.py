"""``tokenworth run`` refuses what it cannot do in one line, with the documented exit code.

0 everything loaded and built; 1 some input failed but the warehouse was built (tested end to
end in ``tests/ingest/test_failing_inputs.py``); 2 bad configuration or command line, or the home
is held by another run; 3 the warehouse cannot be built (here: it cannot be reached). Each case
runs the real command line in a subprocess.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.warehouse.fixtures import REPO_ROOT

CREDENTIALS = (
    "ANTHROPIC_ADMIN_API_KEY",
    "OPENAI_ADMIN_API_KEY",
    "CURSOR_ADMIN_API_KEY",
    "GITHUB_TOKEN",
    "TOKENWORTH_GITHUB_ORG",
    "TOKENWORTH_GITHUB_REPOS",
    "TOKENWORTH_PEOPLE_FILE",
    "TOKENWORTH_WAREHOUSE_URL",
    "TOKENWORTH_SOURCES",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(home: Path, tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in CREDENTIALS and not k.startswith(("DAGSTER_", "DBT_TARGET"))
    }
    env.update(
        {
            "TOKENWORTH_HOME": str(home),
            "TOKENWORTH_START_DATE": "2020-01-01",
            "DBT_TARGET_PATH": str(tmp_path / "target"),
            **variables,
        }
    )
    return subprocess.run(
        [str(Path(sys.executable).parent / "tokenworth"), "run", "--start", str(yesterday)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_nothing_configured_exits_2_naming_the_variables(tmp_path: Path) -> None:
    done = _run(tmp_path / "home", tmp_path)
    assert done.returncode == 2
    line = _one_line(done)
    assert line.startswith("tokenworth run: no source is configured")
    for variable in ("ANTHROPIC_ADMIN_API_KEY", "OPENAI_ADMIN_API_KEY", "GITHUB_TOKEN"):
        assert variable in line


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "TOKENWORTH_START_DATE",
            "2026/01/01",
            "TOKENWORTH_START_DATE must be a day like 2026-01-31 (got '2026/01/01')",
        ),
        (
            "TOKENWORTH_SOURCES",
            "anthropic,copilott",
            "TOKENWORTH_SOURCES names unknown source(s) copilott",
        ),
        (
            "TOKENWORTH_RUN_TIMEOUT_SECONDS",
            "soon",
            "TOKENWORTH_RUN_TIMEOUT_SECONDS must be a positive number of seconds",
        ),
        (
            "TOKENWORTH_GITHUB_REPOS",
            "acme/api,../../etc",
            "TOKENWORTH_GITHUB_REPOS: '../../etc' is not a GitHub repository name",
        ),
    ],
)
def test_a_bad_setting_exits_2_naming_the_variable(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    done = _run(
        tmp_path / "home", tmp_path, ANTHROPIC_ADMIN_API_KEY="sk-ant-admin01-x", **{variable: value}
    )
    assert done.returncode == 2, done.stderr
    assert expected in _one_line(done)


def test_a_home_that_is_a_file_exits_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("not a directory")
    done = _run(home, tmp_path, ANTHROPIC_ADMIN_API_KEY="sk-ant-admin01-x")
    assert done.returncode == 2
    assert f"TOKENWORTH_HOME={home} is a file, not a directory" in _one_line(done)


def test_an_unreachable_warehouse_exits_3_in_one_line(tmp_path: Path) -> None:
    url = f"postgresql://tokenworth:s3cret-pass@127.0.0.1:{_free_port()}/warehouse"
    done = _run(
        tmp_path / "home",
        tmp_path,
        ANTHROPIC_ADMIN_API_KEY="sk-ant-admin01-x",
        TOKENWORTH_WAREHOUSE_URL=url,
    )
    assert done.returncode == 3, done.stderr
    line = _one_line(done)
    assert line.startswith(
        "tokenworth run: cannot reach the warehouse postgresql://tokenworth:***@"
    )
    assert "s3cret-pass" not in done.stdout + done.stderr


def test_a_second_run_on_the_same_home_refuses_at_once_naming_the_first(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        (home / "run.lock").write_text(
            json.dumps(
                {
                    "pid": holder.pid,
                    "host": socket.gethostname(),
                    "started_at": "2026-12-01T02:00:00+00:00",
                }
            )
        )
        done = _run(home, tmp_path, ANTHROPIC_ADMIN_API_KEY="sk-ant-admin01-x")
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2
    line = _one_line(done)
    assert f"another tokenworth run is using {home}: pid {holder.pid}" in line
    assert "started 2026-12-01T02:00:00+00:00" in line
    # Nothing else was touched: no Dagster home, no warehouse.
    assert sorted(p.name for p in home.iterdir()) == ["run.lock"]


def test_a_stale_lock_of_a_killed_run_is_cleared(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (home / "run.lock").write_text(
        json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started_at": "earlier"})
    )
    url = f"postgresql://tokenworth@127.0.0.1:{_free_port()}/warehouse"
    done = _run(
        home, tmp_path, ANTHROPIC_ADMIN_API_KEY="sk-ant-admin01-x", TOKENWORTH_WAREHOUSE_URL=url
    )
    # Past the lock: the run went on to the (unreachable) warehouse, and released the lock.
    assert done.returncode == 3
    assert f"cleared a stale run lock of pid {dead.pid}" in done.stdout
    assert not (home / "run.lock").exists()


def test_a_ten_year_window_says_what_it_is_doing_within_seconds(tmp_path: Path) -> None:
    """A long backfill never computes for minutes in silence: a line at once, then progress."""
    import time

    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    first = yesterday.replace(year=yesterday.year - 10)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in CREDENTIALS and not k.startswith(("DAGSTER_", "DBT_TARGET"))
    }
    env.update(
        {
            "TOKENWORTH_HOME": str(tmp_path / "home"),
            "TOKENWORTH_START_DATE": first.isoformat(),
            "DBT_TARGET_PATH": str(tmp_path / "target"),
            "ANTHROPIC_ADMIN_API_KEY": "sk-ant-admin01-x",
            # Nothing listens there: the run would fail its one source quickly, but it is
            # stopped once it has spoken.
            "TOKENWORTH_ANTHROPIC_BASE_URL": f"http://127.0.0.1:{_free_port()}",
        }
    )
    started = time.monotonic()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "tokenworth"),
            "run",
            "--start",
            first.isoformat(),
            "--end",
            yesterday.isoformat(),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        took = time.monotonic() - started
    finally:
        process.kill()
        process.wait()
    days = (yesterday - first).days + 1
    assert line.startswith(f"tokenworth run: {days:,} day(s), {first}..{yesterday}"), line
    # Importing the command line (Dagster, dlt) takes a few seconds on a busy CI machine.
    assert took < 30, f"the first line came after {took:.0f}s"
