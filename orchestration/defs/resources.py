"""Dagster resources: one per API (credentials through ``dg.EnvVar``) and the warehouse.

A credential that is not set becomes ``None`` here, so the definitions still load and the source
logs one line and skips instead of failing every run; a set credential is always passed as
``dg.EnvVar`` so its value never appears in run config, the UI or logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource
from pydantic import Field

from orchestration.defs.ingest.arrow import keep_dlt_row_columns
from orchestration.defs.ingest.otel.collector import CollectorFiles
from orchestration.lib import settings
from orchestration.lib.http import HttpClient, Log, RetryPolicy
from orchestration.lib.warehouse import Warehouse, parse_warehouse_url

_ANTHROPIC_VERSION = "2023-06-01"
_GITHUB_API_VERSION = "2026-03-10"


def _secret(name: str) -> dg.EnvVar | None:
    """``dg.EnvVar(name)`` when the variable is set, else None (the source is then skipped)."""
    return dg.EnvVar(name) if settings.is_set(name) else None


class _ApiResource(dg.ConfigurableResource):
    """Shared shape of the vendor resources: a secret, a base URL and HTTP tunables.

    ``client(log, deadline=None)`` builds the source's :class:`HttpClient`; ``deadline`` is a
    ``time.monotonic()`` instant after which no request or wait starts (the run's time limit).
    A base URL that is not ``https://`` (``http://`` only on loopback) fails there, naming
    ``BASE_URL_VARIABLE``. A subclass names its vendor and credential and says how the secret
    is sent (``_auth``).
    """

    VENDOR: ClassVar[str]
    CREDENTIAL_VARIABLE: ClassVar[str]
    BASE_URL_VARIABLE: ClassVar[str]
    GITHUB_RATE_LIMITS: ClassVar[bool] = False

    base_url: str
    timeout_seconds: float = 60.0
    max_attempts: int = 8

    @property
    def configured(self) -> bool:
        return bool(self._secret_value())

    def _secret_value(self) -> str | None:
        raise NotImplementedError

    def _auth(self, secret: str) -> dict[str, Any]:
        """``HttpClient`` keyword arguments that carry ``secret`` (headers or auth)."""
        raise NotImplementedError

    def client(self, log: Log, deadline: float | None = None) -> HttpClient:
        return HttpClient(
            vendor=self.VENDOR,
            credential_variable=self.CREDENTIAL_VARIABLE,
            base_url=self.base_url,
            timeout_seconds=self.timeout_seconds,
            policy=RetryPolicy(max_attempts=self.max_attempts),
            base_url_variable=self.BASE_URL_VARIABLE,
            deadline=deadline,
            github_rate_limits=self.GITHUB_RATE_LIMITS,
            log=log,
            **self._auth(self._secret_value() or ""),
        )


class AnthropicAdminResource(_ApiResource):
    """Anthropic Admin API (usage, cost, Claude Code analytics, users, API keys)."""

    VENDOR = "Anthropic Admin"
    CREDENTIAL_VARIABLE = settings.ANTHROPIC_ADMIN_API_KEY
    BASE_URL_VARIABLE = settings.TOKENWORTH_ANTHROPIC_BASE_URL

    api_key: str | None = None

    def _secret_value(self) -> str | None:
        return self.api_key

    def _auth(self, secret: str) -> dict[str, Any]:
        return {"headers": {"x-api-key": secret, "anthropic-version": _ANTHROPIC_VERSION}}


class OpenAIAdminResource(_ApiResource):
    """OpenAI Administration API (usage, costs, users)."""

    VENDOR = "OpenAI Admin"
    CREDENTIAL_VARIABLE = settings.OPENAI_ADMIN_API_KEY
    BASE_URL_VARIABLE = settings.TOKENWORTH_OPENAI_BASE_URL

    api_key: str | None = None

    def _secret_value(self) -> str | None:
        return self.api_key

    def _auth(self, secret: str) -> dict[str, Any]:
        return {"headers": {"Authorization": f"Bearer {secret}"}}


class CursorAdminResource(_ApiResource):
    """Cursor Admin API: HTTP Basic auth with the key as user name and an empty password."""

    VENDOR = "Cursor Admin"
    CREDENTIAL_VARIABLE = settings.CURSOR_ADMIN_API_KEY
    BASE_URL_VARIABLE = settings.TOKENWORTH_CURSOR_BASE_URL

    api_key: str | None = None

    def _secret_value(self) -> str | None:
        return self.api_key

    def _auth(self, secret: str) -> dict[str, Any]:
        return {"auth": (secret, "")}


class GitHubResource(_ApiResource):
    """GitHub REST + GraphQL (pull requests, Copilot) and the git clone URL template."""

    VENDOR = "GitHub"
    CREDENTIAL_VARIABLE = settings.GITHUB_TOKEN
    BASE_URL_VARIABLE = settings.TOKENWORTH_GITHUB_API_URL
    GITHUB_RATE_LIMITS = True

    token: str | None = None
    org: str = ""
    repos: str = ""  # "owner/name,owner/name"; empty: every repository of ``org``
    clone_url_template: str = "https://github.com/{repo}.git"
    # Pull requests per GraphQL page; nested connections are completed by follow-ups.
    pr_page_size: int = 50

    @property
    def repo_list(self) -> list[str]:
        return [r.strip() for r in self.repos.split(",") if r.strip()]

    def _secret_value(self) -> str | None:
        return self.token

    def _auth(self, secret: str) -> dict[str, Any]:
        return {
            "headers": {
                "Authorization": f"Bearer {secret}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": _GITHUB_API_VERSION,
            }
        }


class OtelFilesResource(dg.ConfigurableResource):
    """Where an OpenTelemetry Collector's file exporter writes the agents' telemetry:
    ``TOKENWORTH_OTEL_PATH``, a directory or an object-store prefix (empty: not configured)."""

    path: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.path.strip())

    def client(self, log: Log, deadline: float | None = None) -> CollectorFiles:
        """The files (read within the run; ``deadline`` does not apply to local reads)."""
        return CollectorFiles(self.path.strip(), variable=settings.TOKENWORTH_OTEL_PATH)


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse named by ``TOKENWORTH_WAREHOUSE_URL``, and where dlt keeps its state.

    ``url`` is passed as ``dg.EnvVar`` when the variable is set: a PostgreSQL URL carries a
    password, and a plain string would be stored in Dagster's run storage and shown in the UI.
    """

    url: str = ""
    home: str = "./.tokenworth"
    # DuckDB's memory_limit for the dbt build (TOKENWORTH_DUCKDB_MEMORY_LIMIT).
    duckdb_memory_limit: str = settings.DEFAULTS[settings.TOKENWORTH_DUCKDB_MEMORY_LIMIT]

    def warehouse(self) -> Warehouse:
        return parse_warehouse_url(self.url, home=self.home_path)

    @property
    def home_path(self) -> Path:
        path = Path(self.home).expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    def pipeline(self, source: str) -> Any:
        """The dlt pipeline loading ``raw_<source>``; its state lives in TOKENWORTH_HOME."""
        keep_dlt_row_columns(source, f"tokenworth_{source}")
        return dlt.pipeline(
            pipeline_name=f"tokenworth_{source}",
            pipelines_dir=str(self.home_path / "dlt"),
            destination=self.warehouse().dlt_destination(),
            dataset_name=f"raw_{source}",
        )


class PeopleFileResource(dg.ConfigurableResource):
    """Where the roster is: ``TOKENWORTH_PEOPLE_FILE`` (empty: no roster)."""

    path: str = ""


class SourcesResource(dg.ConfigurableResource):
    """Which sources run (``TOKENWORTH_SOURCES``) and how long a run's extraction may take.

    ``enabled`` empty means every source whose credential is set; otherwise only those named.
    """

    enabled: list[str] = Field(default_factory=list)
    run_timeout_seconds: float = 14400.0
    # TOKENWORTH_ARCHIVE_MAX_DROP: see orchestration/defs/ingest/archive.py.
    archive_max_drop: float = 0.2

    def is_enabled(self, source: str) -> bool:
        return not self.enabled or source in self.enabled


class GitDurabilityResource(dg.ConfigurableResource):
    """How the git durability asset runs: repositories measured at once, one process each."""

    workers: int | None = None  # None: one per CPU (``TOKENWORTH_GIT_WORKERS`` unset)


def _repositories(value: str) -> str:
    """``TOKENWORTH_GITHUB_REPOS`` with every name checked (a name becomes a mirror's path).

    Raises:
        ValueError: a name that is not ``owner/name`` (names it and the variable).
    """
    from orchestration.defs.ingest.git.mirrors import check_repository_name

    names = [r.strip() for r in value.split(",") if r.strip()]
    return ",".join(check_repository_name(r, settings.TOKENWORTH_GITHUB_REPOS) for r in names)


def build_resources() -> dict[str, Any]:
    """Resources configured from the environment (read once, when the definitions load)."""
    from dagster_dbt import DbtCliResource

    from orchestration.defs.ingest.sources import enabled_sources
    from orchestration.defs.transform.project import dbt_executable, dbt_project

    timeout = settings.http_timeout_seconds()
    return {
        "dlt": DagsterDltResource(),
        "warehouse": WarehouseResource(
            url=_secret(settings.TOKENWORTH_WAREHOUSE_URL) or "",
            # Not created here: loading the definitions must not touch the disk.
            home=str(settings.tokenworth_home(create=False)),
            # Validated here, so a bad value stops the run before any extraction.
            duckdb_memory_limit=settings.duckdb_memory_limit(),
        ),
        "anthropic": AnthropicAdminResource(
            api_key=_secret(settings.ANTHROPIC_ADMIN_API_KEY),
            base_url=settings.env(settings.TOKENWORTH_ANTHROPIC_BASE_URL),
            timeout_seconds=timeout,
        ),
        "openai": OpenAIAdminResource(
            api_key=_secret(settings.OPENAI_ADMIN_API_KEY),
            base_url=settings.env(settings.TOKENWORTH_OPENAI_BASE_URL),
            timeout_seconds=timeout,
        ),
        "cursor": CursorAdminResource(
            api_key=_secret(settings.CURSOR_ADMIN_API_KEY),
            base_url=settings.env(settings.TOKENWORTH_CURSOR_BASE_URL),
            timeout_seconds=timeout,
        ),
        "github": GitHubResource(
            token=_secret(settings.GITHUB_TOKEN),
            base_url=settings.env(settings.TOKENWORTH_GITHUB_API_URL),
            org=settings.env(settings.TOKENWORTH_GITHUB_ORG),
            repos=_repositories(settings.env(settings.TOKENWORTH_GITHUB_REPOS)),
            clone_url_template=settings.env(settings.TOKENWORTH_GIT_CLONE_URL),
            timeout_seconds=timeout,
        ),
        # Read (and validated) here, so a bad value stops the run before any extraction.
        "git_durability": GitDurabilityResource(workers=settings.git_workers()),
        "people": PeopleFileResource(path=settings.env(settings.TOKENWORTH_PEOPLE_FILE)),
        "otel": OtelFilesResource(path=settings.env(settings.TOKENWORTH_OTEL_PATH)),
        # Validated here too: an unknown source name stops the run before any extraction.
        "sources": SourcesResource(
            enabled=sorted(enabled_sources()),
            run_timeout_seconds=settings.run_timeout_seconds(),
            archive_max_drop=settings.archive_max_drop(),
        ),
        # The venv's dbt, so runs work without the venv on PATH (tokenworth run, tests).
        "dbt": DbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable()),
    }
