"""The code inside the simulated repositories: files as lists of lines, edits, and commits.

Each pull request carries a list of :class:`Edit` s planned against the default branch as it was
when the PR was opened. Its branch commits apply them to that base; its squash merge applies them
again to the default branch as it is at merge time, so work merged in between is kept (the
sandbox never produces conflicts: an edit whose anchor has gone is applied at the end of the file,
one whose target lines have gone is dropped).

Lines are objects: a line keeps its identity (and the PR it came from) while others change around
it, which is what ``git blame`` recovers and what the ground truth records. Every line that counts
as *effective* is unique within its repository, so git's diff can only match it to itself.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sandbox.gitobjects import blob_oid, commit_oid, signature
from sandbox.model import Commit, FileStat, Gitlink, Line, PrKey, RawLine

GITHUB_COMMITTER = ("GitHub", "noreply@github.com")

_WORDS = (
    "invoice ledger payment refund session token cache retry budget quota report metric span "
    "event batch cursor page filter schema record window bucket price model review branch merge "
    "commit author team person account key usage cost audit export import parser client server "
    "handler router queue worker job task plan limit policy"
).split()


@dataclass(slots=True)
class Edit:
    """One planned change to one file.

    kind: ``insert`` (``new`` after ``anchor``, or at the top when anchor is None), ``replace``
    (``old[i]`` becomes ``new[i]``), ``delete`` (remove ``old``), ``create`` (a new file holding
    ``new``), ``rename`` (move ``path`` to ``new_path``).
    """

    kind: str
    path: str
    anchor: Line | None = None
    old: list[Line] = field(default_factory=list)
    new: list[Line] = field(default_factory=list)
    new_path: str | None = None


def _randint(rng: random.Random, a: int, b: int) -> int:
    """``rng.randint(a, b)``, drawing the same bits, without its three layers of checks.

    The large profile makes tens of millions of draws. CPython's randint is randrange, which is
    ``_randbelow``: rejection sampling on ``getrandbits(n.bit_length())``, as here.
    """
    n = b - a + 1
    k = n.bit_length()
    r = rng.getrandbits(k)
    while r >= n:
        r = rng.getrandbits(k)
    return a + r


def _same_as_stdlib() -> bool:
    ours, theirs = random.Random(20261122), random.Random(20261122)
    bounds = [(0, 0), (1, 6), (0, 999), (20, 240), (8_000, 24_000), (3, 2**40)]
    return all(_randint(ours, a, b) == theirs.randint(a, b) for a, b in bounds * 50)


# Worlds must not depend on which one is used; should a Python draw differently, use its own.
randint: Callable[[random.Random, int, int], int] = (
    _randint if _same_as_stdlib() else (lambda rng, a, b: rng.randint(a, b))
)


class LineFactory:
    """Makes unique, language-flavoured lines of code for one repository."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._next = 0

    def line(self, path: str, origin: PrKey | None) -> Line:
        self._next += 1
        uid = f"{self._next:05x}"
        word = self._rng.choice(_WORDS)
        other = self._rng.choice(_WORDS)
        n = randint(self._rng, 1, 999)
        if path.endswith(".py"):
            text = f"    {word}_{uid} = build_{other}({word}, limit={n})"
        elif path.endswith((".ts", ".tsx", ".js")):
            text = f"  const {word}{uid} = {other}Service.load({n});"
        elif path.endswith(".go"):
            text = f"\t{word}{uid} := {other}.Load(ctx, {n})"
        elif path.endswith(".md"):
            text = f"- The {word} {other} step {uid} runs after {n} ms."
        elif path.endswith((".lock", ".json")):
            text = f'  "{word}-{other}-{uid}": "^{n % 9}.{n % 17}.{n % 5}",'
        else:
            text = f"{word}.{other}.{uid} = {n}"
        return Line(text, origin)

    def block(self, path: str, origin: PrKey | None, count: int) -> list[Line]:
        """``count`` effective lines, with the occasional blank or closing line real code has."""
        lines = [self.line(path, origin) for _ in range(count)]
        if count >= 4 and not path.endswith((".lock", ".json", ".md")):
            closer = "}" if path.endswith((".ts", ".tsx", ".js", ".go")) else ""
            lines.insert(randint(self._rng, 2, count - 1), Line(closer, origin))
        return lines


class TreeIndex:
    """path -> blob oid, with every directory's git tree id cached until something under it changes.

    A repository's commits each change a few files of hundreds; rehashing every tree per commit
    made tree hashing the largest cost of the ``large`` profile. Only the directories on the path
    of a changed file are rehashed here. Ids are the same as ``gitobjects.tree_oid``'s.
    """

    def __init__(self, blobs: dict[str, str] | None = None) -> None:
        # directory ("" is the root) -> entry name -> (git's sort key, the entry's bytes in the
        # tree object); a subdirectory's bytes are None, as they depend on its own tree id.
        self._dirs: dict[str, dict[str, tuple[bytes, bytes | None]]] = {"": {}}
        self._oids: dict[str, str] = {}  # directory -> tree oid, for unchanged directories only
        for path, oid in (blobs or {}).items():
            self.set(path, oid)

    def copy(self) -> TreeIndex:
        twin = TreeIndex()
        twin._dirs = {d: dict(entries) for d, entries in self._dirs.items()}
        twin._oids = dict(self._oids)
        return twin

    def _dirty(self, directory: str) -> None:
        while True:
            self._oids.pop(directory, None)
            if not directory:
                return
            directory = directory.rpartition("/")[0]

    def set(self, path: str, oid: str, mode: bytes = b"100644") -> None:
        directory, _, name = path.rpartition("/")
        raw = name.encode()
        self._directory(directory)[name] = (raw, mode + b" " + raw + b"\x00" + bytes.fromhex(oid))
        self._dirty(directory)

    def _directory(self, directory: str) -> dict[str, tuple[bytes, bytes | None]]:
        """The entries of ``directory``, created (and linked into its parent) when missing."""
        entries = self._dirs.get(directory)
        if entries is None:
            parent, _, base = directory.rpartition("/")
            # Git sorts tree entries by name, comparing a directory as if it ended in "/".
            self._directory(parent)[base] = (base.encode() + b"/", None)
            entries = self._dirs[directory] = {}
        return entries

    def remove(self, path: str) -> None:
        directory, _, name = path.rpartition("/")
        entries = self._dirs.get(directory)
        if entries is None or entries.pop(name, None) is None:
            return
        self._dirty(directory)
        while directory and not self._dirs[directory]:  # git has no empty directories
            del self._dirs[directory]
            parent, _, base = directory.rpartition("/")
            del self._dirs[parent][base]
            directory = parent

    def oid(self, directory: str = "") -> str:
        cached = self._oids.get(directory)
        if cached is not None:
            return cached
        prefix = directory + "/" if directory else ""
        parts = []
        for key, entry in sorted(self._dirs[directory].values()):  # keys are unique
            if entry is None:
                sub = key[:-1]
                entry = b"40000 " + sub + b"\x00" + bytes.fromhex(self.oid(prefix + sub.decode()))
            parts.append(entry)
        body = b"".join(parts)
        tree = hashlib.sha1(b"tree %d\x00" % len(body) + body, usedforsecurity=False).hexdigest()
        self._oids[directory] = tree
        return tree


def file_bytes(lines: list[Line] | tuple[Line, ...]) -> bytes:
    """A file's content in git: its lines joined, each ending in a newline; a binary file's
    bytes as they are. (``surrogateescape`` gives back the bytes of non-UTF-8 text.)"""
    if lines and type(lines[0]) is RawLine:
        return lines[0].text.encode("utf-8", "surrogateescape")
    return (
        ("\n".join(line.text for line in lines) + "\n").encode("utf-8", "surrogateescape")
        if lines
        else b""
    )


def gitlink(lines: list[Line] | tuple[Line, ...] | None) -> str | None:
    """The commit a submodule path points at, or None for a file."""
    return lines[0].text if lines and type(lines[0]) is Gitlink else None


def apply_edits(
    files: dict[str, list[Line]], edits: list[Edit]
) -> tuple[dict[str, list[Line] | None], dict[str, str], int, int]:
    """Apply ``edits`` to ``files`` in place.

    Returns the touched paths' new contents (None = deleted), renames, additions, deletions.
    """
    touched: dict[str, list[Line] | None] = {}
    renames: dict[str, str] = {}
    additions = deletions = 0
    for edit in edits:
        if edit.kind == "rename":
            if edit.path in files and edit.new_path and edit.new_path not in files:
                files[edit.new_path] = files.pop(edit.path)
                touched[edit.path] = None
                touched[edit.new_path] = files[edit.new_path]
                renames[edit.path] = edit.new_path
            continue
        if edit.kind == "create" or edit.path not in files:
            if edit.kind in ("replace", "delete"):
                continue
            files.setdefault(edit.path, [])
        lines = files[edit.path]
        if edit.kind in ("create", "insert"):
            if edit.anchor is None:
                pos = 0
            else:
                at = _index(lines, edit.anchor)
                # An anchor merged away in the meantime: append rather than conflict.
                pos = len(lines) if at is None else at + 1
            lines[pos:pos] = edit.new
            additions += len(edit.new)
        elif edit.kind == "replace":
            for old, new in zip(edit.old, edit.new, strict=True):
                at = _index(lines, old)
                if at is not None:
                    lines[at] = new
                    additions += 1
                    deletions += 1
        elif edit.kind == "delete":
            for old in edit.old:
                at = _index(lines, old)
                if at is not None:
                    del lines[at]
                    deletions += 1
        touched[edit.path] = lines
    for path, lines in list(touched.items()):
        if lines is not None and not lines and path in files and path not in renames.values():
            # An emptied file is deleted, as git would show it.
            del files[path]
            touched[path] = None
    return touched, renames, additions, deletions


def _index(lines: list[Line], target: Line | None) -> int | None:
    if target is None:
        return None
    for i, line in enumerate(lines):
        if line is target:
            return i
    return None


def make_commit(
    files: dict[str, list[Line]],
    touched: dict[str, list[Line] | None],
    renames: dict[str, str],
    parent: Commit | None,
    message: str,
    author: tuple[str, str],
    authored_at: datetime,
    committer: tuple[str, str],
    committed_at: datetime,
    additions: int,
    deletions: int,
    author_login: str | None = None,
    committer_login: str | None = None,
    blobs: TreeIndex | None = None,
) -> Commit:
    """A commit of ``files`` (the full tree after the change) with its git oid computed.

    ``blobs`` is the caller's tree of ``files`` before the change; only touched paths are
    re-hashed, which keeps hashing proportional to the change, not the repository.
    """
    changed: dict[str, list[Line]] | dict[str, list[Line] | None] = touched
    if blobs is None:
        blobs, changed = TreeIndex(), files
    for path, lines in changed.items():
        if lines is None or path not in files:
            blobs.remove(path)
        elif (commit_oid_of_submodule := gitlink(lines)) is not None:
            blobs.set(path, commit_oid_of_submodule, b"160000")
        else:
            blobs.set(path, blob_oid(file_bytes(lines)))
    if not message.endswith("\n"):
        message += "\n"
    commit = Commit(
        message=message,
        author_name=author[0],
        author_email=author[1],
        authored_at=authored_at,
        committer_name=committer[0],
        committer_email=committer[1],
        committed_at=committed_at,
        files={p: (tuple(v) if v is not None else None) for p, v in touched.items()},
        renames=renames,
        additions=additions,
        deletions=deletions,
        author_login=author_login,
        committer_login=committer_login,
        parent=parent,
    )
    commit.oid = commit_oid(
        blobs.oid(),
        [parent.oid] if parent is not None and parent.oid else [],
        signature(author[0], author[1], authored_at),
        signature(committer[0], committer[1], committed_at),
        message,
    )
    return commit


def file_stats(base: dict[str, list[Line]], head: dict[str, list[Line]]) -> list[FileStat]:
    """GitHub's per-file view of a PR: its head against its base."""
    stats = []
    for path in sorted(set(base) | set(head)):
        before = base.get(path)
        after = head.get(path)
        if before is after or (before is not None and after is not None and before == after):
            continue
        before_ids = set(map(id, before or []))
        after_ids = set(map(id, after or []))
        if len(before_ids) == len(before or []) and len(after_ids) == len(after or []):
            # Lines are distinct objects within a file: set arithmetic counts them in C.
            added = len(after_ids - before_ids)
            removed = len(before_ids - after_ids)
        else:
            added = sum(1 for x in after or [] if id(x) not in before_ids)
            removed = sum(1 for x in before or [] if id(x) not in after_ids)
        kind = "ADDED" if before is None else "DELETED" if after is None else "MODIFIED"
        if (after and type(after[0]) is RawLine) or (before and type(before[0]) is RawLine):
            stats.append(FileStat(path, 0, 0, kind))  # GitHub counts no lines in binary files
            continue
        if added == 0 and removed == 0:
            continue
        stats.append(FileStat(path, added, removed, kind))
    return stats
