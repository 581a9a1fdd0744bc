"""What makes the large profile fast must not change any world: each shortcut equals the slow way.

Byte-identical worlds are checked by comparing tiny and demo before and after a change (see the
README's scale section); these tests pin the pieces: incremental tree ids equal git's, the fast
draw equals ``random.randint``, and the server answers before its indexes are warm.
"""

from __future__ import annotations

import random
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from worlds import edge_world

from sandbox.gitobjects import tree_oid
from sandbox.history import TreeIndex, randint
from sandbox.server import SandboxServer
from sandbox.vendors import VendorApi

PATHS = [
    "README.md",
    "a",
    "src/x.py",
    "src/core/y.py",
    "src/core/z.py",
    "src/core-1/q.go",
    "src.md",
    "d/e/f/g.txt",
    "d/e/h.txt",
]


def test_tree_index_ids_equal_full_rehashing_through_edits_and_copies() -> None:
    rng = random.Random(5)
    tree, reference = TreeIndex(), {}
    for step in range(1500):
        path = rng.choice(PATHS)
        if rng.random() < 0.3:
            reference.pop(path, None)
            tree.remove(path)
        else:
            reference[path] = f"{rng.getrandbits(160):040x}"
            tree.set(path, reference[path])
        if step % 7 == 0:
            tree = tree.copy()  # branches work on copies
        assert tree.oid() == tree_oid(reference), step


def test_tree_index_ids_are_the_ids_git_writes(tmp_path: Path) -> None:
    files = {"README.md": b"hi\n", "src/core/y.py": b"y = 1\n", "src/core-1/q.go": b"q\n"}
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "."], check=True)
    written = subprocess.run(
        ["git", "-C", str(tmp_path), "write-tree"], capture_output=True, text=True, check=True
    ).stdout.strip()
    blobs = {
        name: subprocess.run(
            ["git", "hash-object", str(tmp_path / name)], capture_output=True, text=True, check=True
        ).stdout.strip()
        for name in files
    }
    assert TreeIndex(blobs).oid() == written


def test_fast_randint_draws_exactly_what_random_randint_draws() -> None:
    ours, theirs = random.Random("tokenworth"), random.Random("tokenworth")
    bounds = [(0, 0), (1, 6), (20, 240), (8_000, 24_000), (0, 2**70)]
    for _ in range(2000):
        a, b = random.choice(bounds)
        assert randint(ours, a, b) == theirs.randint(a, b)


class _SlowIndex(VendorApi):
    """A vendor whose index takes a while, to show requests wait for it instead of failing."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.built = 0

    def build_indexes(self) -> None:
        self.release.wait(5)
        self.built += 1


def test_indexes_are_built_once_however_many_requests_race_for_them() -> None:
    vendor = _SlowIndex()
    threads = [threading.Thread(target=vendor.ensure_indexed) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    assert vendor.built == 0  # everyone is waiting for the one build
    vendor.release.set()
    for t in threads:
        t.join(5)
    assert vendor.built == 1


@pytest.fixture(scope="module")
def world() -> Any:
    return edge_world()


def test_server_listens_before_indexing_and_warms_every_vendor(world: Any) -> None:
    server = SandboxServer(world)
    assert not any(v._indexed for v in server.vendors.values())  # nothing indexed at construction
    with server:
        assert server.wait_ready(timeout=60)
        assert all(v._indexed for v in server.vendors.values())
        response = requests.get(
            f"{server.url}/v1/organization/users",
            headers={"Authorization": f"Bearer {server.openai_admin_key}"},
            timeout=10,
        )
        assert response.status_code == 200
        assert response.json()["data"], "users come from the index built on warm-up"
