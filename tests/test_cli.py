"""The command line says what it is and what each option defaults to."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest

from orchestration.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"tokenworth {version('tokenworth')}"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["run"], ["--start START", "(default: the --start day)", "--verbose"]),
        (["demo"], ["(default: demo)", "(default: 7)"]),
        (["bench"], ["(default: large)", "(default: 120)", "(default: 7)"]),
        (["sandbox", "serve"], ["(default: tiny)", "(default: 127.0.0.1)", "--messy"]),
        (["report"], ["--out"]),
    ],
)
def test_every_subcommand_help_lists_its_options_with_defaults(
    capsys: pytest.CaptureFixture[str], command: list[str], expected: list[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    text = re.sub(r"\s+", " ", capsys.readouterr().out)
    for fragment in expected:
        assert fragment in text, fragment
    # No option says "(default: None)": an option without a default says what happens instead.
    assert "(default: None)" not in text


def test_the_run_exit_codes_are_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = re.sub(r"\s+", " ", capsys.readouterr().out)
    assert "0 everything loaded and built; 1 some input failed (or a vendor's answer" in text
    assert "was held back from the raw archive)" in text
    assert "3 the warehouse build failed" in text
