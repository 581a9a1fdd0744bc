"""tokenworth's Dagster definitions, built by :func:`build_definitions` (nothing at import).

Everything is assembled here from functions, so importing a module never reads the environment,
runs ``dbt parse`` or builds a source: the definitions are built when Dagster loads the code
location (``orchestration/definitions.py``), when ``tokenworth run`` starts, or in a test.
"""

from __future__ import annotations

import dagster as dg


def build_definitions() -> dg.Definitions:
    """Every asset, check, job, schedule and sensor, with resources from the environment.

    Raises:
        ValueError: a setting is malformed (the message names the variable).
    """
    from orchestration.defs.checks import api_total_checks
    from orchestration.defs.ingest.git.durability import git_assets
    from orchestration.defs.ingest.people.roster import roster_asset
    from orchestration.defs.ingest.sources import SOURCES, source_assets
    from orchestration.defs.jobs import build_jobs
    from orchestration.defs.partitions import daily_partitions
    from orchestration.defs.resources import build_resources
    from orchestration.defs.transform.assets import dbt_assets_for

    resources = build_resources()
    partitions = daily_partitions()
    extract_assets = [
        *(source_assets(source, partitions) for source in SOURCES),
        git_assets(partitions),
        roster_asset(partitions),
    ]
    groups = sorted(
        {spec.group_name for a in extract_assets for spec in a.specs if spec.group_name}
    )
    return dg.Definitions.merge(
        dg.Definitions(
            assets=[*extract_assets, dbt_assets_for(partitions)],
            asset_checks=api_total_checks(),
            resources=resources,
        ),
        build_jobs(groups),
    )
