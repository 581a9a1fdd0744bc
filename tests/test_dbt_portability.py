"""The models' SQL stays portable to Snowflake, BigQuery and Databricks (sqlglot).

Those warehouses cannot run here; two cheap checks stand in:

* every model compiled on the default DuckDB target (an empty warehouse: ``optional_source``
  stands in typed empty relations, the rest of each model is what runs) parses in each dialect —
  a bare ``union``, which BigQuery rejects, fails here;
* the SQL written in each model itself (its Jinja calls removed: what dispatched macros emit
  per adapter is theirs to get right) holds no DuckDB-only syntax: ``::`` casts, ``//``, lambdas
  and JSON arrows (``->``, ``->>``), ``{…}`` struct literals, ``* exclude``/``* replace``, and
  no DuckDB-only function from a short list.

Failures name the model and the dialect (or the syntax). sqlglot reads an unknown function as a
plain call, so a function another engine lacks is only caught when listed; the Spark build
(tests/spark) runs the Databricks dialect for real.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from orchestration.defs.transform.project import dbt_executable

REPO_ROOT = Path(__file__).resolve().parents[1]
DIALECTS = ("snowflake", "bigquery", "databricks")
# DuckDB functions none of the three has (each has a portable spelling or a dispatched macro).
DUCKDB_ONLY_FUNCTIONS = frozenset(
    {
        "list_value",
        "list_transform",
        "list_filter",
        "list_aggregate",
        "string_split",
        "struct_pack",
        "epoch",
        "epoch_ms",
        "json_extract_string",
        "strptime",
        "timezone",
    }
)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


@pytest.fixture(scope="module")
def compiled_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``dbt compile`` on an empty DuckDB file: model name -> compiled SQL."""
    work = tmp_path_factory.mktemp("dbt_portability")
    done = subprocess.run(
        [
            *(dbt_executable(), "compile", "--quiet", "--project-dir", str(REPO_ROOT)),
            *("--profiles-dir", str(REPO_ROOT / "dbt_project")),
            *("--target-path", str(work / "target"), "--log-path", str(work / "logs")),
        ],
        env={
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "TOKENWORTH_DBT_TARGET": "duckdb",
            "TOKENWORTH_DUCKDB_PATH": str(work / "empty.duckdb"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    manifest: dict[str, Any] = json.loads((work / "target" / "manifest.json").read_text())
    return {
        node["name"]: node["compiled_code"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def duckdb_only_syntax(models: dict[str, str]) -> list[str]:
    """One line per model whose own SQL (Jinja calls replaced by a placeholder) uses DuckDB-only
    syntax, naming it."""
    import sqlglot
    from sqlglot.tokens import TokenType

    syntax = {
        TokenType.DCOLON: "'::' cast (use cast(… as …))",
        TokenType.DIV: None,  # '/' is portable; DuckDB's '//' integer division is not
        TokenType.ARROW: "'->' lambda or JSON arrow",
        TokenType.DARROW: "'->>' JSON arrow (use json_extract_text)",
        TokenType.L_BRACE: "'{…}' struct literal",
    }
    failures = []
    for name, raw in sorted(models.items()):
        sql = _JINJA.sub(" jinja_call ", raw)
        found: set[str] = set()
        tokens = sqlglot.tokenize(sql, read="duckdb")
        for previous, token in zip([None, *tokens], tokens, strict=False):
            if token.token_type == TokenType.DIV and token.text == "//":
                found.add("'//' integer division")
            elif syntax.get(token.token_type):
                found.add(str(syntax[token.token_type]))
            elif (
                previous is not None
                and previous.token_type == TokenType.STAR
                and token.text.lower() in ("exclude", "replace")
            ):
                found.add(f"'* {token.text.lower()}'")
            elif token.token_type == TokenType.VAR and token.text.lower() in DUCKDB_ONLY_FUNCTIONS:
                found.add(f"DuckDB-only function {token.text.lower()}()")
        failures += [f"{name}: {what}" for what in sorted(found)]
    return failures


@pytest.fixture(scope="module")
def model_sources() -> dict[str, str]:
    """Model name -> the SQL file as written (Jinja and all)."""
    return {
        path.stem: path.read_text()
        for path in (REPO_ROOT / "dbt_project" / "models").rglob("*.sql")
    }


def unportable(models: dict[str, str]) -> list[str]:
    """One line per model and dialect whose SQL sqlglot cannot parse."""
    import sqlglot

    failures = []
    for name, sql in sorted(models.items()):
        for dialect in DIALECTS:
            try:
                sqlglot.parse(sql, read=dialect)
            except sqlglot.errors.ParseError as error:
                failures.append(f"{name} ({dialect}): {str(error).splitlines()[0][:200]}")
    return failures


def test_every_model_parses_in_other_warehouses_dialects(compiled_models: dict[str, str]) -> None:
    assert len(compiled_models) > 50
    failures = unportable(compiled_models)
    assert not failures, (
        "DuckDB-only SQL in a model: move it into a dispatched macro with a portable default__\n"
        + "\n".join(failures)
    )


def test_no_duckdb_only_syntax_outside_dispatched_macros(
    compiled_models: dict[str, str], model_sources: dict[str, str]
) -> None:
    assert set(model_sources) == set(compiled_models)
    failures = duckdb_only_syntax(model_sources)
    assert not failures, (
        "DuckDB-only syntax in a model: use portable SQL or a dispatched macro\n"
        + "\n".join(failures)
    )


def test_the_checks_name_the_model_and_what_is_not_portable() -> None:
    """Each check fails on what it is for, naming the model (and the dialect), and passes
    portable SQL; Jinja calls (dispatched macros) are not the model's own SQL."""
    assert unportable({"bare_union": "select 1 as a union select 2 as a"}) == [
        "bare_union (bigquery): Expected DISTINCT or ALL for Union. Line 1, Col: 26."
    ]
    assert unportable({"struct": "select {'a': 1} as s"})[0].startswith("struct (databricks)")
    found = duckdb_only_syntax(
        {
            "casts": "select a::int as a from t",
            "star_exclude": "select * exclude (a) from t",
            "lambda": "select list_transform(xs, x -> x + 1) as ys from t",
            "int_div": "select 7 // 2 as n",
            "in_macro": "select {{ dbt.datediff('a', 'b', 'day') }} as d, '::' as s from t",
            "portable": "select a, count(*) as n, cast(b as date) as b from t group by a, b",
        }
    )
    assert found == [
        "casts: '::' cast (use cast(… as …))",
        "int_div: '//' integer division",
        "lambda: '->' lambda or JSON arrow",
        "lambda: DuckDB-only function list_transform()",
        "star_exclude: '* exclude'",
    ]
