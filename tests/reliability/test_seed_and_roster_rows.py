"""Malformed configuration rows are caught and named: price seeds, rules and the roster.

The seeds are edited by hand (new prices, new rules), so a bad row must fail dbt's tests with
the row named in dbt's output — not only "Got 1 result" — and stop the models downstream of it.
The roster is read by the ingest step, which names file, row and column.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.defs.ingest.people.roster import RosterError, read_roster
from tests.warehouse.fixtures import REPO_ROOT, dbt_runner

# (seed file, the line to find, what it becomes, what dbt's output must then say).
BROKEN_ROWS = [
    (
        "model_prices.csv",
        "anthropic,claude-opus-5,2026-07-24,,5.00,",
        "anthropic,claude-opus-5,2026-07-24,,-5.00,",
        "Invalid row in seed model_prices: vendor=anthropic, model=claude-opus-5, "
        "effective_from=2026-07-24: input_usd_per_mtok is negative: -5",
    ),
    (
        # A new price that starts before the previous one ends: two prices for one day.
        "model_prices.csv",
        "anthropic,claude-sonnet-5-5,2026-10-07,,",
        "anthropic,claude-sonnet-5-5,2026-10-01,,",
        "Invalid row in seed model_prices: vendor=anthropic, model=claude-sonnet-5-5, "
        "effective_from=2026-01-01: its range overlaps the row with effective_from = 2026-10-01",
    ),
    (
        "model_prices.csv",
        "openai,gpt-5.4,2026-03-01,,",
        "openai,gpt-5.4,2026-03-01,2026-02-01,",
        "Invalid row in seed model_prices: vendor=openai, model=gpt-5.4, "
        "effective_from=2026-03-01: effective_to is not after effective_from",
    ),
    (
        "seat_prices.csv",
        "cursor,teams,40.00,",
        "cursor,teams,,",
        "Invalid row in seed seat_prices: platform=cursor, plan=teams, "
        "effective_from=2024-01-01: usd_per_seat_month is empty",
    ),
    (
        "unit_prices.csv",
        "copilot,credits,0.01,",
        "copilot,credit,0.01,",
        "Invalid row in seed unit_prices: platform=copilot, unit_type=credit, "
        "effective_from=2024-01-01: unit_type = credit is not one of credits, premium_requests",
    ),
    (
        "work_type_rules.csv",
        "title_prefix,docs,docs,10,",
        "title_prefix,docs,documentation,10,",
        "Invalid row in seed work_type_rules: rule_source=title_prefix, pattern=docs: "
        "work_type = documentation is not one of feat, fix, refactor, docs, test, chore, ci, "
        "perf, build",
    ),
    (
        "generated_file_patterns.csv",
        "package-lock.json,npm lock file",
        "package-lock.json,npm lock file\npackage-lock.json,again",
        "Invalid row in seed generated_file_patterns: pattern=package-lock.json: "
        "this key occurs 2 times",
    ),
]
SEEDS = sorted({seed.removesuffix(".csv") for seed, *_ in BROKEN_ROWS})


@pytest.fixture(scope="module")
def broken_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with every broken seed row of BROKEN_ROWS."""
    work = tmp_path_factory.mktemp("broken_seeds")
    project = work / "project"
    project.mkdir()
    shutil.copy(REPO_ROOT / "dbt_project.yml", project)
    shutil.copytree(REPO_ROOT / "dbt_project", project / "dbt_project")
    for seed, line, broken, _ in BROKEN_ROWS:
        path = project / "dbt_project" / "seeds" / seed
        text = path.read_text()
        assert text.count(line) == 1, f"{seed} no longer has exactly one line {line!r}"
        path.write_text(text.replace(line, broken))
    return project


@pytest.fixture(scope="module")
def broken_build(broken_project: Path) -> subprocess.CompletedProcess[str]:
    """``dbt build --select <seed>+`` for every broken seed, on the broken copy."""
    work = broken_project.parent
    dbt = dbt_runner(work / "empty.duckdb", work, project_dir=broken_project)
    return dbt("build", "--select", *(f"{seed}+" for seed in SEEDS))


@pytest.mark.parametrize(
    "message", [row[3] for row in BROKEN_ROWS], ids=[row[2][:30] for row in BROKEN_ROWS]
)
def test_broken_seed_row_is_named_in_dbt_output(
    broken_build: subprocess.CompletedProcess[str], message: str
) -> None:
    assert broken_build.returncode != 0
    assert message in broken_build.stdout, broken_build.stdout[-6000:]


def test_broken_seed_fails_its_test_and_stops_downstream_models(
    broken_build: subprocess.CompletedProcess[str],
) -> None:
    out = broken_build.stdout
    for seed in SEEDS:
        failures = sum(1 for row in BROKEN_ROWS if row[0] == f"{seed}.csv")
        assert f"FAIL {failures} valid_seed_rows_{seed} " in out, out[-6000:]
    # Nothing priced or classified from a broken seed is published: every model after the
    # seeds is skipped, none is created.
    assert "SKIP relation core.fct_ai_usage" in out
    assert "SKIP relation intermediate.int_pull_requests_work_typed" in out
    assert "OK created" not in out


def test_a_failed_build_names_the_failing_test_and_its_first_rows(
    broken_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run summary of a failed build (what `tokenworth run` prints) names each failing
    test with its failing rows, read from the warehouse — not only "dbt exit code 1"."""
    from dagster_dbt import DbtCliResource

    from orchestration.defs.transform.assets import failed_build_summary
    from orchestration.lib.warehouse import parse_warehouse_url

    warehouse = parse_warehouse_url(f"duckdb:///{tmp_path / 'broken.duckdb'}")
    for name, value in warehouse.dbt_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    dbt = DbtCliResource(
        project_dir=str(broken_project),
        profiles_dir=str(broken_project / "dbt_project"),
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
    )
    invocation = dbt.cli(["build", "--select", "seat_prices+"], raise_on_error=False).wait()
    assert not invocation.is_successful()

    summary = failed_build_summary(invocation, warehouse)

    lines = summary.splitlines()
    assert lines[0].startswith("dbt build failed: 1 node(s) failed, "), summary
    assert int(lines[0].split(", ")[1].split()[0]) > 0, summary  # models skipped after it
    assert lines[1] == "- test valid_seed_rows_seat_prices: 1 failing row(s)", summary
    # The failing row itself, as the test's query returns it.
    assert "usd_per_seat_month is empty" in lines[2] and "cursor" in lines[2], summary


ROSTER_HEADER = "person_id,name,team,emails,github_logins\n"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("p1,Ada,core,ada@x.io,ada\n,Bob,core,bob@x.io,bob\n", "row 3: person_id is empty"),
        (
            "p1,Ada,core,ada@x.io,ada\np1,Bob,core,bob@x.io,bob\n",
            "row 3: person_id 'p1' repeats row 2",
        ),
        ("p1,Ada,core,,\n", "row 2: person 'p1' has neither emails nor github_logins"),
        (
            "p1,Ada,core,ada@x.io,ada\np2,Bob,core,bob@x.io;ADA@x.io,bob\n",
            "row 3: email 'ADA@x.io' of 'p2' is also on row 2 ('p1'); an address belongs to one "
            "person",
        ),
        (
            "p1,Ada,core,ada at x.io,ada\n",
            "row 2: emails holds 'ada at x.io', which is not an email address (separate several "
            "with ';')",
        ),
    ],
)
def test_malformed_roster_row_names_file_row_and_column(
    tmp_path: Path, rows: str, expected: str
) -> None:
    roster = tmp_path / "people.csv"
    roster.write_text(ROSTER_HEADER + rows)
    with pytest.raises(RosterError) as error:
        read_roster(roster)
    assert str(error.value) == f"{roster}, {expected}"


def test_a_roster_saved_by_excel_with_a_byte_order_mark_reads(tmp_path: Path) -> None:
    roster = tmp_path / "people.csv"
    roster.write_bytes("\ufeff".encode() + (ROSTER_HEADER + "p1,Zoë,core,zoe@x.io,zoe\n").encode())
    assert read_roster(roster) == [
        {"person_id": "p1", "name": "Zoë", "team": "core", "emails": "zoe@x.io",
         "github_logins": "zoe"}
    ]  # fmt: skip


def test_a_latin_1_roster_names_the_row_and_says_to_save_it_as_utf_8(tmp_path: Path) -> None:
    roster = tmp_path / "people.csv"
    roster.write_bytes(
        (ROSTER_HEADER + "p1,Ada,core,ada@x.io,ada\np2,Zoë,core,z@x.io,z\n").encode("latin-1")
    )
    with pytest.raises(RosterError) as error:
        read_roster(roster)
    assert str(error.value) == (
        f"{roster}, row 3: not UTF-8 (byte 0xeb); save the file as UTF-8 (TOKENWORTH_PEOPLE_FILE)"
    )


def test_roster_without_a_required_column_names_it(tmp_path: Path) -> None:
    roster = tmp_path / "people.csv"
    roster.write_text("person_id,name,emails\np1,Ada,ada@x.io\n")
    with pytest.raises(RosterError, match=r"missing column\(s\) team, github_logins"):
        read_roster(roster)
