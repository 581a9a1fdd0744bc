"""The Dagster code location (``dagster dev -m orchestration.definitions``)."""

from __future__ import annotations

import dagster as dg

from orchestration.defs import build_definitions


@dg.definitions
def defs() -> dg.Definitions:
    """Built when Dagster loads the code location, not when this module is imported."""
    return build_definitions()
