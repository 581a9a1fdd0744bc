"""Opt-in, deterministic fault injection for the sandbox server.

A spec such as ``rate=0.1,kinds=429,500,502,reset,timeout,truncated,seed=3`` says how often and
how the server misbehaves. Whether a request is faulted depends only on the seed, the request's
*signature* (method, path, sorted query, body) and how many times that signature was asked
before — a hash, never random state — so a test replays the same faults every run, whatever
order other requests arrive in. At most ``max_consecutive`` (2) attempts of one signature fail in
a row, so a client that retries at least three times always gets through.

Kinds:

* an HTTP status (``429``, ``500``, ``502``, ``503``…): the vendor's error envelope with that
  status; ``429`` carries ``Retry-After: 1`` (``retry_after=86400`` asks for longer);
* ``reset``: the connection is closed (TCP reset) without a response;
* ``timeout``: the answer is delayed by ``timeout_seconds`` (default 5), then sent in full;
* ``truncated``: ``Content-Length`` promises the whole body but only half is sent;
* ``leak``: a 400 whose error message quotes the credential the request carried, as some
  vendors do ("invalid x-api-key sk-…"): a client must not repeat it in its logs or errors;
* ``extra``: the response is correct but every record carries unknown extra fields (schema
  drift). It does not fail, so it does not count towards the consecutive cap. ``extra=true``
  adds them to every JSON response instead of a sampled fraction.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

NAMED_KINDS = ("reset", "timeout", "truncated", "leak", "extra")
DEFAULT_KINDS = ("429", "500", "502", "reset", "timeout", "truncated")


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """What ``--faults`` asked for."""

    rate: float = 0.0
    kinds: tuple[str, ...] = DEFAULT_KINDS
    seed: int = 0
    timeout_seconds: float = 5.0
    # Add unknown fields to every JSON response (not just the sampled ones).
    extra: bool = False
    max_consecutive: int = 2
    # The Retry-After of a 429 fault, in seconds.
    retry_after: int = 1

    @property
    def active(self) -> bool:
        return self.rate > 0 or self.extra

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        """Parse ``key=value`` parts; bare parts after ``kinds=`` continue the kind list.

        Raises ``ValueError`` naming the part that could not be understood.
        """
        if spec is None or not spec.strip():
            return cls()
        values: dict[str, Any] = {}
        kinds: list[str] = []
        current = None
        for raw in spec.split(","):
            part = raw.strip()
            if not part:
                raise ValueError(f"bad fault spec {spec!r}: empty part (two commas in a row?)")
            if "=" not in part:
                if current != "kinds":
                    raise ValueError(
                        f"bad fault spec part {part!r}: expected key=value "
                        "(keys: rate, kinds, seed, timeout_seconds, extra, max_consecutive, "
                        "retry_after)"
                    )
                kinds.append(_kind(part))
                continue
            key, _, value = part.partition("=")
            key, value = key.strip(), value.strip()
            current = key
            if key == "kinds":
                kinds.append(_kind(value))
            elif key == "rate":
                values["rate"] = _number(part, value, float, 0.0, 1.0)
            elif key == "seed":
                values["seed"] = _number(part, value, int, None, None)
            elif key in ("timeout_seconds", "timeout"):
                values["timeout_seconds"] = _number(part, value, float, 0.0, None)
            elif key == "max_consecutive":
                values["max_consecutive"] = _number(part, value, int, 0, None)
            elif key == "retry_after":
                values["retry_after"] = _number(part, value, int, 0, None)
            elif key == "extra":
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(f"bad fault spec part {part!r}: extra must be true or false")
                values["extra"] = value.lower() in ("true", "1", "yes")
            else:
                raise ValueError(f"bad fault spec part {part!r}: unknown key {key!r}")
        if kinds:
            values["kinds"] = tuple(dict.fromkeys(kinds))
        return cls(**values)


def _kind(text: str) -> str:
    kind = text.strip().lower()
    if kind in NAMED_KINDS:
        return kind
    if kind.isdigit() and len(kind) == 3 and kind[0] in "45":
        return kind
    raise ValueError(
        f"bad fault spec part {text!r}: a kind is an HTTP status 4xx/5xx or one of "
        + ", ".join(NAMED_KINDS)
    )


def _number(part: str, value: str, kind: type, low: float | None, high: float | None) -> Any:
    try:
        number = kind(value)
    except ValueError:
        raise ValueError(f"bad fault spec part {part!r}: {value!r} is not a number") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"bad fault spec part {part!r}: must be between {low} and {high}")
    return number


def signature(method: str, path: str, query: dict[str, list[str]], body: bytes) -> str:
    """What identifies "the same request" across retries: method, path, sorted query, body."""
    pairs = sorted((k, v) for k, values in query.items() for v in values)
    return json.dumps([method.upper(), path, pairs, body.decode("utf-8", "replace")])


@dataclass
class FaultPlan:
    """Decides faults per request; remembers attempts and failure runs per signature."""

    spec: FaultSpec
    _attempts: dict[str, tuple[int, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def raw(self, sig: str, attempt: int) -> str | None:
        """The fault the hash assigns to (signature, attempt), before the consecutive cap."""
        if self.spec.rate <= 0 or not self.spec.kinds:
            return None
        digest = hashlib.sha256(f"{self.spec.seed}\x1f{sig}\x1f{attempt}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        if draw >= self.spec.rate:
            return None
        return self.spec.kinds[int.from_bytes(digest[8:16], "big") % len(self.spec.kinds)]

    def next(self, sig: str) -> str | None:
        """The fault for the next attempt of ``sig`` (None: answer normally)."""
        with self._lock:
            attempt, run = self._attempts.get(sig, (0, 0))
            kind = self.raw(sig, attempt)
            failing = kind is not None and kind != "extra"
            if failing and run >= self.spec.max_consecutive:
                kind, failing = None, False
            self._attempts[sig] = (attempt + 1, run + 1 if failing else 0)
            return kind

    def reset(self) -> None:
        with self._lock:
            self._attempts.clear()


def add_extra_fields(value: Any, seed: int, *, top: bool = True) -> Any:
    """A copy of a JSON value with unknown fields added to the top object and to every record.

    Records are objects inside arrays; map-like objects (``tool_actions``) are left alone, as a
    vendor adding a field adds it to its records, not as a new map key of another shape.
    """
    if isinstance(value, dict):
        out = {k: add_extra_fields(v, seed, top=False) for k, v in value.items()}
        if top:
            out[f"sandbox_extra_{seed % 1000:03d}"] = "unknown field added by --faults extra"
            out["sandbox_extra_object"] = {"added_in": "a future API version", "count": 1}
        return out
    if isinstance(value, list):
        return [add_extra_fields(v, seed, top=True) for v in value]
    return value


def add_extra_fields_ndjson(body: bytes, seed: int) -> bytes:
    """``add_extra_fields`` for each line of an NDJSON body."""
    lines = []
    for line in body.splitlines():
        if line.strip():
            record = add_extra_fields(json.loads(line), seed)
            lines.append(json.dumps(record, separators=(",", ":")).encode())
    return b"".join(line + b"\n" for line in lines)
