"""OTLP's JSON encoding (opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding), read from
``json.loads`` output: attribute lists, ``AnyValue``, nanosecond times.

The encoding is protobuf's JSON mapping with OTLP's own rules: lowerCamelCase keys, 64-bit integers
as JSON strings *or* numbers, doubles possibly ``"NaN"``/``"Infinity"``, enums as numbers. Agents
also send numbers as ``stringValue`` (some Claude Code versions do for token counts): the typed
accessors below take every form, and say which attribute was malformed when one cannot be read.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

Attributes = dict[str, Any]


def any_value(value: dict[str, Any] | None) -> Any:
    """An ``AnyValue`` as Python: str, bool, int, float, list, dict (bytes stay base64 text)."""
    if not value:
        return None
    for key, item in value.items():
        if key == "stringValue" or key == "boolValue":
            return item
        if key == "intValue":
            return int(item)
        if key == "doubleValue":
            return float(item)
        if key == "arrayValue":
            return [any_value(v) for v in (item or {}).get("values") or []]
        if key == "kvlistValue":
            return attributes((item or {}).get("values"))
        if key == "bytesValue":
            return item
    return None


def attributes(items: list[dict[str, Any]] | None) -> Attributes:
    """A ``KeyValue`` list as a dict (a repeated key: the last wins, as OTLP SDKs do)."""
    return {kv["key"]: any_value(kv.get("value")) for kv in items or () if "key" in kv}


def nanos_to_datetime(value: Any) -> datetime | None:
    """``timeUnixNano`` (a string or number of nanoseconds; 0 means unset) as UTC, to the µs."""
    if value in (None, "", 0, "0"):
        return None
    nanos = int(value)
    return datetime.fromtimestamp(nanos // 1000 / 1_000_000, UTC)


def as_int(attrs: Attributes, key: str) -> int | None:
    """An integer attribute sent as ``intValue``, ``doubleValue`` or ``stringValue``.

    Raises:
        ValueError: the value is not a whole number (names the attribute).
    """
    value = attrs.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"attribute {key!r} is {value!r}, not a number")
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"attribute {key!r} is {value!r}, not a number") from None
    if not math.isfinite(number) or number != int(number):
        raise ValueError(f"attribute {key!r} is {value!r}, not a whole number")
    return int(number)


def as_decimal(attrs: Attributes, key: str) -> Decimal | None:
    """A money attribute as an exact decimal of the value as sent (``0.0741915`` stays that,
    not the nearest binary double's 17 digits)."""
    value = attrs.get(key)
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        raise ValueError(f"attribute {key!r} is {value!r}, not a number") from None
    if not number.is_finite():
        return None
    return number


def as_bool(attrs: Attributes, key: str) -> bool | None:
    value = attrs.get(key)
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(f"attribute {key!r} is {value!r}, not true or false")


def as_text(attrs: Attributes, key: str) -> str | None:
    value = attrs.get(key)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def as_timestamp(attrs: Attributes, key: str) -> datetime | None:
    """An ISO 8601 attribute (``event.timestamp``) as UTC; None when absent or unreadable."""
    value = attrs.get(key)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
