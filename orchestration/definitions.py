"""The Dagster code location: loads every object under ``orchestration/defs`` and the resources."""

from __future__ import annotations

import dagster as dg

from orchestration.defs import build_definitions

defs: dg.Definitions = build_definitions()
