"""Dagster objects of tokenworth, assembled by :func:`build_definitions`."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


def build_definitions() -> dg.Definitions:
    """Every asset, check, job and schedule under ``defs/``, with resources from the environment.

    Resources read the environment when this runs (tests and ``tokenworth run`` call it after
    setting variables); asset bodies never read it.
    """
    import orchestration.defs as package
    from orchestration.defs.resources import build_resources

    loaded = dg.load_from_defs_folder(path_within_project=Path(package.__path__[0]))
    return dg.Definitions.merge(loaded, dg.Definitions(resources=build_resources()))
