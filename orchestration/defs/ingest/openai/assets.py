"""``raw_openai`` assets: one per table, one op per partition run."""

from collections.abc import Iterator
from datetime import date
from typing import Any

import dagster as dg
from dagster_dlt import DagsterDltResource, dlt_assets

from orchestration.defs.ingest.common import (
    WAREHOUSE_POOL,
    RawTranslator,
    run_source,
    spec_pipeline,
)
from orchestration.defs.ingest.openai.source import openai_source
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import OpenAIAdminResource, WarehouseResource
from orchestration.lib import settings

SOURCE = "openai"


@dlt_assets(
    dlt_source=openai_source(client=None, days=[date(2026, 1, 1)]),  # type: ignore[arg-type]
    dlt_pipeline=spec_pipeline(SOURCE),
    name=f"raw_{SOURCE}",
    dagster_dlt_translator=RawTranslator(SOURCE),
    partitions_def=daily_partitions,
    pool=WAREHOUSE_POOL,
)
def raw_openai(
    context: dg.AssetExecutionContext,
    dlt: DagsterDltResource,
    warehouse: WarehouseResource,
    openai: OpenAIAdminResource,
) -> Iterator[Any]:
    """OpenAI Administration API completions usage, costs and users."""
    yield from run_source(
        context=context,
        dlt_resource=dlt,
        pipeline=warehouse.pipeline(SOURCE),
        source=SOURCE,
        vendor="OpenAI Admin",
        configured=openai.configured,
        missing_variables=settings.OPENAI_ADMIN_API_KEY,
        client_factory=lambda: openai.client(context.log),
        build_source=lambda client, days: openai_source(client=client, days=days),
    )
