"""The dbt project (``dbt_project.yml`` at the repository root, models in ``dbt_project/``)."""

import functools
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from dagster_dbt import DbtProject

REPO_ROOT = Path(__file__).resolve().parents[3]


@functools.cache
def _dbt_project(target_path: str) -> DbtProject:
    return DbtProject(
        project_dir=REPO_ROOT, profiles_dir=REPO_ROOT / "dbt_project", target_path=Path(target_path)
    )


def dbt_project() -> DbtProject:
    """The project; ``DBT_TARGET_PATH`` (dbt's own variable) moves its manifest, so a benchmark or
    a second checkout never writes into another run's ``target/``."""
    return _dbt_project(os.environ.get("DBT_TARGET_PATH", "target"))


def dbt_executable() -> str:
    """The dbt installed beside the running Python (a venv's bin/ is often not on PATH)."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else "dbt"


def dbt_build_args(full_refresh: bool = False) -> list[str]:
    """``dbt build`` as a run executes it (the window of days comes from ``dbt_window_env``)."""
    # Unit tests check the models' logic, not the night's data: CI runs them (`make test`),
    # the nightly run need not pay for them on every partition.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    return args


def prepare_manifest(force: bool = False) -> Path:
    """Parse the dbt project so its manifest exists and matches the models on disk.

    Called when the definitions are built, never at import. ``dagster dev`` re-parses on every
    load; ``tokenworth run`` and the tests pass ``force=True`` so a run never uses a manifest
    older than the models.
    """
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    project = dbt_project()
    stale = os.environ.get("DAGSTER_IS_DEV_CLI")  # `dagster dev` reloads after edits
    if force or stale or not project.manifest_path.exists():
        # dbt itself, not DbtCliResource.cli: that first runs `dbt --version` and sets up an
        # adapter (about 5 s together), which a parse needs neither of.
        target = REPO_ROOT / project.target_path
        command = [
            *(dbt_executable(), "parse", "--quiet", "--project-dir", str(REPO_ROOT)),
            *("--profiles-dir", str(REPO_ROOT / "dbt_project"), "--target-path", str(target)),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
            raise RuntimeError(
                f"dbt could not parse the project in {REPO_ROOT} "
                f"(exit {done.returncode}):\n{output}"
            )
    return project.manifest_path


def dbt_window_env(first_day: date, end_day: date) -> dict[str, str]:
    """The half-open window of days [first_day, end_day) the incremental facts rebuild.

    Environment variables, not ``--vars``: dbt discards its saved parse whenever ``--vars``
    change, so a window passed as vars (new every night) re-parsed the whole project on every
    run; the macros in ``macros/usage/usage_window.sql`` read these instead.
    """
    return {
        "TOKENWORTH_DBT_MIN_DATE": first_day.isoformat(),
        "TOKENWORTH_DBT_MAX_DATE": end_day.isoformat(),
    }
