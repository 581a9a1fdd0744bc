"""Credential values removed from any text before it is logged, raised or stored.

Vendors sometimes quote the credential they were sent in an error body ("invalid x-api-key
sk-ant-…"), and git or a database driver may repeat a URL with its password. :func:`redact`
replaces every configured credential — the API keys and token of :data:`CREDENTIAL_VARIABLES` and
the password of ``TOKENWORTH_WAREHOUSE_URL`` — in each form it travels in (as is, percent-encoded,
base64 as in HTTP Basic auth), so it can be applied to any message: errors, run summaries, Dagster
failure descriptions, git output. :class:`~orchestration.lib.http.HttpClient` also removes the
secrets it was given directly (its headers and Basic auth), configured or not.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

from orchestration.lib import settings

# Every environment variable that holds a credential (settings.py names them).
CREDENTIAL_VARIABLES = (
    settings.ANTHROPIC_ADMIN_API_KEY,
    settings.OPENAI_ADMIN_API_KEY,
    settings.CURSOR_ADMIN_API_KEY,
    settings.GITHUB_TOKEN,
)
REDACTED = "[redacted]"
# Shorter values are not treated as secrets: replacing "x" or "" everywhere would garble every
# message, and no vendor issues keys this short.
MIN_SECRET_LENGTH = 8


def secret_forms(secret: str) -> set[str]:
    """The forms ``secret`` travels in: as is, percent-encoded, and base64 — of itself and of
    ``secret:`` (HTTP Basic auth with the key as user name and an empty password, as Cursor's)."""
    if len(secret) < MIN_SECRET_LENGTH:
        return set()
    forms = {secret, quote(secret, safe="")}
    for raw in (secret, f"{secret}:"):
        forms.add(base64.b64encode(raw.encode()).decode())
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def redact_values(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every form of each of ``secrets`` replaced by ``[redacted]``."""
    forms: set[str] = set()
    for secret in secrets:
        forms |= secret_forms(secret)
    # Longest first: a form that contains another must go whole.
    for form in sorted(forms, key=len, reverse=True):
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def configured_secrets() -> list[str]:
    """The credential values set in the environment (read at each call: nothing is cached)."""
    secrets = [os.environ.get(name, "").strip() for name in CREDENTIAL_VARIABLES]
    url = os.environ.get(settings.TOKENWORTH_WAREHOUSE_URL, "")
    netloc = urlsplit(url).netloc if "://" in url else ""
    userinfo, at, _ = netloc.rpartition("@")
    if at and ":" in userinfo:
        password = userinfo.split(":", 1)[1]
        secrets += [password, unquote(password)]
    return [secret for secret in secrets if secret]


def redact(text: str) -> str:
    """``text`` without any configured credential (see the module docstring)."""
    return redact_values(text, configured_secrets())
