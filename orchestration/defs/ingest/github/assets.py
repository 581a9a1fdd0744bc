"""``raw_github`` assets: pull requests and their nested data, one op per partition run."""

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
from orchestration.defs.ingest.github.source import github_source
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import GitHubResource, WarehouseResource
from orchestration.lib import settings

SOURCE = "github"


@dlt_assets(
    dlt_source=github_source(client=None, days=[date(2026, 1, 1)], repos=[]),  # type: ignore[arg-type]
    dlt_pipeline=spec_pipeline(SOURCE),
    name=f"raw_{SOURCE}",
    dagster_dlt_translator=RawTranslator(SOURCE),
    partitions_def=daily_partitions,
    pool=WAREHOUSE_POOL,
)
def raw_github(
    context: dg.AssetExecutionContext,
    dlt: DagsterDltResource,
    warehouse: WarehouseResource,
    github: GitHubResource,
) -> Iterator[Any]:
    """Pull requests with commits, reviews, threads, labels, files and timeline (GraphQL)."""
    yield from run_source(
        context=context,
        dlt_resource=dlt,
        pipeline=warehouse.pipeline(SOURCE),
        source=SOURCE,
        vendor="GitHub",
        configured=github.configured and bool(github.repo_list or github.org),
        missing_variables=(
            f"{settings.GITHUB_TOKEN} and {settings.TOKENWORTH_GITHUB_ORG} "
            f"(or {settings.TOKENWORTH_GITHUB_REPOS})"
        ),
        client_factory=lambda: github.client(context.log),
        build_source=lambda client, days: github_source(
            client=client,
            days=days,
            repos=github.repo_list,
            org=github.org,
            page_size=github.pr_page_size,
            log=context.log,
        ),
    )
