"""``raw_anthropic`` assets: one per table, one op per partition run."""

from collections.abc import Iterator
from datetime import date
from typing import Any

import dagster as dg
from dagster_dlt import DagsterDltResource, dlt_assets

from orchestration.defs.ingest.anthropic.source import anthropic_source
from orchestration.defs.ingest.common import (
    WAREHOUSE_POOL,
    RawTranslator,
    run_source,
    spec_pipeline,
)
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import AnthropicAdminResource, WarehouseResource
from orchestration.lib import settings

SOURCE = "anthropic"


@dlt_assets(
    dlt_source=anthropic_source(client=None, days=[date(2026, 1, 1)]),  # type: ignore[arg-type]
    dlt_pipeline=spec_pipeline(SOURCE),
    name=f"raw_{SOURCE}",
    dagster_dlt_translator=RawTranslator(SOURCE),
    partitions_def=daily_partitions,
    pool=WAREHOUSE_POOL,
)
def raw_anthropic(
    context: dg.AssetExecutionContext,
    dlt: DagsterDltResource,
    warehouse: WarehouseResource,
    anthropic: AnthropicAdminResource,
) -> Iterator[Any]:
    """Anthropic Admin API usage, cost, Claude Code analytics, users and API keys."""
    yield from run_source(
        context=context,
        dlt_resource=dlt,
        pipeline=warehouse.pipeline(SOURCE),
        source=SOURCE,
        vendor="Anthropic Admin",
        configured=anthropic.configured,
        missing_variables=settings.ANTHROPIC_ADMIN_API_KEY,
        client_factory=lambda: anthropic.client(context.log),
        build_source=lambda client, days: anthropic_source(client=client, days=days),
    )
