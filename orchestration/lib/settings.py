"""Names and defaults of every environment variable the extraction reads, in one place.

Only the Dagster resources (``orchestration/defs/resources.py``) and the in-process runner read the
environment; asset bodies receive configured resources and never call ``os.getenv``.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

TOKENWORTH_HOME = "TOKENWORTH_HOME"
TOKENWORTH_WAREHOUSE_URL = "TOKENWORTH_WAREHOUSE_URL"
# First day of the daily partitions; vendors keep short windows, so older days rarely exist.
TOKENWORTH_START_DATE = "TOKENWORTH_START_DATE"
TOKENWORTH_HTTP_TIMEOUT = "TOKENWORTH_HTTP_TIMEOUT_SECONDS"
# Which sources run (comma-separated names); unset: every source whose credential is set.
TOKENWORTH_SOURCES = "TOKENWORTH_SOURCES"
# Seconds a run's extraction may take before its remaining requests fail (the run still builds).
TOKENWORTH_RUN_TIMEOUT = "TOKENWORTH_RUN_TIMEOUT_SECONDS"
# The largest share of a stored day's rows or cost a new load of that day may drop before the
# load is held instead of applied (orchestration/defs/ingest/archive.py; docs/architecture.md).
TOKENWORTH_ARCHIVE_MAX_DROP = "TOKENWORTH_ARCHIVE_MAX_DROP"

ANTHROPIC_ADMIN_API_KEY = "ANTHROPIC_ADMIN_API_KEY"
TOKENWORTH_ANTHROPIC_BASE_URL = "TOKENWORTH_ANTHROPIC_BASE_URL"
OPENAI_ADMIN_API_KEY = "OPENAI_ADMIN_API_KEY"
TOKENWORTH_OPENAI_BASE_URL = "TOKENWORTH_OPENAI_BASE_URL"
CURSOR_ADMIN_API_KEY = "CURSOR_ADMIN_API_KEY"
TOKENWORTH_CURSOR_BASE_URL = "TOKENWORTH_CURSOR_BASE_URL"
GITHUB_TOKEN = "GITHUB_TOKEN"
TOKENWORTH_GITHUB_API_URL = "TOKENWORTH_GITHUB_API_URL"
TOKENWORTH_GITHUB_ORG = "TOKENWORTH_GITHUB_ORG"
TOKENWORTH_GITHUB_REPOS = "TOKENWORTH_GITHUB_REPOS"
TOKENWORTH_GIT_CLONE_URL = "TOKENWORTH_GIT_CLONE_URL"
TOKENWORTH_PEOPLE_FILE = "TOKENWORTH_PEOPLE_FILE"
# Directory or object-store prefix (s3://, gs://) of an OpenTelemetry Collector's file exporter.
TOKENWORTH_OTEL_PATH = "TOKENWORTH_OTEL_PATH"
# Repositories measured at once by the git durability asset (one process each); unset: per CPU.
TOKENWORTH_GIT_WORKERS = "TOKENWORTH_GIT_WORKERS"
# DuckDB only: how much memory the dbt build's DuckDB may use before it spills to disk.
TOKENWORTH_DUCKDB_MEMORY_LIMIT = "TOKENWORTH_DUCKDB_MEMORY_LIMIT"

DEFAULTS: dict[str, str] = {
    TOKENWORTH_HOME: "./.tokenworth",
    TOKENWORTH_START_DATE: "2025-01-01",
    TOKENWORTH_HTTP_TIMEOUT: "60",
    TOKENWORTH_RUN_TIMEOUT: "14400",
    TOKENWORTH_ARCHIVE_MAX_DROP: "0.2",
    TOKENWORTH_ANTHROPIC_BASE_URL: "https://api.anthropic.com",
    TOKENWORTH_OPENAI_BASE_URL: "https://api.openai.com",
    TOKENWORTH_CURSOR_BASE_URL: "https://api.cursor.com",
    TOKENWORTH_GITHUB_API_URL: "https://api.github.com",
    TOKENWORTH_GITHUB_REPOS: "",
    TOKENWORTH_GITHUB_ORG: "",
    TOKENWORTH_GIT_CLONE_URL: "https://github.com/{repo}.git",
    # DuckDB's own default.
    TOKENWORTH_DUCKDB_MEMORY_LIMIT: "80%",
}


def env(name: str) -> str:
    """The variable's value, or its documented default (empty string when it has none)."""
    value = os.environ.get(name, "")
    return value if value.strip() else DEFAULTS.get(name, "")


def is_set(name: str) -> bool:
    """True when the variable holds a non-blank value (blank counts as unset)."""
    return bool(os.environ.get(name, "").strip())


def git_workers() -> int | None:
    """``TOKENWORTH_GIT_WORKERS`` as a positive integer, or None (unset: one per CPU).

    Raises ValueError naming the variable and the value, so a typo stops the run before any
    work instead of silently running with a default.
    """
    raw = os.environ.get(TOKENWORTH_GIT_WORKERS, "").strip()
    if not raw:
        return None
    try:
        workers = int(raw)
    except ValueError:
        workers = 0
    if workers < 1:
        raise ValueError(
            f"{TOKENWORTH_GIT_WORKERS} must be a positive whole number (how many repositories "
            f"git durability measures at once), got {raw!r}: set it to 1 or more, or unset it "
            f"for one per CPU ({os.cpu_count()} here)"
        )
    return workers


def tokenworth_home(create: bool = True) -> Path:
    """``TOKENWORTH_HOME`` as an absolute path (created unless ``create`` is False).

    Raises:
        ValueError: the path is a file, or cannot be created or written (names the variable).
    """
    home = Path(env(TOKENWORTH_HOME)).expanduser().resolve()
    if home.exists() and not home.is_dir():
        raise ValueError(
            f"{TOKENWORTH_HOME}={home} is a file, not a directory: point it at a directory "
            "tokenworth may write its warehouse, mirrors and state into"
        )
    if create:
        try:
            home.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ValueError(
                f"{TOKENWORTH_HOME}={home} cannot be created ({error.strerror}): point it at a "
                "writable directory"
            ) from None
        if not os.access(home, os.W_OK | os.X_OK):
            raise ValueError(
                f"{TOKENWORTH_HOME}={home} is not writable: point it at a directory this user "
                "may write into"
            )
    return home


def start_date() -> date:
    """``TOKENWORTH_START_DATE``, the first daily partition (default 2025-01-01).

    Raises ValueError naming the variable, so a typo stops the definitions with one clear line
    instead of Python's "Invalid isoformat string".
    """
    raw = env(TOKENWORTH_START_DATE).strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{TOKENWORTH_START_DATE} must be a day like 2026-01-31 (got {raw!r}): "
            f"set it to the first day to load, or unset it for {DEFAULTS[TOKENWORTH_START_DATE]}"
        ) from None


def run_timeout_seconds() -> float:
    """``TOKENWORTH_RUN_TIMEOUT_SECONDS``: how long a run's extraction may take (default 4 h).

    Raises ValueError naming the variable and the value.
    """
    return _positive_seconds(TOKENWORTH_RUN_TIMEOUT, "how long a run's extraction may take")


def archive_max_drop() -> float:
    """``TOKENWORTH_ARCHIVE_MAX_DROP``: the share (0 to 1, default 0.2) of a stored day's rows or
    cost a new load may drop before it is held for the operator instead of replacing the day.

    Raises ValueError naming the variable and the value.
    """
    raw = env(TOKENWORTH_ARCHIVE_MAX_DROP).strip()
    try:
        share = float(raw)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise ValueError(
            f"{TOKENWORTH_ARCHIVE_MAX_DROP} must be a share between 0 and 1 (the largest drop "
            f"in a day's rows or cost applied without the operator), got {raw!r}: set it to e.g. "
            f"0.2, or unset it for the default {DEFAULTS[TOKENWORTH_ARCHIVE_MAX_DROP]}"
        )
    return share


_MEMORY_LIMIT = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|%)", re.IGNORECASE)


def duckdb_memory_limit() -> str:
    """``TOKENWORTH_DUCKDB_MEMORY_LIMIT``: DuckDB's ``memory_limit`` for the dbt build, an amount
    (``4GB``, ``3.5GiB``) or a share of the machine's memory (``50%``; default 80%, DuckDB's).
    Past it DuckDB spills joins, aggregates and sorts to disk instead of growing.

    Raises ValueError naming the variable and the value.
    """
    raw = env(TOKENWORTH_DUCKDB_MEMORY_LIMIT).strip()
    if not _MEMORY_LIMIT.fullmatch(raw):
        raise ValueError(
            f"{TOKENWORTH_DUCKDB_MEMORY_LIMIT} must be an amount of memory like 4GB or 3.5GiB, "
            f"or a share of the machine's like 50% (how much the dbt build's DuckDB may use "
            f"before it spills to disk), got {raw!r}: unset it for DuckDB's default "
            f"{DEFAULTS[TOKENWORTH_DUCKDB_MEMORY_LIMIT]}"
        )
    return raw


def http_timeout_seconds() -> float:
    """``TOKENWORTH_HTTP_TIMEOUT_SECONDS`` as a positive number of seconds (default 60).

    Raises ValueError naming the variable and the value rather than running with another timeout
    than the one asked for.
    """
    return _positive_seconds(TOKENWORTH_HTTP_TIMEOUT, "how long one API request may take")


def _positive_seconds(name: str, meaning: str) -> float:
    raw = env(name).strip()
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ValueError(
            f"{name} must be a positive number of seconds ({meaning}), got {raw!r}: "
            f"set it to e.g. {DEFAULTS[name]}, or unset it for the default {DEFAULTS[name]}"
        )
    return seconds
