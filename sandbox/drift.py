"""Schema drift by omission: answers without the fields the vendors document as optional.

``SandboxServer(world, drop_optional_fields=True)`` removes these fields from every JSON record
it serves (at any depth), as an older API version or a sparse account would. The pipeline must
load such answers unchanged otherwise: the columns stay (typed, all null) and nothing fails.
Required fields are never dropped here; a missing required field is a clear error, tested
record by record in ``tests/ingest/test_sources_unit.py``.
"""

from __future__ import annotations

from typing import Any

# Documented as optional or nullable by the vendors (reference/vendor-apis.md) and declared as
# optional columns by the sources. Fields the metrics read (tokens, cents, plan types) are not
# here: leaving them out changes the numbers, which is not drift but missing data.
OPTIONAL_FIELDS = frozenset(
    {
        # Anthropic Messages usage report dimensions
        "service_account_id",
        "context_window",
        "inference_geo",
        # OpenAI completions usage
        "service_tier",
        # Cursor daily usage and usage events
        "mostUsedModel",
        "applyMostUsedExtension",
        "tabMostUsedExtension",
        "clientVersion",
        "cursorTokenFee",
        # Copilot seats
        "pending_cancellation_date",
        "last_activity_editor",
        "last_activity_at",
        "assigning_team",
    }
)


def drop_optional_fields(value: Any) -> Any:
    """A copy of a JSON value without any key named in :data:`OPTIONAL_FIELDS`."""
    if isinstance(value, dict):
        return {k: drop_optional_fields(v) for k, v in value.items() if k not in OPTIONAL_FIELDS}
    if isinstance(value, list):
        return [drop_optional_fields(v) for v in value]
    return value
