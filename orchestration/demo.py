"""``tokenworth demo``: the whole nightly pipeline on the sandbox, then a summary from the marts.

It starts the sandbox on a free port, points every variable at it, runs every asset over the
sandbox's days (and the quiet days after them, so 7- and 30-day durability horizons can pass, up
to yesterday), writes the HTML report and prints per-platform spend, outcomes and caching, and
spend by class — read from the warehouse (the marts, and the session tokens behind the cache hit
rate), never from the sandbox.

The terminal shows one line per finished step with its time; Dagster's and dbt's own logs go to
``$TOKENWORTH_HOME/logs/demo-<time>.log``.
"""

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from orchestration import console
from orchestration.console import with_progress
from orchestration.run import run_partitions

# Quiet days after the simulated ones: enough for the 30-day durability horizon.
QUIET_DAYS = 35


def run_demo(profile: str, home: Path, seed: int) -> int:
    from sandbox.cli import prepare
    from sandbox.gitrepos import clone_url_template
    from sandbox.server import SandboxServer

    home = home.resolve()
    out = home / "sandbox" / profile
    log_path = console.log_path(home, "demo")
    started = time.monotonic()
    print(f"[1/4] generating the {profile} sandbox in {out} …", flush=True)
    world = prepare(profile, seed, out)
    print(
        f"      {len(world.people)} people, {len(world.sessions)} AI sessions, "
        f"{sum(len(r.pull_requests) for r in world.repositories)} pull requests "
        f"({time.monotonic() - started:.0f}s)",
        flush=True,
    )
    server = SandboxServer(world).start()
    try:
        os.environ.update(server.environment(clone_url_template(out)))
        os.environ["TOKENWORTH_PEOPLE_FILE"] = str(out / "people.csv")
        os.environ["TOKENWORTH_OTEL_PATH"] = str(out / "otel")
        os.environ["TOKENWORTH_HOME"] = str(home)
        os.environ.pop("TOKENWORTH_WAREHOUSE_URL", None)  # the demo writes its own DuckDB file
        os.environ.setdefault("TOKENWORTH_START_DATE", world.start.isoformat())
        os.environ.setdefault("DAGSTER_HOME", str(home / "dagster"))
        Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        last = min(world.end + timedelta(days=QUIET_DAYS - 1), yesterday)
        print(
            f"[2/4] running every asset for {world.start}..{last} (extract, git, dbt); "
            f"logs in {log_path}",
            flush=True,
        )
        step = time.monotonic()
        summary = with_progress(
            lambda _: run_partitions(world.start, last), log_path, indent="      "
        )
        print(
            f"      {len(set(summary.materialized))} assets materialised "
            f"({time.monotonic() - step:.0f}s)",
            flush=True,
        )
        for name, message in sorted(summary.failures.items()):
            print(f"      FAILED {name}: {message}", flush=True)
    finally:
        server.stop()
    warehouse = home / "warehouse.duckdb"
    print("[3/4] writing the HTML report …", flush=True)
    report = _write_report(home / "report.html", warehouse)
    print(f"[4/4] summary from the marts in {warehouse}\n", flush=True)
    print_summary(warehouse)
    print(
        f"\nDone in {time.monotonic() - started:.0f}s.\n"
        + (f"  Report (open in a browser):  file://{report}\n" if report else "")
        + f"  Dagster UI on the same warehouse:  TOKENWORTH_HOME={home} "
        f"TOKENWORTH_START_DATE={world.start} DAGSTER_HOME={os.environ['DAGSTER_HOME']} "
        "make dev\n"
        f'  SQL from Python:  .venv/bin/python -c "import duckdb; print(duckdb.connect('
        f"'{warehouse}', read_only=True).sql('select * from marts.mart_platform_efficiency'))\"\n"
        f"  Rebuild the report later:  TOKENWORTH_HOME={home} .venv/bin/tokenworth report"
    )
    return 0 if summary.success and report else 1


def _write_report(out: Path, warehouse: Path) -> Path | None:
    from orchestration.report import ReportDataError, write_report

    try:
        path = write_report(out, f"duckdb:///{warehouse}")
    except ReportDataError as error:
        print(f"      report not written: {error}", flush=True)
        return None
    print(f"      {path} ({path.stat().st_size / 1024:.0f} KiB, works offline)", flush=True)
    return path


def print_summary(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            """
            with efficiency as (
                select
                    platform,
                    sum(total_spend_usd) as spend,
                    sum(usage_spend_usd) as usage_spend,
                    sum(seat_cost_usd) as seats,
                    sum(accepted_outcomes) as accepted,
                    sum(durable_outcomes) as durable,
                    -- null in every month: the platform reports no cache data ("—", not 0 %)
                    count(cache_hit_rate) > 0 as reports_cache
                from marts.mart_platform_efficiency
                group by platform
            ),
            caching as (
                select
                    platform,
                    sum(cache_read_tokens) * 1.0 / nullif(
                        sum(cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens
                            + input_tokens), 0) as hit_rate
                from core.fct_ai_sessions
                group by platform
            )
            select e.platform, e.spend, e.usage_spend, e.seats, e.accepted,
                   e.spend / nullif(e.accepted, 0), e.durable / nullif(e.accepted, 0),
                   case when e.reports_cache then c.hit_rate end
            from efficiency as e
            left join caching as c on c.platform = e.platform
            order by e.spend desc
            """
        ).fetchall()
        print(
            f"{'platform':<15}{'spend $':>11}{'usage $':>11}{'seats $':>10}{'accepted':>10}"
            f"{'$/accepted':>12}{'durable':>9}{'cache hit':>11}"
        )
        for platform, spend, usage, seats, accepted, per, durable, hit in rows:
            print(
                f"{platform:<15}{_num(spend):>11}{_num(usage):>11}{_num(seats):>10}"
                f"{_num(accepted, 1):>10}{_num(per):>12}{_pct(durable):>9}{_pct(hit):>11}"
            )
        classes = con.execute(
            """
            select sum(productive_usd), sum(exploratory_usd), sum(retry_usd),
                   sum(abandoned_usd), sum(rework_usd), sum(pending_usd), sum(total_spend_usd)
            from marts.mart_spend_classification
            """
        ).fetchone()
    names = ("productive", "exploratory", "retry", "abandoned", "rework", "pending")
    total = classes[-1] or 0
    print(
        "\nspend by class: "
        + ", ".join(
            f"{name} ${_num(value)} ({_pct(value / total if total else None)})"
            for name, value in zip(names, classes[:-1], strict=True)
        )
    )
    print(
        "(durable share: accepted PRs whose 30-day survival is at least 75%; pending horizons "
        "are not durable yet. Agent markers are a lower bound.)"
    )


def _num(value: object, digits: int = 2) -> str:
    return "-" if value is None else f"{float(value):,.{digits}f}"


def _pct(value: object) -> str:
    return "—" if value is None else f"{float(value):.0%}"
