"""The demo's summary reads the marts and adds up; its quiet mode keeps tool noise in a log."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.demo import print_summary
from tests.warehouse.fixtures import REPO_ROOT, Warehouse


def test_summary_prints_every_platform_and_classes_add_up(
    built_warehouse: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = built_warehouse
    print_summary(warehouse.path)
    out = capsys.readouterr().out
    platforms = {
        row[0] for row in warehouse.query("select distinct platform from core.fct_ai_sessions")
    }
    for platform in platforms:
        assert f"\n{platform} " in out
    # A platform that reports no cache data (Copilot) shows "—", never 0 %, as the mart does.
    no_cache = {
        row[0]
        for row in warehouse.query(
            "select platform from marts.mart_platform_efficiency group by platform "
            "having count(cache_hit_rate) = 0"
        )
    }
    assert no_cache == {"copilot"}
    lines = {line.split()[0]: line for line in out.splitlines() if line.split()}
    for platform in platforms:
        assert lines[platform].endswith("—") == (platform in no_cache), lines[platform]
    usage = warehouse.query("select sum(cost_usd) from core.fct_ai_sessions")[0][0]
    by_class = out.split("spend by class: ", 1)[1].splitlines()[0]
    dollars = [
        Decimal(part.split("$", 1)[1].split(" ", 1)[0].replace(",", ""))
        for part in by_class.split(", ")
    ]
    assert abs(sum(dollars) - Decimal(str(usage))) <= Decimal("0.03")  # six values rounded to cents


def test_quiet_mode_sends_noise_to_the_log_and_progress_to_the_terminal(tmp_path: Path) -> None:
    # A child process, so its stdout and stderr are real file descriptors as in `tokenworth demo`.
    log = tmp_path / "demo.log"
    script = f"""
import subprocess, sys
from pathlib import Path
from orchestration.console import output_to as _output_to
with _output_to(Path({str(log)!r})) as terminal:
    sys.stdout.write("dagster says a lot\\n")
    sys.stderr.write("so does dbt\\n")
    subprocess.run([sys.executable, "-c", "print('a dbt subprocess line')"], check=True)
    terminal.write("      ok     tokenworth_dbt (12s)\\n")
sys.stdout.write("after the run\\n")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    assert done.stdout == "      ok     tokenworth_dbt (12s)\nafter the run\n"
    assert done.stderr == ""
    assert log.read_text().splitlines() == [
        "dagster says a lot",
        "so does dbt",
        "a dbt subprocess line",
    ]
