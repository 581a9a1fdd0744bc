"""One run per home at a time: ``$TOKENWORTH_HOME/run.lock`` names the run that holds it.

A second ``tokenworth run`` on the same home refuses at once, naming the running one (pid,
host, start time), instead of failing later on Dagster's SQLite or DuckDB's file lock. A lock
left by a run that was killed (its process is gone) is cleared, with one line saying so.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOCK_FILE = "run.lock"


class RunLockedError(RuntimeError):
    """Another live run holds the home."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def raise_if_locked(home: Path) -> None:
    """Refuse at once when a live run holds ``home`` (without taking the lock; see
    :func:`run_lock`). A lock of a dead process on this host is left for ``run_lock`` to clear.

    Raises:
        RunLockedError: naming the holder.
    """
    path = home / LOCK_FILE
    if not path.exists():
        return
    holder = _read(path)
    pid, host = holder.get("pid"), holder.get("host")
    if host == socket.gethostname() and isinstance(pid, int) and not _alive(pid):
        return
    raise RunLockedError(_held_message(home, path, holder))


def _held_message(home: Path, path: Path, holder: dict[str, Any]) -> str:
    return (
        f"another tokenworth run is using {home}: pid {holder.get('pid')} on "
        f"{holder.get('host')}, started {holder.get('started_at')} — wait for it to finish (or, "
        f"if that process is gone from another host, delete {path})"
    )


@contextmanager
def run_lock(home: Path, *, on_stale: Any = None) -> Iterator[None]:
    """Hold ``home``'s run lock for the duration of the block.

    Args:
        on_stale: called with a one-line message when a dead run's lock is cleared.

    Raises:
        RunLockedError: a live process on this host holds the lock (the message names it), or
            a process on another host does (its liveness cannot be checked from here).
    """
    path = home / LOCK_FILE
    me = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read(path)
            pid, host = holder.get("pid"), holder.get("host")
            if host == me["host"] and isinstance(pid, int) and not _alive(pid):
                path.unlink(missing_ok=True)
                if on_stale:
                    on_stale(
                        f"cleared a stale run lock of pid {pid} (started {holder.get('started_at')}"
                        ", no longer running)"
                    )
                continue
            raise RunLockedError(_held_message(home, path, holder)) from None
        with os.fdopen(fd, "w") as handle:
            json.dump(me, handle)
        break
    try:
        yield
    finally:
        if _read(path).get("pid") == me["pid"]:
            path.unlink(missing_ok=True)
