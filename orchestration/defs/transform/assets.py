"""dbt models as Dagster assets: one graph from the vendor APIs to the marts.

Every model is one asset; dbt sources map to the dlt assets that load them (``meta.dagster.
asset_key`` on each source), and dbt tests become asset checks. The models share the daily
partitions of the raw assets with single-run backfills: a run over a range of days is one
``dbt build`` whose window (``min_date``/``max_date``) bounds what the incremental facts rebuild,
while tables downstream rebuild in full (they are small next to the facts).
"""

import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.defs.ingest.common import WAREHOUSE_POOL
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.transform.project import dbt_project, dbt_window_env, prepare_manifest


def dbt_build_args(full_refresh: bool = False) -> list[str]:
    """``dbt build`` as a run executes it (the window of days comes from ``dbt_window_env``)."""
    # Unit tests check the models' logic, not the night's data: CI runs them (`make test`),
    # the nightly run need not pay for them on every partition.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    return args


def dbt_layer(node: Mapping[str, Any]) -> str:
    """The layer of a dbt model, seed or snapshot, named as its schema is.

    A model's layer is its folder under ``models/`` (``staging``, ``intermediate``, ``core``,
    ``restricted``, ``marts``: the second part of its fqn); seeds and snapshots are layers of
    their own (``seeds``, ``snapshots``).
    """
    if node["resource_type"] == "model":
        return str(node["fqn"][1])
    return f"{node['resource_type']}s"


class TokenworthDbtTranslator(DagsterDbtTranslator):
    """One group per layer, named like its folder and schema: ``transform_<layer>``
    (transform_staging, transform_intermediate, transform_core, transform_restricted,
    transform_marts, transform_seeds)."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id)
        if node is None or node.get("resource_type") not in ("model", "seed", "snapshot"):
            return spec
        return spec.replace_attributes(group_name=f"transform_{dbt_layer(node)}")


class DbtConfig(dg.Config):
    full_refresh: bool = False


@dbt_assets(
    manifest=prepare_manifest(),
    project=dbt_project,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=TokenworthDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
    pool=WAREHOUSE_POOL,
)
def tokenworth_dbt(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    config: DbtConfig,
) -> Iterator[Any]:
    # dbt reads its target from environment variables derived from TOKENWORTH_WAREHOUSE_URL
    # (dbt_project/profiles.yml); the resource resolves the URL when the run starts.
    warehouse.warehouse().export_dbt_env()
    window = context.partition_time_window
    # DbtCliResource takes no env: dbt inherits this process's environment when it starts, and
    # the window is taken back out at once so nothing else in the process (a later run, a test)
    # sees it.
    window_env = dbt_window_env(window.start.date(), window.end.date())
    previous = {name: os.environ.get(name) for name in window_env}
    os.environ.update(window_env)
    try:
        invocation = dbt.cli(dbt_build_args(config.full_refresh), context=context)
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield from invocation.stream()
