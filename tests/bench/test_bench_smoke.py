"""``tokenworth bench`` must not rot: a fast run on the tiny profile, and the figures' targets.

The smoke run covers the steps that finish in seconds on the tiny profile (GitHub requests,
extract-and-load, durability) through the real command: child processes, the sandbox server
process, peak RSS and the JSON. The dbt, nightly and demo steps take minutes even on tiny; their
figures are checked from recorded step results instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.bench.runner import Bench, _code_hash, _figures

SOURCES = ("anthropic", "openai", "cursor", "copilot", "github", "cursor_usage_events")


def test_bench_smoke_on_tiny(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    code = _code_hash()
    env = {
        **os.environ,
        "TOKENWORTH_HOME": str(tmp_path / "home"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    tokenworth = Path(sys.executable).parent / "tokenworth"
    done = subprocess.run(
        [str(tokenworth), "bench", "--profile", "tiny", "--days", "3", "--load-days", "2",
         "--repeats", "1", "--steps", "github,load,durability", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())

    assert report["profile"] == "tiny" and report["days"] == 3
    machine = report["machine"]
    assert machine["cpus"] >= 1 and machine["ram_gib"] > 0
    assert machine["python"].startswith("3.") and machine["versions"]["duckdb"]
    assert report["failed_steps"] == []

    figures = {f["name"]: f for f in report["figures"]}
    names = list(figures)
    assert any(n.startswith("GitHub requests per 1,000 PRs (backfill") for n in names), names
    for source in SOURCES:
        assert f"load {source}: throughput" in figures, names
        assert any(n.startswith(f"load {source}: load ÷ fetch-and-parse") for n in names), names
    assert any(n.startswith("durability: blames, baseline ÷ shared") for n in names), names
    for step in ("github", "load", "durability"):
        assert figures[f"peak RSS: {step}"]["ok"] is True, figures[f"peak RSS: {step}"]
    for step in ("world", "sandbox_server"):
        assert f"peak RSS: {step} (sandbox, not the pipeline)" in figures, names
    for figure in figures.values():
        assert figure["value"] > 0, figure
        if figure["target"]:
            assert isinstance(figure["ok"], bool), figure
    # The table printed the same figures.
    assert "GitHub requests per 1,000 PRs" in done.stdout and "peak RSS: load" in done.stdout

    # Loading is never faster than only fetching the same pages.
    load = report["step_results"]["load"]["result"]
    for source in SOURCES:
        assert load[source]["rows"] > 0 and load[source]["ratio"] > 1, (source, load[source])

    # A second run reuses the pickled world instead of generating it again.
    again = subprocess.run(
        [str(tokenworth), "bench", "--profile", "tiny", "--days", "3",
         "--steps", "durability", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    if _code_hash() == code:  # (an edit of sandbox/ in between rightly regenerates it)
        assert json.loads(out.read_text())["step_results"]["world"]["result"]["cached"] is True


def test_bench_rejects_unknown_steps(tmp_path: Path) -> None:
    tokenworth = Path(sys.executable).parent / "tokenworth"
    done = subprocess.run(
        [str(tokenworth), "bench", "--steps", "github,warp"],
        env={**os.environ, "TOKENWORTH_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown: warp" in done.stderr
    too_long = subprocess.run(
        [str(tokenworth), "bench", "--profile", "tiny", "--days", "11"],
        env={**os.environ, "TOKENWORTH_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert too_long.returncode == 2
    assert "--days 11 is more than the tiny profile's 10 days" in too_long.stderr


def test_nightly_and_dbt_figures_against_their_targets(tmp_path: Path) -> None:
    """The ratios the dbt, nightly and demo steps produce, from recorded step results."""
    bench = Bench(profile="large", days=120, steps=("dbt", "nightly", "demo"),
                  out=tmp_path / "b.json", work=tmp_path)  # fmt: skip
    bench.results = {
        "dbt_full": {"seconds": 400.0, "cpu_seconds": 500.0, "peak_rss_mib": 900,
                     "result": {"seconds": 380.0, "dbt_elapsed_seconds": 360.0}},
        "nightly_full": {"seconds": 50.0, "cpu_seconds": 40.0, "peak_rss_mib": 2100,
                         "result": {"seconds": 45.6, "dbt_elapsed_seconds": 18.0}},
        "nightly_short": {"seconds": 40.0, "cpu_seconds": 25.0, "peak_rss_mib": 700,
                          "result": {"seconds": 38.0}},
        "demo": {"seconds": 200.0, "peak_rss_mib": 800,
                 "result": {"seconds": 199.0, "profile": "demo"}},
    }  # fmt: skip
    _figures(bench)
    got = {f.name: (f.value, f.ok) for f in bench.figures}
    assert got["full dbt build, 120 days of history"] == (380.0, None)
    assert got["nightly 120 ÷ 30 days of history"] == (1.2, True)  # 45.6 / 38.0
    assert got["nightly ÷ full dbt build"] == (0.12, False)  # 45.6 / 380 > 10%
    # The transform alone, by dbt's own elapsed time.
    assert got["nightly's dbt build (dbt's elapsed time)"] == (18.0, None)
    assert got["nightly's dbt build ÷ full dbt build (dbt's elapsed time)"] == (0.05, None)
    # The same in CPU seconds of the step processes, without targets.
    assert got["CPU: full dbt build, 120 days of history"] == (500.0, None)
    assert got["CPU: nightly run (one day), 30 days of history"] == (25.0, None)
    assert got["CPU: nightly 120 ÷ 30 days"] == (1.6, None)  # 40 / 25
    assert got["CPU: nightly ÷ full dbt build"] == (0.08, None)  # 40 / 500
    assert got["tokenworth demo --profile demo end to end"] == (199.0, None)
    assert got["peak RSS: nightly_full"] == (2100, False)  # above 2 GiB
    assert got["peak RSS: dbt_full"] == (900, True)
