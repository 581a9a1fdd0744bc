"""Every source of tokenworth, declared once, and the one way each is loaded.

A source is its ``source.py`` (a ``@dlt.source`` that reads through the client its resource
opens: :class:`~orchestration.lib.http.HttpClient` for the vendor APIs,
:class:`~orchestration.defs.ingest.otel.collector.CollectorFiles` for the agent telemetry files),
its staging models, and one :class:`ApiSource` line in :data:`SOURCES`. From that line come its
Dagster assets (``raw_<name>/<table>`` in group
``ingest_<name>``), the variables named when it is not configured, its lookback, its row in
``raw_tokenworth.source_runs`` and its place in ``TOKENWORTH_SOURCES``.

Assets are built with ``dg.multi_asset`` and loaded with dagster-dlt's ``DagsterDltResource.run``
(row counts, columns, load ids as metadata), not ``@dlt_assets``: that decorator binds resources by
parameter name, so each source needed its own near-copy of the asset function; here the vendor's
resource key is data (``required_resource_keys``).
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import dagster as dg
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.extract.source import DltSource

from orchestration.defs.checks import raw_freshness_policy
from orchestration.defs.ingest import archive
from orchestration.defs.ingest.anthropic.source import anthropic_source
from orchestration.defs.ingest.archive import ArchivedTable
from orchestration.defs.ingest.common import SourceNotes
from orchestration.defs.ingest.copilot.source import copilot_source
from orchestration.defs.ingest.cursor.source import cursor_source
from orchestration.defs.ingest.github.source import github_source
from orchestration.defs.ingest.openai.source import openai_source
from orchestration.defs.ingest.otel.source import otel_source
from orchestration.defs.ingest.status import (
    DISABLED,
    NOT_CONFIGURED,
    SourceRun,
    run_deadline,
    source_failure,
)
from orchestration.defs.partitions import window_days
from orchestration.lib import settings
from orchestration.lib.http import Log

# DuckDB allows one writer process per file: every asset that writes the warehouse runs in this
# pool (in-process runs are sequential anyway; the pool also serialises ad-hoc materialisations).
WAREHOUSE_POOL = "warehouse"


class SourceClient(Protocol):
    """What a resource's ``client(log, deadline=...)`` opens: an HTTP client or the files."""

    def summary(self) -> str: ...

    def close(self) -> None: ...


@dataclass
class SourceRequest:
    """What a source's ``build`` receives for one run."""

    client: Any  # the resource's SourceClient (HttpClient, CollectorFiles); None to describe
    days: list[date]
    resource: Any  # the vendor's configured Dagster resource
    log: Log
    # Where the source notes products the organisation lacks and items that failed.
    notes: SourceNotes | None = None


@dataclass(frozen=True)
class ApiSource:
    """One source (a vendor API, or the agent telemetry files): everything the pipeline needs
    to know about it.

    Attributes:
        name: ``raw_<name>`` dataset, ``ingest_<name>`` group, ``TOKENWORTH_SOURCES`` entry.
        vendor: how messages name it ("Anthropic Admin").
        resource_key: the Dagster resource holding its credential and base URL (or path); its
            ``client(log, deadline=...)`` opens a :class:`SourceClient`.
        description: one line for the UI.
        lookback_days: days re-read before each partition (the vendor revises recent days;
            loads replace whole days, so re-reads only ever replace rows).
        build: the dlt source for a request.
        missing: the variables still to set, or None when the resource is configured.
        archived: its day-keyed tables kept as versions (``archive.py``): never replaced, a
            load that drops too much of a day is held, impossible rows are quarantined and
            repeated keys dropped and counted.
    """

    name: str
    vendor: str
    resource_key: str
    description: str
    lookback_days: int
    build: Callable[[SourceRequest], DltSource]
    missing: Callable[[Any], str | None] = field(repr=False)
    archived: tuple[ArchivedTable, ...] = ()


def _credential(variable: str) -> Callable[[Any], str | None]:
    return lambda resource: None if resource.configured else variable


def _github_missing(resource: Any) -> str | None:
    if resource.configured and (resource.repo_list or resource.org):
        return None
    return (
        f"{settings.GITHUB_TOKEN} and {settings.TOKENWORTH_GITHUB_ORG} "
        f"(or {settings.TOKENWORTH_GITHUB_REPOS})"
    )


def _copilot_missing(resource: Any) -> str | None:
    if resource.configured and resource.org:
        return None
    return f"{settings.GITHUB_TOKEN} and {settings.TOKENWORTH_GITHUB_ORG}"


SOURCES: tuple[ApiSource, ...] = (
    ApiSource(
        name="anthropic",
        vendor="Anthropic Admin",
        resource_key="anthropic",
        description="Anthropic Admin API usage, cost, Claude Code analytics, users and API keys.",
        # Usage/cost appear within minutes, Claude Code within an hour; cost rows are revised
        # for about a day.
        lookback_days=1,
        build=lambda r: anthropic_source(client=r.client, days=r.days),
        missing=_credential(settings.ANTHROPIC_ADMIN_API_KEY),
        archived=(
            # Every Claude Code row is a model's tokens with their estimated cost.
            ArchivedTable(
                "claude_code_usage",
                "usage_date",
                ("usage_date", "actor_type", "actor_key", "remote", "model"),
                "claude_code",
                cost="estimated_cost_usd",
                tokens=(
                    "input_tokens",
                    "output_tokens",
                    "cache_read_tokens",
                    "cache_creation_tokens",
                ),
                cost_needs_tokens=True,
            ),
            ArchivedTable(
                "claude_code_actor_days",
                "usage_date",
                ("usage_date", "actor_type", "actor_key", "remote"),
                "claude_code",
            ),
            ArchivedTable(
                "messages_usage",
                "bucket_date",
                ("row_key",),
                "anthropic_api",
                tokens=(
                    "uncached_input_tokens",
                    "cache_creation__ephemeral_5m_input_tokens",
                    "cache_creation__ephemeral_1h_input_tokens",
                    "cache_read_input_tokens",
                    "output_tokens",
                ),
                timestamps=("bucket_start",),
            ),
            ArchivedTable(
                "cost_report", "bucket_date", ("row_key",), "anthropic_api", cost="amount_usd"
            ),
        ),
    ),
    ApiSource(
        name="openai",
        vendor="OpenAI Admin",
        resource_key="openai",
        description="OpenAI completions usage (hourly buckets), costs and users.",
        # Buckets can still change for a few hours after the hour closes.
        lookback_days=1,
        build=lambda r: openai_source(client=r.client, days=r.days),
        missing=_credential(settings.OPENAI_ADMIN_API_KEY),
        archived=(
            ArchivedTable(
                "completions_usage",
                "bucket_date",
                ("row_key",),
                "openai_api",
                tokens=(
                    "input_tokens",
                    "output_tokens",
                    "input_cached_tokens",
                    "input_cache_write_tokens",
                    "input_uncached_tokens",
                ),
                timestamps=("bucket_start",),
            ),
            ArchivedTable(
                "costs",
                "bucket_date",
                ("row_key",),
                "openai_api",
                cost="amount_usd",
                money=("quantity",),
                timestamps=("bucket_start",),
            ),
        ),
    ),
    ApiSource(
        name="cursor",
        vendor="Cursor Admin",
        resource_key="cursor",
        description="Cursor members, per-request usage events, daily usage, spend, AI commits.",
        # Usage is aggregated hourly; events near midnight land after the day closes.
        lookback_days=1,
        build=lambda r: cursor_source(client=r.client, days=r.days, notes=r.notes),
        missing=_credential(settings.CURSOR_ADMIN_API_KEY),
        archived=(
            ArchivedTable("daily_usage", "day", ("day", "user_id"), "cursor"),
            # The API's totalUsageEventsCount per day confirms a smaller day.
            ArchivedTable(
                "usage_events",
                "event_date",
                ("event_key",),
                "cursor",
                cost="charged_cents",
                tokens=(
                    "token_usage__input_tokens",
                    "token_usage__output_tokens",
                    "token_usage__cache_write_tokens",
                    "token_usage__cache_read_tokens",
                ),
                money=("cursor_token_fee", "token_usage__total_cents"),
                timestamps=("event_at",),
                vendor_total="day_total_events",
            ),
            ArchivedTable(
                "spend",
                "snapshot_date",
                ("snapshot_date", "user_id"),
                "cursor",
                cost="spend_cents",
                money=("overall_spend_cents",),
                whole_window=False,
            ),
            ArchivedTable(
                "ai_code_commits",
                "commit_date",
                ("commit_hash",),
                "cursor",
                timestamps=("commit_ts",),
            ),
        ),
    ),
    ApiSource(
        name="copilot",
        vendor="GitHub Copilot",
        resource_key="github",
        description="GitHub Copilot per-user daily metrics, seats and AI-credit usage.",
        # Usage-metrics reports arrive with ~2 full UTC days of lag (204 until then).
        lookback_days=3,
        build=lambda r: copilot_source(
            client=r.client, days=r.days, org=r.resource.org, log=r.log, notes=r.notes
        ),
        missing=_copilot_missing,
        archived=(
            ArchivedTable(
                "user_day_metrics", "day", ("day", "user_id"), "copilot", cost="ai_credits_used"
            ),
            ArchivedTable(
                "seats",
                "snapshot_date",
                ("snapshot_date", "assignee_key"),
                "copilot",
                whole_window=False,
            ),
            ArchivedTable(
                "ai_credit_usage",
                "usage_date",
                ("row_key",),
                "copilot",
                cost="net_amount",
                money=("gross_amount",),
            ),
        ),
    ),
    ApiSource(
        name="github",
        vendor="GitHub",
        resource_key="github",
        description="Pull requests with commits, reviews, threads, labels, files and timeline.",
        # The updatedAt watermark's overlap.
        lookback_days=1,
        build=lambda r: github_source(
            client=r.client,
            days=r.days,
            repos=r.resource.repo_list,
            org=r.resource.org,
            page_size=r.resource.pr_page_size,
            log=r.log,
            notes=r.notes,
        ),
        missing=_github_missing,
    ),
    ApiSource(
        name="otel",
        vendor="Agent telemetry",
        resource_key="otel",
        description="Claude Code and Codex OpenTelemetry, from an OpenTelemetry Collector's files.",
        # Agents export within seconds; a file rotated around midnight is read the next night.
        lookback_days=1,
        build=lambda r: otel_source(files=r.client, days=r.days, log=r.log, notes=r.notes),
        missing=_credential(settings.TOKENWORTH_OTEL_PATH),
    ),
)
# Sources that are not vendor APIs, named in TOKENWORTH_SOURCES all the same.
OTHER_SOURCES = ("git", "people")


def source_names() -> tuple[str, ...]:
    return (*(s.name for s in SOURCES), *OTHER_SOURCES)


def enabled_sources() -> frozenset[str]:
    """``TOKENWORTH_SOURCES`` as a set of names; empty when unset (every configured source).

    Raises:
        ValueError: a name that is no source (the message lists the valid names).
    """
    raw = settings.env(settings.TOKENWORTH_SOURCES)
    names = frozenset(n.strip() for n in raw.split(",") if n.strip())
    unknown = sorted(names - set(source_names()))
    if unknown:
        raise ValueError(
            f"{settings.TOKENWORTH_SOURCES} names unknown source(s) {', '.join(unknown)}: use a "
            f"comma-separated subset of {','.join(source_names())}, or unset it for every "
            "source whose credential is set"
        )
    return names


class RawTranslator(DagsterDltTranslator):
    """Asset key ``raw_<source>/<table>``, group ``ingest_<source>``, no upstream stubs."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        table = str(data.resource.table_name)
        return spec.replace_attributes(
            key=dg.AssetKey([f"raw_{self.source}", table]),
            group_name=f"ingest_{self.source}",
            deps=[],
            # A source that is not configured, or switched off, materialises nothing.
            skippable=True,
            freshness_policy=raw_freshness_policy(),
            description=(data.resource.__doc__ or spec.description or "").strip() or None,
        ).merge_attributes(kinds={"dlt"})


def _described(source: ApiSource) -> DltSource:
    """The dlt source with no client and one placeholder day: its resources and their hints,
    which is all the asset specs need (building a dlt source does no I/O; only iterating it
    does)."""
    request = SourceRequest(
        client=None, days=[date(2000, 1, 1)], resource=_Placeholder(), log=_NO_LOG
    )
    return source.build(request)


class _Placeholder:
    """Stands in for a vendor resource when only the source's tables are described."""

    configured = False
    org = ""
    repo_list: Sequence[str] = ()
    pr_page_size = 50


class _NoLog:
    def info(self, msg: str, *args: Any) -> None:
        return None

    def warning(self, msg: str, *args: Any) -> None:
        return None


_NO_LOG = _NoLog()


def source_assets(source: ApiSource, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The Dagster assets of one vendor source: one per raw table, one step per run."""
    translator = RawTranslator(source.name)
    described = _described(source)
    specs = [
        translator.get_asset_spec(DltResourceTranslatorData(resource=resource, pipeline=None))
        for resource in described.selected_resources.values()
    ]

    @dg.multi_asset(
        name=f"raw_{source.name}",
        specs=specs,
        description=source.description,
        partitions_def=partitions,
        # A range of days is one run per source, not one per day.
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        required_resource_keys={"dlt", "warehouse", "sources", source.resource_key},
        can_subset=True,
    )
    def _load(context: dg.AssetExecutionContext) -> Iterator[Any]:
        yield from run_source(context, source, translator)

    return _load


def run_source(
    context: dg.AssetExecutionContext, source: ApiSource, translator: RawTranslator
) -> Iterator[Any]:
    """Load the days of this run into ``raw_<source>``; record what happened in
    ``raw_tokenworth.source_runs``; skip with one line when not configured or switched off."""
    resources = context.resources
    resource = getattr(resources, source.resource_key)
    days = window_days(context, source.lookback_days)
    run = SourceRun.start(context, source.name, days)
    if not resources.sources.is_enabled(source.name):
        run.finish_skipped(
            resources.warehouse,
            DISABLED,
            f"{source.vendor}: switched off ({settings.TOKENWORTH_SOURCES} does not name "
            f"{source.name})",
            context.log,
        )
        return
    missing = source.missing(resource)
    if missing:
        run.finish_skipped(
            resources.warehouse,
            NOT_CONFIGURED,
            f"{source.vendor}: skipped — set {missing} to load raw_{source.name}",
            context.log,
        )
        return
    deadline = run_deadline(context, resources.sources.run_timeout_seconds)
    client: SourceClient = resource.client(context.log, deadline=deadline)
    context.log.info(
        f"{source.vendor}: loading {days[0]}..{days[-1]} into raw_{source.name} "
        f"(lookback {source.lookback_days} day(s))"
    )
    request = SourceRequest(client=client, days=days, resource=resource, log=context.log, notes=run)
    try:
        dlt_source = source.build(request)
        # Only the tables this step materialises (a subset leaves the others' days alone).
        selected = {key.path[-1] for key in context.selected_asset_keys}
        archived = tuple(t for t in source.archived if t.table in selected)
        load_id, gates = archive.guard(dlt_source, source.name, archived, run.started_at)
        yield from resources.dlt.run(
            context=context,
            dlt_source=dlt_source,
            dlt_pipeline=resources.warehouse.pipeline(source.name),
            dagster_dlt_translator=translator,
        )
        archive.record_versions(
            resources.warehouse,
            source.name,
            source.vendor,
            gates,
            load_id,
            days,
            resources.sources.archive_max_drop,
            context.run_id,
            context.log,
        )
    except Exception as exc:
        failure = source_failure(exc)
        run.finish_failed(resources.warehouse, failure.description or str(exc), context.log)
        raise failure from None
    finally:
        context.log.info(f"{source.vendor}: {client.summary()}")
        client.close()
    if run.failed_items:
        # What could be read is loaded (and materialised above); the step still fails, by name.
        message = run.failed_items_message(source.vendor)
        run.finish_failed(resources.warehouse, message, context.log, partial=True)
        raise dg.Failure(description=message)
    run.finish_loaded(resources.warehouse, context.log)
