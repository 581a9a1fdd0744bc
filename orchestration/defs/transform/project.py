"""The dbt project (``dbt_project.yml`` at the repository root, models in ``dbt_project/``)."""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

REPO_ROOT = Path(__file__).resolve().parents[3]

dbt_project = DbtProject(
    project_dir=REPO_ROOT,
    profiles_dir=REPO_ROOT / "dbt_project",
    # DBT_TARGET_PATH (dbt's own variable) moves the manifest too, so a benchmark or a second
    # checkout never writes into another run's target/.
    target_path=Path(os.environ.get("DBT_TARGET_PATH", "target")),
)


def dbt_executable() -> str:
    """The dbt installed beside the running Python (a venv's bin/ is often not on PATH)."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else "dbt"


def prepare_manifest(force: bool = False) -> Path:
    """Parse the dbt project so its manifest exists and matches the models on disk.

    ``dagster dev`` re-parses on every load (``prepare_if_dev``); ``tokenworth run`` and the tests
    call this with ``force=True`` so a run never uses a manifest older than the models.
    """
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    stale = os.environ.get("DAGSTER_IS_DEV_CLI")  # `dagster dev` reloads after edits
    if force or stale or not dbt_project.manifest_path.exists():
        DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()).cli(
            ["parse", "--quiet"], target_path=dbt_project.target_path
        ).wait()
    return dbt_project.manifest_path
