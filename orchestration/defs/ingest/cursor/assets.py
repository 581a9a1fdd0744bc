"""``raw_cursor`` assets: one per table, one op per partition run."""

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
from orchestration.defs.ingest.cursor.source import cursor_source
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import CursorAdminResource, WarehouseResource
from orchestration.lib import settings

SOURCE = "cursor"


@dlt_assets(
    dlt_source=cursor_source(client=None, days=[date(2026, 1, 1)]),  # type: ignore[arg-type]
    dlt_pipeline=spec_pipeline(SOURCE),
    name=f"raw_{SOURCE}",
    dagster_dlt_translator=RawTranslator(SOURCE),
    partitions_def=daily_partitions,
    pool=WAREHOUSE_POOL,
)
def raw_cursor(
    context: dg.AssetExecutionContext,
    dlt: DagsterDltResource,
    warehouse: WarehouseResource,
    cursor: CursorAdminResource,
) -> Iterator[Any]:
    """Cursor Admin API members, daily usage, request usage events, spend and AI code commits."""
    yield from run_source(
        context=context,
        dlt_resource=dlt,
        pipeline=warehouse.pipeline(SOURCE),
        source=SOURCE,
        vendor="Cursor Admin",
        configured=cursor.configured,
        missing_variables=settings.CURSOR_ADMIN_API_KEY,
        client_factory=lambda: cursor.client(context.log),
        build_source=lambda client, days: cursor_source(client=client, days=days),
    )
