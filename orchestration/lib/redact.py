"""Credentials never reach a message: :func:`redact` removes every configured secret from text.

The secrets are the values of the credential variables (and the password inside
``TOKENWORTH_WAREHOUSE_URL``), read when called, so a message built from any error — an HTTP
body that quotes the key, a dlt exception, git's stderr — is safe to log and to store.
"""

from __future__ import annotations

import base64
import os
from urllib.parse import unquote, urlsplit

CREDENTIAL_VARIABLES = (
    "ANTHROPIC_ADMIN_API_KEY",
    "OPENAI_ADMIN_API_KEY",
    "CURSOR_ADMIN_API_KEY",
    "GITHUB_TOKEN",
)
MASK = "***"
# Shorter values would mask ordinary words; no real credential is this short.
_MIN_SECRET_LENGTH = 8


def known_secrets() -> list[str]:
    """Every configured secret and its common encodings, longest first."""
    values = [os.environ.get(name, "").strip() for name in CREDENTIAL_VARIABLES]
    url = os.environ.get("TOKENWORTH_WAREHOUSE_URL", "").strip()
    if url and "://" in url:
        password = urlsplit(url).password
        if password:
            values += [password, unquote(password)]
    secrets: set[str] = set()
    for value in values:
        if len(value) < _MIN_SECRET_LENGTH:
            continue
        secrets.add(value)
        for user in ("x-access-token", value):  # git's and Cursor's Basic forms
            pair = f"{user}:{value}" if user != value else f"{value}:"
            secrets.add(base64.b64encode(pair.encode()).decode())
    return sorted(secrets, key=len, reverse=True)


def redact(text: str, extra: tuple[str, ...] = ()) -> str:
    """``text`` with every known secret (and each of ``extra``) replaced by ``***``."""
    for secret in (*extra, *known_secrets()):
        if secret and len(secret) >= _MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    return text
