"""Extraction benchmarks (run by hand, never as timed unit tests).

    .venv/bin/python -m tests.ingest.bench_ingest github --profile demo
    .venv/bin/python -m tests.ingest.bench_ingest cursor --profile large --days 10

``github``: GraphQL requests per 1,000 pull requests with full detail (scan + pages + follow-ups).
``cursor``: extract-and-load time of Cursor usage events (Arrow tables → dlt → DuckDB) against
the time to only fetch and parse the same pages.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from typing import Any

import dlt

from orchestration.defs.ingest.cursor.source import cursor_source, fetch_only
from orchestration.defs.ingest.github.source import PullRequestFetcher, day_start
from orchestration.lib.http import HttpClient


def _world(profile: str, cache: str | None = None) -> Any:
    import pickle
    from pathlib import Path

    from sandbox.generate import build_world

    started = time.perf_counter()
    if cache and Path(cache).exists():
        world = pickle.loads(Path(cache).read_bytes())  # our own file, written below
    else:
        world = build_world(profile, 7)
        if cache:
            Path(cache).write_bytes(pickle.dumps(world, protocol=pickle.HIGHEST_PROTOCOL))
    print(f"world {profile}: built in {time.perf_counter() - started:.0f}s")  # noqa: T201
    return world


def bench_github(world: Any, page_size: int) -> None:
    from sandbox.server import SandboxServer

    # Large enough to never throttle; GraphQL's Int caps the reported budget near 2**31.
    server = SandboxServer(world, rate_limit_scale=100).start()
    try:
        client = HttpClient("GitHub", "GITHUB_TOKEN", server.url, github_rate_limits=True,
                            headers={"Authorization": f"Bearer {server.github_token}"})  # fmt: skip
        since, until = day_start(world.start - timedelta(days=1)), day_start(world.end)
        for label, windows in (
            ("backfill (one window over all days)", [(since, until)]),
            ("nightly (the last day, 1-day overlap)",
             [(day_start(world.end - timedelta(days=2)), day_start(world.end))]),
            ("day-by-day backfill (one window per day, 1-day overlap)",
             [(day_start(world.start + timedelta(days=i - 1)),
               day_start(world.start + timedelta(days=i + 1))) for i in range(world.days)]),
        ):  # fmt: skip
            fetcher = PullRequestFetcher(client, page_size=page_size)
            started = time.perf_counter()
            for lo, hi in windows:
                for repo in world.repositories:
                    for _ in fetcher.pull_requests(repo.full_name, lo, hi):
                        pass
            s = fetcher.stats
            per_k = 1000 * s.requests / max(1, s.pull_requests)
            print(  # noqa: T201
                f"github {label}: {s.pull_requests} PR fetches, {s.requests} requests "
                f"(scan {s.scan_requests}, pages {s.page_requests}, follow-ups "
                f"{s.follow_up_requests} {s.by_connection}) = {per_k:.1f} per 1,000 PRs; "
                f"{s.points} points; {time.perf_counter() - started:.1f}s"
            )
    finally:
        server.stop()


def bench_cursor(world: Any, n_days: int) -> None:
    from sandbox.server import SandboxServer

    server = SandboxServer(world, rate_limit_scale=1e6).start()
    try:
        first = world.start + timedelta(days=(world.days - n_days) // 2)
        days = [first + timedelta(days=i) for i in range(n_days)]

        def client() -> HttpClient:
            return HttpClient("Cursor Admin", "CURSOR_ADMIN_API_KEY", server.url,
                              auth=(server.cursor_admin_key, ""))  # fmt: skip

        fetch_only(client(), days[:1])  # warm the server's caches
        timings: dict[str, list[float]] = {"fetch": [], "load": []}
        rows = 0
        for _ in range(2):
            started = time.perf_counter()
            rows = fetch_only(client(), days)
            timings["fetch"].append(time.perf_counter() - started)
            with tempfile.TemporaryDirectory() as tmp:
                pipeline = dlt.pipeline(
                    pipeline_name="bench_cursor",
                    pipelines_dir=tmp,
                    destination=dlt.destinations.duckdb(f"{tmp}/bench.duckdb"),
                    dataset_name="raw_cursor",
                )
                source = cursor_source(client=client(), days=days).with_resources("usage_events")
                started = time.perf_counter()
                pipeline.run(source)
                timings["load"].append(time.perf_counter() - started)
                with pipeline.sql_client() as sql:
                    loaded = sql.execute_sql("select count(*) from usage_events")[0][0]
                assert loaded == rows, (loaded, rows)
        # The alternative measured before choosing Arrow: plain dicts through dlt's normaliser.
        with tempfile.TemporaryDirectory() as tmp:
            pipeline = dlt.pipeline(
                pipeline_name="bench_cursor_dicts",
                pipelines_dir=tmp,
                destination=dlt.destinations.duckdb(f"{tmp}/bench.duckdb"),
                dataset_name="raw_cursor",
            )
            started = time.perf_counter()
            pipeline.run(_dict_events(client(), days), table_name="usage_events")
            timings["load_dicts"] = [time.perf_counter() - started]
        fetch, load = min(timings["fetch"]), min(timings["load"])
        print(  # noqa: T201
            f"cursor {n_days} days from {first}: {rows} events; fetch+parse {fetch:.2f}s "
            f"({rows / fetch:,.0f} rows/s); extract+normalize+load {load:.2f}s "
            f"({rows / load:,.0f} rows/s); ratio {load / fetch:.2f}x; dict rows through dlt's "
            f"normaliser {timings['load_dicts'][0]:.2f}s "
            f"({timings['load_dicts'][0] / fetch:.2f}x); all runs {timings}"
        )
    finally:
        server.stop()


def _dict_events(client: HttpClient, days: list[Any]) -> Any:
    from orchestration.defs.ingest.common import day_bounds_ms_inclusive

    for day in days:
        start_ms, end_ms = day_bounds_ms_inclusive(day)
        page = 1
        while True:
            body = client.post_json(
                "/teams/filtered-usage-events",
                endpoint="events",
                body={"startDate": start_ms, "endDate": end_ms, "page": page, "pageSize": 1000},
            )
            yield body["usageEvents"]
            if not body["pagination"]["hasNextPage"]:
                break
            page += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["github", "cursor"])
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--cache", help="pickle the built world here (large takes minutes)")
    args = parser.parse_args()
    world = _world(args.profile, args.cache)
    if args.what == "github":
        from sandbox.gitrepos import write_repositories

        with tempfile.TemporaryDirectory() as tmp:
            from pathlib import Path

            write_repositories(world, Path(tmp))  # fills in commit ids
            bench_github(world, args.page_size)
    else:
        bench_cursor(world, args.days)


if __name__ == "__main__":
    main()
