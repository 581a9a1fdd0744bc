"""What ``tokenworth run`` and ``tokenworth demo`` show on the terminal while a run works.

Dagster's and dbt's own logs go to a file (``$TOKENWORTH_HOME/logs/<command>-<time>.log``); the
terminal gets one line per finished step with its time, and while a step runs long, a heartbeat
saying what is running — for the dbt build, how many of its nodes are done ("dbt 283/369").
The lines come from polling Dagster's run storage, so the jobs run exactly as they do under the
schedule.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

T = TypeVar("T")
# Seconds without a finished step before the terminal hears what is still running.
HEARTBEAT_SECONDS = 15


def log_path(home: Path, command: str) -> Path:
    path = home / "logs" / f"{command}-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def output_to(path: Path) -> Iterator[TextIO]:
    """Send this process's and its children's stdout/stderr to ``path``.

    Yields a stream to the real terminal for progress lines. Redirecting the file descriptors
    (not just ``sys.stdout``) also catches the dbt subprocess and Dagster's console logger.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved_out), "w", buffering=1, encoding="utf-8")
    with path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            terminal.close()


def with_progress(work: Callable[[TextIO], T], path: Path, indent: str = "  ") -> T:
    """``work(terminal)`` with its logs in ``path`` and progress lines on the terminal."""
    with output_to(path) as terminal:
        stop = threading.Event()
        watcher = threading.Thread(
            target=report_steps, args=(terminal, stop, time.time(), indent), daemon=True
        )
        watcher.start()
        try:
            return work(terminal)
        finally:
            stop.set()
            watcher.join(timeout=10)


def _dbt_nodes() -> int:
    """How many nodes a ``dbt build`` runs (models, seeds, snapshots, data tests)."""
    import json

    from orchestration.defs.transform.project import dbt_project

    try:
        manifest = json.loads(dbt_project().manifest_path.read_text())
    except (OSError, ValueError):
        return 0
    kinds = {"model", "seed", "snapshot", "test"}
    return sum(1 for node in manifest["nodes"].values() if node["resource_type"] in kinds)


# Consecutive failed reads of the Dagster storage before the progress lines stop.
_READ_ATTEMPTS = 10


def report_steps(out: TextIO, stop: threading.Event, since: float, indent: str = "  ") -> None:
    """Poll the Dagster instance for the runs started since ``since`` and print each finished
    step; every ``HEARTBEAT_SECONDS`` without one, say what is running."""
    import dagster as dg

    from orchestration.run import _instance

    instance = _instance()
    kinds = {
        dg.DagsterEventType.STEP_START,
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.STEP_FAILURE,
        dg.DagsterEventType.ASSET_MATERIALIZATION,
        dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    }
    started: dict[str, float] = {}
    done: set[str] = set()
    dbt_done: dict[str, set[str]] = {}
    seen_until: dict[str, str] = {}
    dbt_total = 0
    failures = 0
    quiet_since = time.monotonic()
    while True:
        final = stop.wait(1.0)
        try:
            runs = [
                r.dagster_run.run_id
                for r in instance.get_run_records(limit=5)
                if r.create_timestamp.timestamp() >= since - 1
            ]
            for run_id in reversed(runs):
                # Dagster's own cursor of the records read so far (None: from the start).
                result = instance.get_records_for_run(
                    run_id, cursor=seen_until.get(run_id), of_type=kinds
                )
                seen_until[run_id] = result.cursor
                records = result.records
                for record in records:
                    _step_line(record.event_log_entry, out, indent, started, done, dbt_done)
                    if record.event_log_entry.dagster_event.event_type in (
                        dg.DagsterEventType.STEP_SUCCESS,
                        dg.DagsterEventType.STEP_FAILURE,
                    ):
                        quiet_since = time.monotonic()
        except Exception as error:  # progress must never break the run itself
            # The run writes the same SQLite storage: a read can fail while it commits. Try
            # again next second; give up (saying why) only when it keeps failing.
            failures += 1
            if failures < _READ_ATTEMPTS:
                continue
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
            out.write(f"{indent}(progress unavailable: {type(error).__name__}: {reason})\n")
            return
        failures = 0
        if final:
            return
        if time.monotonic() - quiet_since >= HEARTBEAT_SECONDS:
            running = sorted(set(started) - done)
            if running:
                parts = []
                for key in running:
                    if key in dbt_done:
                        dbt_total = dbt_total or _dbt_nodes()
                        parts.append(f"{key} (dbt {len(dbt_done[key])}/{dbt_total})")
                    else:
                        parts.append(key)
                what = f"running {', '.join(parts)}"
                took = time.time() - min(started[key] for key in running)
            else:
                # Before the first step Dagster parses dbt, loads the definitions and records
                # the planned materialisations.
                what = "preparing the run" if not done else "between steps"
                took = time.time() - since
            out.write(f"{indent}… {what} ({took:.0f}s so far)\n")
            quiet_since = time.monotonic()


def _step_line(
    entry: Any,
    out: TextIO,
    indent: str,
    started: dict[str, float],
    done: set[str],
    dbt_done: dict[str, set[str]],
) -> None:
    import dagster as dg

    event = entry.dagster_event
    key = event.step_key if event else None
    if event is None or key is None or key in done:
        return
    kind = event.event_type
    if kind == dg.DagsterEventType.STEP_START:
        started.setdefault(key, entry.timestamp)
    elif kind in (
        dg.DagsterEventType.ASSET_MATERIALIZATION,
        dg.DagsterEventType.ASSET_CHECK_EVALUATION,
    ):
        if key.endswith("dbt"):
            # A range run records a materialisation per day: count each node once.
            asset = event.asset_key.to_user_string() if event.asset_key else ""
            check = getattr(event.event_specific_data, "check_name", None) or ""
            dbt_done.setdefault(key, set()).add(f"{asset}:{check}")
    else:
        done.add(key)
        took = entry.timestamp - started.get(key, entry.timestamp)
        status = "ok" if kind == dg.DagsterEventType.STEP_SUCCESS else "FAILED"
        out.write(f"{indent}{status:<6} {key} ({took:.0f}s)\n")
