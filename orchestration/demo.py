"""``tokenworth demo``: the whole nightly pipeline on the sandbox, then a summary from the marts.

It starts the sandbox on a free port, points every variable at it, runs every asset over the
sandbox's days (and the quiet days after them, so 7- and 30-day durability horizons can pass, up
to yesterday), and prints per-platform spend, outcomes and caching, and spend by class — all
read from the marts, never from the sandbox.
"""

import os
import shlex
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from orchestration.run import run_partitions

# Quiet days after the simulated ones: enough for the 30-day durability horizon.
QUIET_DAYS = 35


def run_demo(profile: str, home: Path, seed: int) -> int:
    from sandbox.cli import prepare
    from sandbox.gitrepos import clone_url_template
    from sandbox.server import SandboxServer

    home = home.resolve()
    out = home / "sandbox" / profile
    started = time.monotonic()
    print(f"[1/3] generating the {profile} sandbox in {out} …", flush=True)
    world = prepare(profile, seed, out)
    print(
        f"      {len(world.people)} people, {len(world.sessions)} AI sessions, "
        f"{sum(len(r.pull_requests) for r in world.repositories)} pull requests "
        f"({time.monotonic() - started:.0f}s)",
        flush=True,
    )
    server = SandboxServer(world).start()
    try:
        for line in server.exports(clone_url_template(out)):
            name, value = line.removeprefix("export ").split("=", 1)
            os.environ[name] = shlex.split(value)[0]
        os.environ["TOKENWORTH_PEOPLE_FILE"] = str(out / "people.csv")
        os.environ["TOKENWORTH_HOME"] = str(home)
        os.environ.pop("TOKENWORTH_WAREHOUSE_URL", None)  # the demo writes its own DuckDB file
        os.environ.setdefault("TOKENWORTH_START_DATE", world.start.isoformat())
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        last = min(world.end + timedelta(days=QUIET_DAYS - 1), yesterday)
        print(
            f"[2/3] running every asset for {world.start}..{last} (extract, git, dbt) …", flush=True
        )
        step = time.monotonic()
        summary = run_partitions(world.start, last)
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
    print(f"[3/3] summary from the marts in {warehouse}\n", flush=True)
    print_summary(warehouse)
    print(
        f"\nDone in {time.monotonic() - started:.0f}s. Next:\n"
        f"  Dagster UI on the same warehouse:  TOKENWORTH_HOME={home} make dev\n"
        f"  SQL:     .venv/bin/python -c \"import duckdb; print(duckdb.connect('{warehouse}', "
        "read_only=True).sql('select * from marts.mart_platform_efficiency'))\"\n"
        f"  or the duckdb CLI:  duckdb -readonly {warehouse}"
    )
    return 0 if summary.success else 1


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
                    sum(durable_outcomes) as durable
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
                   e.spend / nullif(e.accepted, 0), e.durable / nullif(e.accepted, 0), c.hit_rate
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
    return "-" if value is None else f"{float(value):.0%}"
