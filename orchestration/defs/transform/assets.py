"""dbt models as Dagster assets: one graph from the vendor APIs to the marts.

Every model is one asset; dbt sources map to the dlt assets that load them (``meta.dagster.
asset_key`` on each source), and dbt tests become asset checks. The models share the daily
partitions of the raw assets with single-run backfills: a run over a range of days is one
``dbt build`` whose window (``min_date``/``max_date``) bounds what the incremental facts rebuild,
while tables downstream rebuild in full (they are small next to the facts).

The build runs in its own job (``tokenworth_transform``, see ``jobs.py``) after the extraction
job, whatever the extraction's outcome: a source that failed keeps its last good rows and
the warehouse is still rebuilt from everything that loaded.
"""

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.defs.ingest.sources import WAREHOUSE_POOL
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.transform.project import (
    dbt_build_args,
    dbt_project,
    dbt_window_env,
    prepare_manifest,
)
from orchestration.lib import settings
from orchestration.lib.redact import redact
from orchestration.lib.warehouse import Warehouse

# Failing tests and models named in a failed build's message, and rows shown per test.
_FAILURES_SHOWN = 5
_ROWS_SHOWN = 3


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


@contextmanager
def dbt_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """``variables`` set in this process while dbt starts, then restored.

    ``DbtCliResource`` takes no environment: dbt inherits this process's when it starts. The
    warehouse's profile variables (a PostgreSQL password among them) and the night's window are
    taken back out at once, so nothing else in the process (a later run, a test) sees them.
    """
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_assets_for(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """Every dbt model as an asset (the manifest is parsed now, when the definitions are built)."""
    project = dbt_project()

    @dbt_assets(
        manifest=prepare_manifest(),
        project=project,
        partitions_def=partitions,
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
        target = warehouse.warehouse()
        if target.kind == "spark":
            publish_raw_layer(context, target)
        window = context.partition_time_window
        variables = {
            # dbt_project/profiles.yml reads the warehouse from these.
            **target.dbt_env(),
            **dbt_window_env(window.start.date(), window.end.date()),
        }
        if target.kind == "duckdb":
            variables[settings.TOKENWORTH_DUCKDB_MEMORY_LIMIT] = warehouse.duckdb_memory_limit
        with dbt_environment(variables):
            invocation = dbt.cli(
                dbt_build_args(config.full_refresh), context=context, raise_on_error=False
            )
        yield from invocation.stream()
        if not invocation.is_successful():
            raise dg.Failure(description=failed_build_summary(invocation, target))

    return tokenworth_dbt


def publish_raw_layer(context: dg.AssetExecutionContext, target: Warehouse) -> None:
    """On Spark: the raw tables that changed, from the landing file to the lake as Parquet."""
    from orchestration.lib.lake import publish

    assert target.duckdb_path is not None
    published = publish(target.duckdb_path, target.lake)
    context.log.info(
        f"published the raw layer to {target.display}: {published.tables_written} table(s) "
        f"written ({published.day_files_written} day file(s)), "
        f"{published.tables_unchanged} unchanged"
    )


def failed_build_summary(invocation: DbtCliInvocation, target: Warehouse) -> str:
    """One line naming what failed, then each failing test with its first rows, or the model
    and dbt's error: what an operator needs to find the bad data."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except Exception:  # dbt stopped before writing its results (a parse or connection error)
        error = invocation.get_error()
        detail = str(error).strip().splitlines()[-1] if error else "no results written"
        return redact(f"dbt build failed before running any model: {detail}")
    failed = [r for r in results if r["status"] in ("fail", "error")]
    skipped = sum(1 for r in results if r["status"] == "skipped")
    lines = [f"dbt build failed: {len(failed)} node(s) failed, {skipped} skipped because of them"]
    for result in failed[:_FAILURES_SHOWN]:
        kind, _, rest = result["unique_id"].partition(".")
        name = rest.split(".")[1] if "." in rest else rest
        if kind == "test" and result["status"] == "fail":
            lines.append(f"- test {name}: {result.get('failures')} failing row(s)")
            lines += [f"    {row}" for row in _first_rows(target, result.get("compiled_code"))]
        else:
            message = [m.strip() for m in (result.get("message") or "").splitlines() if m.strip()]
            lines.append(f"- {kind} {name}: {message[0] if message else result['status']}")
            # The database's own words come next ("type "double" does not exist", the line).
            lines += [f"    {m}" for m in message[1:3] if not m.startswith("compiled code at")]
    if len(failed) > _FAILURES_SHOWN:
        lines.append(f"- … and {len(failed) - _FAILURES_SHOWN} more (see run_results.json)")
    return redact("\n".join(lines))


def _first_rows(target: Warehouse, compiled_sql: str | None) -> list[str]:
    """The first rows a failing test returns (its compiled query, limited), as text."""
    if not compiled_sql:
        return []
    try:
        with target.sql_connection() as connection:
            cursor = connection.cursor()
            cursor.execute(f"select * from ({compiled_sql}) as failing_rows limit {_ROWS_SHOWN}")
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
    except Exception as exc:
        return [f"(could not read its rows: {str(exc).splitlines()[0][:200]})"]
    return [json.dumps(dict(zip(columns, row, strict=True)), default=str) for row in rows]
