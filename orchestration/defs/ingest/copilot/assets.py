"""``raw_copilot`` assets: one per table, one op per partition run."""

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
from orchestration.defs.ingest.copilot.source import copilot_source
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import GitHubResource, WarehouseResource
from orchestration.lib import settings

SOURCE = "copilot"


@dlt_assets(
    dlt_source=copilot_source(client=None, days=[date(2026, 1, 1)], org="", log=None),  # type: ignore[arg-type]
    dlt_pipeline=spec_pipeline(SOURCE),
    name=f"raw_{SOURCE}",
    dagster_dlt_translator=RawTranslator(SOURCE),
    partitions_def=daily_partitions,
    pool=WAREHOUSE_POOL,
)
def raw_copilot(
    context: dg.AssetExecutionContext,
    dlt: DagsterDltResource,
    warehouse: WarehouseResource,
    github: GitHubResource,
) -> Iterator[Any]:
    """GitHub Copilot per-user daily metrics, seats and AI-credit usage."""
    yield from run_source(
        context=context,
        dlt_resource=dlt,
        pipeline=warehouse.pipeline(SOURCE),
        source=SOURCE,
        vendor="GitHub Copilot",
        configured=github.configured and bool(github.org),
        missing_variables=f"{settings.GITHUB_TOKEN} and {settings.TOKENWORTH_GITHUB_ORG}",
        client_factory=lambda: github.client(context.log),
        build_source=lambda client, days: copilot_source(
            client=client, days=days, org=github.org, log=context.log
        ),
    )
