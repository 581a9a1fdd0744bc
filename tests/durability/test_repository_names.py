"""The git step's map from the names repositories were loaded under to their current names."""

from __future__ import annotations

from orchestration.defs.ingest.git.durability import _current_names


def test_a_renamed_repository_maps_to_its_latest_loads_name() -> None:
    rows = [
        ("acme/old", "R_1", "1700000000.1"),
        ("acme/new", "R_1", "1700086400.2"),  # a later load under the new name
        ("acme/api", "R_2", "1700000000.1"),
        ("acme/legacy", None, "1690000000.0"),  # loaded before node ids were recorded
    ]
    assert _current_names(rows) == {"acme/old": "acme/new"}


def test_a_name_two_repositories_have_held_is_left_as_loaded() -> None:
    rows = [
        ("acme/tools", "R_1", "1700000000.1"),  # renamed away to acme/tools-archive …
        ("acme/tools-archive", "R_1", "1700086400.2"),
        ("acme/tools", "R_9", "1700172800.3"),  # … and a new repository took the name
    ]
    assert _current_names(rows) == {}
