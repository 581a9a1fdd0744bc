"""The metric settings that Python needs too, read from their one home: ``dbt_project.yml``.

The marts are built with these dbt vars. Git durability measures the horizons and the rework
window the marts report, the sandbox's truth scores the same ones, and the report quotes the
review-cost and cohort assumptions next to the charts that depend on them — all read here
instead of repeating the numbers in code. A run that overrides them with ``dbt --vars`` is not
seen here: the project file is the configuration tokenworth documents and runs with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# dbt_project.yml sits at the repository root, two levels above this package.
DBT_PROJECT_FILE = Path(__file__).resolve().parents[2] / "dbt_project.yml"


class ProjectVarsError(RuntimeError):
    """dbt_project.yml cannot be read, or a var is missing or not a number."""


@dataclass(frozen=True)
class ProjectVars:
    review_minutes_per_review: float
    review_minutes_per_comment: float
    reviewer_hourly_usd: float
    min_cohort_size: int
    durable_survival_threshold: float
    rework_window_days: int
    durability_horizons_days: tuple[int, ...]
    usage_lookback_days: int

    def review_cost_assumption(self) -> str:
        """The review-cost model in words, as the marts compute it."""
        return (
            f"Review cost assumes {_number(self.review_minutes_per_review)} minutes per review "
            f"× reviews + {_number(self.review_minutes_per_comment)} minutes per review comment "
            f"× comments, at ${_number(self.reviewer_hourly_usd)} an hour (dbt vars "
            "review_minutes_per_review, review_minutes_per_comment and reviewer_hourly_usd in "
            "dbt_project.yml)."
        )


def _number(value: float) -> str:
    return f"{value:g}"


def read_project_vars(path: Path = DBT_PROJECT_FILE) -> ProjectVars:
    """The vars of ``path``; raises ProjectVarsError naming the file and the var when unusable."""
    try:
        project = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ProjectVarsError(
            f"cannot read the dbt vars from {path}: {error} — the metric settings live there; "
            "run tokenworth from its checkout or installed package"
        ) from error
    values: dict[str, Any] = project.get("vars") or {}

    def number(name: str) -> float:
        value = values.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProjectVarsError(
                f"dbt var {name} in {path} is {value!r}, not a number — set it under `vars:`"
            )
        return float(value)

    return ProjectVars(
        review_minutes_per_review=number("review_minutes_per_review"),
        review_minutes_per_comment=number("review_minutes_per_comment"),
        reviewer_hourly_usd=number("reviewer_hourly_usd"),
        min_cohort_size=int(number("min_cohort_size")),
        durable_survival_threshold=number("durable_survival_threshold"),
        rework_window_days=int(number("rework_window_days")),
        durability_horizons_days=_days(values, "durability_horizons_days", path),
        usage_lookback_days=int(number("usage_lookback_days")),
    )


def _days(values: dict[str, Any], name: str, path: Path) -> tuple[int, ...]:
    """A list var of positive whole days, ascending."""
    value = values.get(name)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        raise ProjectVarsError(
            f"dbt var {name} in {path} is {value!r}, not a list of positive whole days — "
            "set it under `vars:`, e.g. [7, 30, 90]"
        )
    return tuple(sorted(value))
