"""``dbt docs generate`` works, and every model, seed and column has a description."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.warehouse.fixtures import Warehouse, dbt_runner


def test_dbt_docs_generate_documents_every_model_seed_and_column(
    built_warehouse: Warehouse, tmp_path: Path
) -> None:
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.path, path)  # docs generate must not touch the shared file
    done = dbt_runner(path, tmp_path)("docs", "generate")
    assert done.returncode == 0, done.stdout[-4000:]
    target = tmp_path / "target"
    assert (target / "index.html").exists()
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())

    nodes = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed") and node["package_name"] == "tokenworth"
    }
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
