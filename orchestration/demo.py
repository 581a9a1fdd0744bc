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
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

import duckdb

from orchestration.run import RunSummary, run_partitions

# Quiet days after the simulated ones: enough for the 30-day durability horizon.
QUIET_DAYS = 35
# Seconds without a finished step before the terminal hears what is still running.
HEARTBEAT_SECONDS = 30


def run_demo(profile: str, home: Path, seed: int) -> int:
    from sandbox.cli import prepare
    from sandbox.gitrepos import clone_url_template
    from sandbox.server import SandboxServer

    home = home.resolve()
    out = home / "sandbox" / profile
    log_path = home / "logs" / f"demo-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
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
        summary = _run_quietly(world.start, last, log_path)
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
        f"DAGSTER_HOME={os.environ['DAGSTER_HOME']} make dev\n"
        f'  SQL from Python:  .venv/bin/python -c "import duckdb; print(duckdb.connect('
        f"'{warehouse}', read_only=True).sql('select * from marts.mart_platform_efficiency'))\"\n"
        f"  or the duckdb CLI:  duckdb -readonly {warehouse}   (then: show all tables;)\n"
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


@contextmanager
def _output_to(log_path: Path) -> Iterator[TextIO]:
    """Send this process's and its children's stdout/stderr to ``log_path``.

    Yields a stream to the real terminal for progress lines. Redirecting the file descriptors
    (not just ``sys.stdout``) also catches the dbt subprocess and Dagster's console logger.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved_out), "w", buffering=1, encoding="utf-8")
    with log_path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            terminal.close()


def _run_quietly(first: object, last: object, log_path: Path) -> RunSummary:
    """``run_partitions`` with its logs in ``log_path`` and one progress line per step."""
    with _output_to(log_path) as terminal:
        stop = threading.Event()
        watcher = threading.Thread(
            target=_report_steps, args=(terminal, stop, time.time()), daemon=True
        )
        watcher.start()
        try:
            return run_partitions(first, last)  # type: ignore[arg-type]
        finally:
            stop.set()
            watcher.join(timeout=10)


def _report_steps(terminal: TextIO, stop: threading.Event, since: float) -> None:
    """Poll the Dagster instance for the run's step events and print each finished step.

    Polling the run storage keeps the progress outside the pipeline code: the nightly job runs
    exactly as it does under the schedule.
    """
    import dagster as dg

    from orchestration.run import _instance

    instance = _instance()
    kinds = {
        dg.DagsterEventType.STEP_START,
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.STEP_FAILURE,
    }
    run_id: str | None = None
    started: dict[str, float] = {}
    done: set[str] = set()
    quiet_since = time.monotonic()
    while True:
        final = stop.wait(1.0)
        try:
            if run_id is None:
                records = instance.get_run_records(limit=1)
                if records and records[0].create_timestamp.timestamp() >= since - 1:
                    run_id = records[0].dagster_run.run_id
            if run_id is not None:
                for entry in instance.all_logs(run_id, of_type=kinds):
                    event = entry.dagster_event
                    key = event.step_key if event else None
                    if event is None or key is None or key in done:
                        continue
                    if event.event_type == dg.DagsterEventType.STEP_START:
                        started.setdefault(key, entry.timestamp)
                        continue
                    done.add(key)
                    took = entry.timestamp - started.get(key, entry.timestamp)
                    status = (
                        "ok" if event.event_type == dg.DagsterEventType.STEP_SUCCESS else "FAILED"
                    )
                    terminal.write(f"      {status:<6} {key} ({took:.0f}s)\n")
                    quiet_since = time.monotonic()
        except Exception as error:  # progress must never break the run itself
            terminal.write(f"      (progress unavailable: {type(error).__name__})\n")
            return
        if final:
            return
        if time.monotonic() - quiet_since >= HEARTBEAT_SECONDS:
            running = sorted(set(started) - done)
            if running:
                what = f"running {', '.join(running)}"
                took = time.time() - min(started[key] for key in running)
            else:
                # Before the first step Dagster parses dbt, loads the definitions and records
                # the planned materialisations (one per asset and day).
                what = "preparing the run" if not done else "between steps"
                took = time.time() - since
            terminal.write(f"      … {what} ({took:.0f}s so far)\n")
            quiet_since = time.monotonic()


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
