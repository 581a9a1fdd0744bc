"""The progress lines `tokenworth run` and `tokenworth demo` print come from Dagster's event log:
the watcher must read a real run's steps (a cursor Dagster does not accept once silenced every
progress line with "progress unavailable")."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from orchestration.console import report_steps


@dg.op
def load_usage() -> int:
    return 1


@dg.op
def build_marts(rows: int) -> int:
    return rows + 1


@dg.job
def two_steps() -> None:
    build_marts(load_usage())


def test_progress_lines_name_each_finished_step_of_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    since = time.time()
    from orchestration.run import _instance

    with _instance() as instance:
        assert two_steps.execute_in_process(instance=instance).success
    out = io.StringIO()
    stop = threading.Event()
    stop.set()  # one pass over what the run recorded, then return

    report_steps(out, stop, since)

    text = out.getvalue()
    assert "progress unavailable" not in text, text
    lines = [line.split() for line in text.splitlines()]
    assert [words[:2] for words in lines] == [["ok", "load_usage"], ["ok", "build_marts"]], text
