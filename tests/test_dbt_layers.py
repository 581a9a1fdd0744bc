"""The dbt layers mean what they say (STYLE.md 2.11), checked on dbt's own manifest.json.

Data flows one way: sources and seeds -> staging -> intermediate -> core (facts and dimensions)
-> restricted and marts. Each model reads only the layers its layer may read (``LAYER_READS``);
inside core, a fact may read another fact only through an edge listed, with its reason, in
``CORE_READS_CORE``. One name per layer: a model's folder under ``models/`` is its schema and
its Dagster group (``transform_<layer>``). YAML and docs files are named ``_<folder>__<kind>``.

The project is parsed into a scratch target path: no warehouse is needed, and the repository's
``target/`` (which Dagster reads) is never written by this test's parse.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestration.defs.transform.project import dbt_executable

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = REPO_ROOT / "dbt_project"

# Layer -> the layers its models may read. Seeds (hand-edited lookup tables) and the staging
# models over them (stg_seeds__*) sit below intermediate, so every layer up to core reads them.
LAYER_READS: dict[str, set[str]] = {
    "staging": {"source", "seeds"},
    # Intermediate models are the building blocks of the facts: chaining them is their purpose.
    "intermediate": {"seeds", "staging", "intermediate"},
    # Facts and dimensions read intermediate, or staging directly when no reshaping is needed.
    # A core model reading another core model is allowed edge by edge (CORE_READS_CORE).
    "core": {"seeds", "staging", "intermediate"},
    # Person-level marts (a schema a BI role can be denied) read only facts and dimensions.
    "restricted": {"core"},
    # Marts read facts and dimensions; team-level marts may aggregate restricted person rows.
    "marts": {"core", "restricted"},
}
# What consumers read: the report (an exposure) reads marts only, never restricted.
EXPOSURE_READS = {"marts"}

# Why a model reads an incremental fact (fct_ai_usage, fct_ai_sessions) and not the intermediate
# model the fact is built from: a run re-reads intermediate only for its window of days.
_HISTORY = "only the incremental fact's table holds every loaded day"
# Edges inside core, (parent, child): why the child reads that fact or dimension.
CORE_READS_CORE: dict[tuple[str, str], str] = {
    ("fct_ai_usage", "fct_seat_costs"): f"seats span the days with usage; {_HISTORY}",
    ("fct_ai_sessions", "dim_as_of_dates"): f"the latest session end; {_HISTORY}",
    ("fct_ai_sessions", "fct_session_pr_links"): f"every session is a candidate; {_HISTORY}",
    ("fct_ai_sessions", "fct_pull_requests"): f"platforms of a PR's sessions; {_HISTORY}",
    ("fct_ai_sessions", "fct_session_spend"): f"every session's cost is classified; {_HISTORY}",
    ("fct_ai_sessions", "fct_platform_spend_months"): f"usage spend per month; {_HISTORY}",
    ("dim_as_of_dates", "fct_pr_durability"): "one as-of day for every pending/measured decision",
    ("dim_as_of_dates", "fct_session_spend"): "one as-of day for every pending/measured decision",
    ("dim_people", "dim_teams"): "a team's size counts dim_people's people: one definition",
    ("fct_session_pr_links", "fct_pull_requests"): "a PR's AI platforms come from its links",
    ("fct_session_pr_links", "fct_session_spend"): "spend fragments are the links' weights",
    ("fct_pr_durability", "fct_session_spend"): "spend classes use the fact's measured status",
    ("fct_pr_durability", "fct_platform_work_type_months"): "durable outcomes: the same status",
    ("fct_rework_links", "fct_pull_request_costs"): "repair cost is priced over rework links",
    ("fct_session_spend", "fct_pull_request_costs"): "a PR's AI cost is its attributed spend",
    ("fct_session_spend", "fct_platform_work_type_months"): "attributed spend by work type",
    ("fct_pull_request_costs", "fct_platform_work_type_months"): "per-PR costs computed once",
    ("fct_seat_costs", "fct_platform_spend_months"): "seat cost per month: the fact's rows summed",
}
# The kinds of YAML and docs files, each named `_<folder>__<kind>.<ext>`, holding only that kind.
FILE_KINDS = {"models", "sources", "unit_tests", "exposures", "seeds", "macros", "docs"}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``dbt parse`` of the project into a scratch target path."""
    work = tmp_path_factory.mktemp("dbt_layers")
    done = subprocess.run(
        [
            *(dbt_executable(), "parse", "--quiet", "--project-dir", str(REPO_ROOT)),
            *("--profiles-dir", str(DBT_DIR), "--target-path", str(work / "target")),
            *("--log-path", str(work / "logs")),
        ],
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return json.loads((work / "target" / "manifest.json").read_text())


def _layer(node: Mapping[str, Any]) -> str:
    """The layer of a manifest node: the folder under models/ for a model (fqn[1])."""
    kind = node["resource_type"]
    if kind == "model":
        return str(node["fqn"][1]) if len(node["fqn"]) > 2 else "(models/ root)"
    return {"source": "source", "seed": "seeds"}.get(kind, kind)


def _edges(manifest: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Every (parent, child) edge into a model of this project."""
    nodes = {**manifest["nodes"], **manifest["sources"]}
    return [
        (nodes[parent], child)
        for child in manifest["nodes"].values()
        if child["resource_type"] == "model" and child["package_name"] == "tokenworth"
        for parent in child["depends_on"]["nodes"]
    ]


def _name(node: Mapping[str, Any]) -> str:
    return f"{_layer(node)}.{node['name']}"


def test_every_model_reads_only_the_layers_below_it(manifest: dict[str, Any]) -> None:
    offending = []
    for parent, child in _edges(manifest):
        child_layer, parent_layer = _layer(child), _layer(parent)
        if parent_layer in LAYER_READS.get(child_layer, set()):
            continue
        if (parent["name"], child["name"]) in CORE_READS_CORE and child_layer == "core":
            continue
        offending.append(f"{_name(parent)} -> {_name(child)}")
    assert not offending, (
        f"{len(offending)} dbt edge(s) outside the layer map (LAYER_READS, CORE_READS_CORE in "
        "tests/test_dbt_layers.py): " + "; ".join(sorted(offending))
    )


def test_every_allowed_core_edge_exists(manifest: dict[str, Any]) -> None:
    # An entry whose edge is gone would silently allow it again later: keep the map exact.
    core_edges = {
        (parent["name"], child["name"])
        for parent, child in _edges(manifest)
        if _layer(parent) == _layer(child) == "core"
    }
    stale = sorted(set(CORE_READS_CORE) - core_edges)
    assert not stale, f"CORE_READS_CORE lists edges the project no longer has: {stale}"


def test_exposures_read_only_marts(manifest: dict[str, Any]) -> None:
    offending = [
        f"{_name(manifest['nodes'][parent])} -> exposure {exposure['name']}"
        for exposure in manifest["exposures"].values()
        for parent in exposure["depends_on"]["nodes"]
        if _layer(manifest["nodes"][parent]) not in EXPOSURE_READS
    ]
    assert not offending, f"exposures must read marts only: {offending}"


def test_folder_schema_and_dagster_group_name_the_same_layer(manifest: dict[str, Any]) -> None:
    from orchestration.defs.transform.assets import TokenworthDbtTranslator

    translator = TokenworthDbtTranslator()
    disagreeing = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] not in ("model", "seed") or node["package_name"] != "tokenworth":
            continue
        layer = _layer(node)
        group = translator.get_asset_spec(manifest, unique_id, None).group_name
        if node["resource_type"] == "model" and layer not in LAYER_READS:
            disagreeing.append(f"{node['original_file_path']}: folder {layer!r} is no layer")
        elif (node["config"]["schema"], group) != (layer, f"transform_{layer}"):
            disagreeing.append(
                f"{node['original_file_path']}: layer {layer}, schema "
                f"{node['config']['schema']}, Dagster group {group}"
            )
    assert not disagreeing, "folder, schema and group disagree: " + "; ".join(disagreeing)


def test_yaml_and_docs_files_are_named_after_their_folder() -> None:
    misnamed = []
    for path in sorted(DBT_DIR.glob("**/*")):
        if path.suffix not in (".yml", ".yaml", ".md") or path.name == "profiles.yml":
            continue
        if "target" in path.relative_to(DBT_DIR).parts:
            continue
        folder, stem = path.parent.name, path.stem
        kind = stem.removeprefix(f"_{folder}__")
        if kind == stem or kind not in FILE_KINDS:
            misnamed.append(f"{path.relative_to(REPO_ROOT)}: not _{folder}__<kind>{path.suffix}")
            continue
        if path.suffix == ".md":
            if kind != "docs":
                misnamed.append(f"{path.relative_to(REPO_ROOT)}: a .md file is _{folder}__docs")
            continue
        keys = set(yaml.safe_load(path.read_text()) or {}) - {"version"}
        if keys != {kind}:
            misnamed.append(f"{path.relative_to(REPO_ROOT)}: holds {sorted(keys)}, not {kind}")
    assert not misnamed, "YAML/docs files named otherwise: " + "; ".join(misnamed)
