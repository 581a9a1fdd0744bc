"""The dbt project (``dbt_project.yml`` at the repository root, models in ``dbt_project/``)."""

import os
from pathlib import Path

from dagster_dbt import DbtProject

REPO_ROOT = Path(__file__).resolve().parents[3]

dbt_project = DbtProject(
    project_dir=REPO_ROOT,
    profiles_dir=REPO_ROOT / "dbt_project",
    target_path=Path("target"),
)


def prepare_manifest(force: bool = False) -> Path:
    """Parse the dbt project so its manifest exists and matches the models on disk.

    ``dagster dev`` re-parses on every load (``prepare_if_dev``); ``tokenworth run`` and the tests
    call this with ``force=True`` so a run never uses a manifest older than the models.
    """
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if force or not dbt_project.manifest_path.exists():
        dbt_project.preparer.prepare(dbt_project)
    else:
        dbt_project.prepare_if_dev()
    return dbt_project.manifest_path
