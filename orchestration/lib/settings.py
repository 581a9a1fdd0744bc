"""Names and defaults of every environment variable the extraction reads, in one place.

Only the Dagster resources (``orchestration/defs/resources.py``) and the in-process runner read the
environment; asset bodies receive configured resources and never call ``os.getenv``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TOKENWORTH_HOME = "TOKENWORTH_HOME"
TOKENWORTH_WAREHOUSE_URL = "TOKENWORTH_WAREHOUSE_URL"
# First day of the daily partitions; vendors keep short windows, so older days rarely exist.
TOKENWORTH_START_DATE = "TOKENWORTH_START_DATE"
TOKENWORTH_HTTP_TIMEOUT = "TOKENWORTH_HTTP_TIMEOUT_SECONDS"

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
# Repositories measured at once by the git durability asset (one process each); unset: per CPU.
TOKENWORTH_GIT_WORKERS = "TOKENWORTH_GIT_WORKERS"

DEFAULTS: dict[str, str] = {
    TOKENWORTH_HOME: "./.tokenworth",
    TOKENWORTH_START_DATE: "2025-01-01",
    TOKENWORTH_HTTP_TIMEOUT: "60",
    TOKENWORTH_ANTHROPIC_BASE_URL: "https://api.anthropic.com",
    TOKENWORTH_OPENAI_BASE_URL: "https://api.openai.com",
    TOKENWORTH_CURSOR_BASE_URL: "https://api.cursor.com",
    TOKENWORTH_GITHUB_API_URL: "https://api.github.com",
    TOKENWORTH_GITHUB_REPOS: "",
    TOKENWORTH_GITHUB_ORG: "",
    TOKENWORTH_GIT_CLONE_URL: "https://github.com/{repo}.git",
}

# Days re-requested before each partition's own day, because the vendors revise recent data
# after the fact (documented in .env.example and the README). Re-reads merge on keys, so they
# only ever replace rows.
LOOKBACK_DAYS: dict[str, int] = {
    # Usage/cost typically appear within 5 minutes, Claude Code within 1 hour; cost rows are
    # revised for about a day.
    "anthropic": 1,
    # Buckets can still change for a few hours after the hour closes.
    "openai": 1,
    # Usage is aggregated hourly; events near midnight land after the day closes.
    "cursor": 1,
    # Usage-metrics reports arrive with ~2 full UTC days of lag (204 until then).
    "copilot": 3,
    # updatedAt overlap for the pull-request watermark.
    "github": 1,
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


def http_timeout_seconds() -> float:
    """``TOKENWORTH_HTTP_TIMEOUT_SECONDS`` as a positive number of seconds (default 60).

    Raises ValueError naming the variable and the value rather than running with another timeout
    than the one asked for.
    """
    raw = env(TOKENWORTH_HTTP_TIMEOUT).strip()
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ValueError(
            f"{TOKENWORTH_HTTP_TIMEOUT} must be a positive number of seconds (how long one API "
            f"request may take), got {raw!r}: set it to e.g. 60, or unset it for the default "
            f"{DEFAULTS[TOKENWORTH_HTTP_TIMEOUT]}"
        )
    return seconds


def tokenworth_home(create: bool = True) -> Path:
    """``TOKENWORTH_HOME`` as an absolute path (created unless ``create`` is False)."""
    home = Path(env(TOKENWORTH_HOME)).expanduser().resolve()
    if create:
        home.mkdir(parents=True, exist_ok=True)
    return home


@dataclass(frozen=True)
class Credential:
    """Which variable holds a source's secret, for error messages and skip notices."""

    vendor: str
    variable: str
