"""``dbt docs generate`` works, every model, seed and column has a description, the project's own
overview page replaces dbt's generic welcome, and every mart says who it is for."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from tests.warehouse.fixtures import Warehouse, dbt_runner

# The opening line of dbt's built-in overview (dbt/include/global_project/docs/overview.md).
DBT_GENERIC_WELCOME = "Welcome to the auto-generated documentation for your dbt project!"


@pytest.fixture(scope="module")
def generated(
    built_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(manifest, catalog)`` of one ``dbt docs generate`` on a copy of the built warehouse."""
    work = tmp_path_factory.mktemp("dbt_docs")
    path = work / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.path, path)  # docs generate must not touch the shared file
    done = dbt_runner(path, work)("docs", "generate")
    assert done.returncode == 0, done.stdout[-4000:]
    target = work / "target"
    assert (target / "index.html").exists()
    return (
        json.loads((target / "manifest.json").read_text()),
        json.loads((target / "catalog.json").read_text()),
    )


def _project_nodes(manifest: dict[str, Any], *kinds: str) -> dict[str, dict[str, Any]]:
    return {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in kinds and node["package_name"] == "tokenworth"
    }


def _consumer_models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The marts and the restricted models: what BI tools and analysts read."""
    return {
        node["name"]: node
        for node in _project_nodes(manifest, "model").values()
        if node["fqn"][1] in ("marts", "restricted")
    }


def test_dbt_docs_generate_documents_every_model_seed_and_column(
    generated: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    manifest, catalog = generated
    nodes = _project_nodes(manifest, "model", "seed")
    assert len([n for n in nodes.values() if n["resource_type"] == "model"]) > 50
    undocumented = sorted(
        unique_id for unique_id, node in nodes.items() if not node["description"].strip()
    )
    assert not undocumented, f"models/seeds without a description: {undocumented}"

    missing_columns = []
    for unique_id, node in nodes.items():
        # The catalog lists the columns the warehouse really has; each must be in the YAML.
        actual = catalog["nodes"].get(unique_id)
        assert actual is not None, f"{unique_id} is not in the catalog (not built?)"
        documented = {
            name.lower(): column["description"].strip() for name, column in node["columns"].items()
        }
        missing_columns += [
            f"{node['name']}.{name.lower()}"
            for name in actual["columns"]
            if not documented.get(name.lower())
        ]
    assert not missing_columns, f"columns without a description: {sorted(missing_columns)}"


def test_the_overview_page_is_tokenworths_and_names_every_mart(
    generated: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    manifest, _ = generated
    # dbt shows the project's __overview__ block instead of its own when the project has one.
    ours = manifest["docs"].get("doc.tokenworth.__overview__")
    assert ours is not None, "no {% docs __overview__ %} block in the project (dbt_project/docs/)"
    text = ours["block_contents"]
    assert DBT_GENERIC_WELCOME not in text
    for needed in ("tokenworth", "docs/metrics.md", "min_cohort_size", "restricted"):
        assert needed in text, f"the overview page does not mention {needed!r}"
    marts = sorted(
        name for name, node in _consumer_models(manifest).items() if node["fqn"][1] == "marts"
    )
    assert len(marts) >= 10, marts
    unnamed = [name for name in marts if f"`{name}`" not in text]
    assert not unnamed, f"marts the overview page does not tell readers about: {unnamed}"


def test_every_mart_states_its_grain_audience_and_an_example_question(
    generated: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    manifest, _ = generated
    models = _consumer_models(manifest)
    assert "mart_platform_efficiency" in models
    assert "mart_consumption_anomalies_person_weeks" in models
    lacking = {
        name: [
            part
            for part in ("One row per", "**Audience:**", "**Example question:**")
            if part not in node["description"]
        ]
        for name, node in sorted(models.items())
    }
    lacking = {name: parts for name, parts in lacking.items() if parts}
    assert not lacking, f"mart descriptions without a grain, audience or example: {lacking}"
