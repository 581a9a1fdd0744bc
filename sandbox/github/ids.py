"""Opaque identifiers of the sandbox's GitHub API: global node ids, cursors and timestamps.

GitHub's ids and cursors are opaque base64 strings that clients must pass back unchanged; ours are
too, but they encode enough (object kind, repository, pull-request number, position) to resolve
``node(id:)`` and ``after:`` from the world without a global id table.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

# Node id prefixes in GitHub's current style (``PR_…``, ``C_…``); the kind inside the payload is
# what ``decode_id`` dispatches on, the prefix only makes ids look like GitHub's.
PREFIXES: dict[str, str] = {
    "User": "U",
    "Bot": "BOT",
    "Organization": "O",
    "Mannequin": "M",
    "Team": "T",
    "Commit": "C",
    "PullRequestCommit": "PURC",
    "PullRequestReview": "PRR",
    "PullRequestReviewThread": "PRRT",
    "PullRequestReviewComment": "PRRC",
    "IssueComment": "IC",
    "Label": "LA",
    "Ref": "REF",
    "Event": "EV",
    "Fork": "R",
}


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def encode_id(kind: str, *parts: object) -> str:
    """A node id for ``kind``; the last part may contain ``:`` (label names, logins)."""
    payload = ":".join([kind, *(str(p) for p in parts)])
    return f"{PREFIXES[kind]}_{_b64(payload)}"


def decode_id(node_id: str) -> tuple[str, list[str]] | None:
    """``(kind, parts)`` of an id made by :func:`encode_id`, or None for anything else."""
    prefix, sep, rest = node_id.partition("_")
    if not sep:
        return None
    payload = _unb64(rest)
    if payload is None:
        return None
    kind, _, tail = payload.partition(":")
    if PREFIXES.get(kind) != prefix:
        return None
    return kind, tail.split(":")


def index_cursor(position: int) -> str:
    """Cursor of the item at 0-based ``position`` of a nested connection.

    GitHub's nested-connection cursors are base64 of the 1-based position without padding (the
    second commit of a pull request has cursor ``Mg``); clients see the same shape here.
    """
    return _b64(str(position + 1))


def decode_index_cursor(cursor: str) -> int | None:
    """0-based position of an :func:`index_cursor`, or None when it is not one."""
    text = _unb64(cursor)
    if text is None or not text.isdigit():
        return None
    return int(text) - 1


def key_cursor(key: list[object]) -> str:
    """Cursor of a list ordered by a sort key (pull requests, repositories): base64 of the key.

    Keyed rather than positional so that a cursor stays meaningful whatever filter the next
    request applies, like GitHub's ``cursor:v2:…`` cursors.
    """
    return base64.b64encode(b"cursor:v2:" + json.dumps(key).encode()).decode()


def decode_key_cursor(cursor: str) -> list[object] | None:
    try:
        raw = base64.b64decode(cursor, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(b"cursor:v2:"):
        return None
    try:
        key = json.loads(raw[len(b"cursor:v2:") :])
    except ValueError:
        return None
    return key if isinstance(key, list) else None


def iso(moment: datetime | None) -> str | None:
    """GitHub's ``DateTime``: UTC, whole seconds, ``Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> datetime | None:
    """A ``DateTime`` argument (``since:``) as an aware datetime; None when malformed."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
