"""Git object ids computed in Python, exactly as git computes them.

The generator needs commit ids while it simulates (a revert's message names the sha it reverts, the
GitHub API serves ``mergeCommit.oid``), long before anything is written to disk. Hashing the
objects here keeps generation independent of git; ``gitrepos`` then writes the same objects with
``git fast-import`` and checks that git arrives at the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime


def blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


def tree_oid(files: Mapping[str, str]) -> str:
    """The root tree id of ``files`` (path -> blob id); every file gets mode 100644."""
    return _tree(files, {})[0]


def _tree(files: Mapping[str, str], out: dict[str, bytes]) -> tuple[str, dict[str, bytes]]:
    entries: dict[str, tuple[bytes, str]] = {}
    subdirs: dict[str, dict[str, str]] = {}
    for path, oid in files.items():
        head, sep, rest = path.partition("/")
        if sep:
            subdirs.setdefault(head, {})[rest] = oid
        else:
            entries[head] = (b"100644", oid)
    for name, sub in subdirs.items():
        entries[name] = (b"40000", _tree(sub, out)[0])

    # Git sorts tree entries by name, comparing a directory as if its name ended in "/".
    def sort_key(name: str) -> bytes:
        suffix = b"/" if entries[name][0] == b"40000" else b""
        return name.encode() + suffix

    body = b"".join(
        entries[name][0] + b" " + name.encode() + b"\x00" + bytes.fromhex(entries[name][1])
        for name in sorted(entries, key=sort_key)
    )
    oid = hashlib.sha1(b"tree %d\x00" % len(body) + body, usedforsecurity=False).hexdigest()
    out[oid] = body
    return oid, out


def signature(name: str, email: str, at: datetime) -> str:
    return f"{name} <{email}> {int(at.timestamp())} +0000"


def commit_oid(
    tree: str,
    parents: list[str],
    author: str,
    committer: str,
    message: str,
) -> str:
    lines = [f"tree {tree}"]
    lines += [f"parent {p}" for p in parents]
    lines += [f"author {author}", f"committer {committer}", "", message]
    body = "\n".join(lines).encode()
    return hashlib.sha1(b"commit %d\x00" % len(body) + body, usedforsecurity=False).hexdigest()
