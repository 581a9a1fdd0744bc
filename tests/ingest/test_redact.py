"""The shared redaction: every configured credential, in every form it travels in."""

from __future__ import annotations

import base64

import pytest

from orchestration.lib import settings
from orchestration.lib.http import SourceError
from orchestration.lib.redact import CREDENTIAL_VARIABLES, redact

VALUES = {
    settings.ANTHROPIC_ADMIN_API_KEY: "sk-ant-admin01-Q2w3E4r5T6y7U8i9O0p1-AA",
    settings.OPENAI_ADMIN_API_KEY: "sk-admin-Zx9Cv8Bn7Mm6Ll5Kk4Jj3",
    settings.CURSOR_ADMIN_API_KEY: "key_0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d",
    settings.GITHUB_TOKEN: "ghp_Hh1Gg2Ff3Dd4Ss5Aa6Qq7Ww8Ee9Rr0Tt1Yy",
}
PASSWORD = "p@ss/w0rd!42"
WAREHOUSE_URL = "postgresql://tokenworth:p%40ss%2Fw0rd%2142@db.internal:5432/tokenworth"


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in VALUES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(settings.TOKENWORTH_WAREHOUSE_URL, WAREHOUSE_URL)


def test_every_credential_variable_of_settings_is_known() -> None:
    credentials = {
        value
        for name, value in vars(settings).items()
        if name.isupper() and isinstance(value, str) and value.endswith(("_API_KEY", "_TOKEN"))
    }
    assert credentials == set(CREDENTIAL_VARIABLES)


@pytest.mark.usefixtures("configured")
def test_redact_removes_every_configured_credential_in_every_form() -> None:
    cursor = VALUES[settings.CURSOR_ADMIN_API_KEY]
    basic = base64.b64encode(f"{cursor}:".encode()).decode()
    text = "\n".join(
        [
            *(f"{name} is {value}" for name, value in VALUES.items()),
            f"Authorization: Bearer {VALUES[settings.OPENAI_ADMIN_API_KEY]}",
            f"Authorization: Basic {basic}",
            f"fatal: could not connect to {WAREHOUSE_URL} (password {PASSWORD})",
        ]
    )
    out = redact(text)
    for secret in [*VALUES.values(), basic, PASSWORD, "p%40ss%2Fw0rd%2142"]:
        assert secret not in out
    assert out.count("[redacted]") == 8
    assert "postgresql://tokenworth:[redacted]@db.internal:5432/tokenworth" in out
    assert out.startswith(f"{settings.ANTHROPIC_ADMIN_API_KEY} is [redacted]")


@pytest.mark.usefixtures("configured")
def test_source_errors_carry_no_configured_credential() -> None:
    token = VALUES[settings.GITHUB_TOKEN]
    error = SourceError("GitHub", "graphql", f"GitHub graphql: token {token} is not valid")
    assert str(error) == "GitHub graphql: token [redacted] is not valid"


def test_short_or_unset_values_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(settings.GITHUB_TOKEN, "abc")
    monkeypatch.setenv(settings.TOKENWORTH_WAREHOUSE_URL, "duckdb:///tmp/w.duckdb")
    assert redact("abc: 3 rows, duckdb:///tmp/w.duckdb") == "abc: 3 rows, duckdb:///tmp/w.duckdb"
