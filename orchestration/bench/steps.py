"""One benchmark step, run in its own process by :mod:`orchestration.bench.runner`.

    python -m orchestration.bench.steps STEP PARAMS.json RESULT.json

Each step reads its parameters (paths, days, the sandbox server's variables) from PARAMS.json
and writes its figures to RESULT.json. The parent measures wall time and peak memory around the
whole process, so a step does no timing of its own beyond the sub-phases it reports.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
# The asset groups of extraction: every raw table and the git durability tables.
INGEST_GROUPS = tuple(
    f"ingest_{s}"
    for s in ("anthropic", "openai", "cursor", "copilot", "github", "otel", "git", "people")
)
# The sources the load step measures: the vendor APIs the sandbox server answers (the agent
# telemetry is files, not a server).
LOAD_SOURCES = ("anthropic", "openai", "cursor", "copilot", "github")
_log = logging.getLogger("tokenworth.bench")

Params = dict[str, Any]


def _days(first: str, last: str) -> list[date]:
    lo, hi = date.fromisoformat(first), date.fromisoformat(last)
    return [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@contextmanager
def _pipeline_resources(*keys: str) -> Iterator[Any]:
    """The pipeline's resources named ``keys``, built from this process's environment (the
    runner passes the sandbox server's variables) by ``build_resources`` as every run builds
    them, with their ``dg.EnvVar`` credentials resolved as Dagster resolves them for a run."""
    import dagster as dg

    from orchestration.defs.resources import build_resources

    resources = build_resources()
    with dg.build_resources({key: resources[key] for key in keys}) as built:
        yield built


# --------------------------------------------------------------------------- world


def step_world(p: Params) -> dict[str, Any]:
    """Generate the sandbox (repositories, truth, roster) once and pickle it for later runs."""
    from sandbox.cli import prepare

    out = Path(p["world_dir"])
    world_file = out / "world.pickle"
    summary_file = out / "world.json"
    if world_file.exists() and summary_file.exists():
        return {**json.loads(summary_file.read_text()), "cached": True}
    started = time.perf_counter()
    world = prepare(p["profile"], p["seed"], out / "sandbox")
    generate_seconds = time.perf_counter() - started
    tmp = world_file.with_suffix(".tmp")
    with tmp.open("wb") as f:  # streamed: the large world's bytes never sit in memory at once
        pickle.dump(world, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(world_file)  # a run killed half-way never leaves a truncated cache
    biggest = max(world.repositories, key=lambda r: len(r.pull_requests))
    summary = {
        "profile": world.profile,
        "seed": world.seed,
        "start": world.start.isoformat(),
        "days": world.days,
        "people": len(world.people),
        "sessions": len(world.sessions),
        "pull_requests": sum(len(r.pull_requests) for r in world.repositories),
        "repositories": [r.full_name for r in world.repositories],
        "biggest_repo": {
            "name": biggest.full_name,
            "path": biggest.path,
            "default_branch": biggest.default_branch,
            "pull_requests": len(biggest.pull_requests),
        },
        "sandbox_dir": str(out / "sandbox"),
        "generate_seconds": round(generate_seconds, 1),
    }
    summary_file.write_text(json.dumps(summary, indent=2))
    return {**summary, "cached": False}


# --------------------------------------------------------------------------- GitHub requests


def step_github(p: Params) -> dict[str, Any]:
    """GraphQL requests per 1,000 pull requests fetched with full detail."""
    # The fetcher is what this step measures (its request counts), so it is used directly.
    from orchestration.defs.ingest.github.source import PullRequestFetcher

    days = _days(p["first"], p["last"])
    one_day = timedelta(days=1)
    windows = {
        # What a backfill of the history asks: one window over every day (1-day overlap).
        "backfill": (_midnight(days[0] - one_day), _midnight(days[-1] + one_day)),
        # What the nightly run asks: the last day and its 1-day overlap.
        "nightly": (_midnight(days[-1] - one_day), _midnight(days[-1] + one_day)),
    }
    out: dict[str, Any] = {}
    with _pipeline_resources("github") as resources:
        client = resources.github.client(_log)
        for label, (since, until) in windows.items():
            fetcher = PullRequestFetcher(client, page_size=p.get("page_size", 50))
            started = time.perf_counter()
            for repo in p["repositories"]:
                for _ in fetcher.pull_requests(repo, since, until):
                    pass
            s = fetcher.stats
            out[label] = {
                "pull_requests": s.pull_requests,
                "requests": s.requests,
                "scan_requests": s.scan_requests,
                "page_requests": s.page_requests,
                "follow_up_requests": s.follow_up_requests,
                "follow_ups_by_connection": dict(s.by_connection),
                "points": s.points,
                "requests_per_1000_prs": round(1000 * s.requests / max(1, s.pull_requests), 1),
                "seconds": round(time.perf_counter() - started, 2),
            }
        client.close()
    return out


# --------------------------------------------------------------------------- extract and load


def _count(item: Any) -> int:
    """Rows in one item a dlt resource yields: an Arrow table, a list of rows or one row."""
    if hasattr(item, "num_rows"):
        return int(item.num_rows)
    if isinstance(item, list):
        return len(item)
    return 1


def _fetch_seconds(make_source: Callable[[], Any]) -> tuple[float, int]:
    """Iterate a source without a pipeline: every page fetched and parsed into rows."""
    started = time.perf_counter()
    rows = sum(_count(item) for item in make_source())
    return time.perf_counter() - started, rows


def _load_seconds(name: str, make_source: Callable[[], Any]) -> tuple[float, int]:
    """Extract, normalise and load the same source into a fresh DuckDB file."""
    from orchestration.defs.resources import WarehouseResource

    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        # The dlt pipeline a run loads raw_<name> with (destination, loader file format, the
        # columns its tables keep); no URL: the default DuckDB file in this fresh home.
        pipeline = WarehouseResource(url="", home=tmp).pipeline(name)
        started = time.perf_counter()
        pipeline.run(make_source())
        seconds = time.perf_counter() - started
        counts = pipeline.last_trace.last_normalize_info.row_counts
        rows = sum(n for table, n in counts.items() if not table.startswith("_dlt"))
    return seconds, rows


def _cursor_pages_seconds(cursor: Any, days: list[date]) -> tuple[float, int]:
    """Cursor's strict baseline: only the usage-event pages, fetched and JSON-parsed, by the
    function the source reads them with (the same requests), without building Arrow tables."""
    from orchestration.defs.ingest.cursor.source import events_by_day

    client = cursor.client(_log)
    started = time.perf_counter()
    rows = sum(len(events) for _, events, _ in events_by_day(client, days))
    seconds = time.perf_counter() - started
    client.close()
    return seconds, rows


def _cursor_events_load_seconds(make_source: Callable[[], Any]) -> tuple[float, int]:
    """Cursor's usage events alone through the real resource into a fresh DuckDB file."""
    return _load_seconds("cursor_events", lambda: make_source().with_resources("usage_events"))


def step_load(p: Params) -> dict[str, Any]:
    """Per source: rows per second loaded, and load time over fetch-and-parse time."""
    from orchestration.defs.ingest.sources import SOURCES, ApiSource, SourceRequest

    days = _days(p["first"], p["last"])
    registered = [s for s in SOURCES if s.name in LOAD_SOURCES]

    def make(source: ApiSource, resource: Any) -> Callable[[], Any]:
        """A fresh dlt source with its own client, built from the registry as the assets
        build it: from the resource of its ``resource_key``."""
        return lambda: source.build(
            SourceRequest(client=resource.client(_log), days=days, resource=resource, log=_log)
        )

    with _pipeline_resources(*{s.resource_key for s in registered}) as resources:
        sources = {s.name: make(s, getattr(resources, s.resource_key)) for s in registered}
        return _load_figures(sources, resources.cursor, days, int(p.get("repeats", 2)))


def _load_figures(
    sources: dict[str, Callable[[], Any]], cursor: Any, days: list[date], repeats: int
) -> dict[str, Any]:
    """The load step's figures, from the sources and Cursor's resource it built."""
    out: dict[str, Any] = {"days": [days[0].isoformat(), days[-1].isoformat()]}
    for name, make_source in sources.items():
        _fetch_seconds(make_source)  # warm the server's page caches and the imports
        # The best of a few runs: the machine is shared, and the minimum is the least noisy.
        fetch = min(_fetch_seconds(make_source) for _ in range(repeats))
        load = min(_load_seconds(name, make_source) for _ in range(repeats))
        if load[1] != fetch[1]:
            raise AssertionError(
                f"{name}: loaded {load[1]} rows but fetched {fetch[1]} for {days[0]}..{days[-1]}"
            )
        out[name] = {
            "rows": load[1],
            "fetch_seconds": round(fetch[0], 3),
            "load_seconds": round(load[0], 3),
            "rows_per_second": round(load[1] / load[0], 1),
            "ratio": round(load[0] / fetch[0], 2),
        }
    # Cursor's usage events are by far the largest table: also measured against the bare pages.
    pages = min(_cursor_pages_seconds(cursor, days) for _ in range(repeats))
    events = min(_cursor_events_load_seconds(sources["cursor"]) for _ in range(repeats))
    if events[1] != pages[1]:
        raise AssertionError(f"cursor usage_events: loaded {events[1]} rows, fetched {pages[1]}")
    out["cursor_usage_events"] = {
        "rows": events[1],
        "fetch_seconds": round(pages[0], 3),
        "load_seconds": round(events[0], 3),
        "rows_per_second": round(events[1] / events[0], 1),
        "ratio": round(events[0] / pages[0], 2),
    }
    return out


# --------------------------------------------------------------------------- pipeline runs


def _raw_rows(warehouse: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw\\_%' escape '\\' and table_schema not like '%staging' "
            "and table_name not like '\\_dlt%' escape '\\' order by 1, 2"
        ).fetchall()
        return {
            f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]
            for s, t in tables
        }


def _run(first: str, last: str, groups: tuple[str, ...] | None) -> dict[str, Any]:
    """``tokenworth run`` over the days. A failed extraction step fails the benchmark step (the
    timings after it would mean nothing); a failed dbt model or check is reported, not fatal."""
    from orchestration.run import run_partitions

    started = time.perf_counter()
    summary = run_partitions(first, last, groups=groups)
    seconds = time.perf_counter() - started
    extraction = {k: v for k, v in summary.failures.items() if k.startswith(("raw_", "git"))}
    if extraction:
        failures = "; ".join(f"{k}: {v}" for k, v in sorted(extraction.items()))
        raise RuntimeError(f"tokenworth run {first}..{last}: extraction failed: {failures}")
    return {
        "seconds": round(seconds, 2),
        "assets": len(set(summary.materialized)),
        "errors": sorted(summary.failures),
    }


def step_extract(p: Params) -> dict[str, Any]:
    """Extraction of every source (and git durability) for the history days into a warehouse."""
    out = _run(p["first"], p["last"], INGEST_GROUPS)
    rows = _raw_rows(Path(os.environ["TOKENWORTH_HOME"]) / "warehouse.duckdb")
    return {**out, "raw_rows": sum(rows.values()), "raw_tables": rows}


def step_dbt(p: Params) -> dict[str, Any]:
    """``dbt build`` of every model and test over the history days (what a backfill runs)."""
    from orchestration.defs.transform.project import dbt_build_args, dbt_executable, dbt_window_env

    first = date.fromisoformat(p["first"])
    end = date.fromisoformat(p["last"]) + timedelta(days=1)
    target = Path(os.environ["DBT_TARGET_PATH"]) / p.get("target", "full-build")
    args = [
        dbt_executable(),
        *dbt_build_args(),
        "--project-dir",
        str(REPO_ROOT),
        "--profiles-dir",
        str(REPO_ROOT / "dbt_project"),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
    ]
    started = time.perf_counter()
    env = {**os.environ, **dbt_window_env(first, end)}
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - started
    results_file = target / "run_results.json"
    if done.returncode not in (0, 1) or not results_file.exists():
        # 2: dbt itself failed (bad project, no warehouse); there is nothing to time.
        tail = "\n".join(done.stdout.splitlines()[-30:])
        raise RuntimeError(f"dbt build {first}..{end} exited {done.returncode}:\n{tail}")
    run_results = json.loads(results_file.read_text())
    results = run_results["results"]
    slowest = sorted(results, key=lambda r: r["execution_time"], reverse=True)[:10]
    return {
        "seconds": round(seconds, 2),
        # dbt's own time for the nodes (no process start or parse): comparable with the dbt
        # build inside a nightly run.
        "dbt_elapsed_seconds": round(run_results["elapsed_time"], 2),
        "nodes": len(results),
        # A failing model or test is reported with the figure (models after it were skipped).
        "errors": sorted(r["unique_id"] for r in results if r["status"] in ("error", "fail")),
        "slowest": {r["unique_id"]: round(r["execution_time"], 2) for r in slowest},
        # Every model's own time (what the floor's ratio and a search for the slow ones read).
        "models": {
            r["unique_id"]: round(r["execution_time"], 3)
            for r in results
            if r["unique_id"].startswith("model.")
        },
    }


def step_nightly(p: Params) -> dict[str, Any]:
    """The nightly job for one day: every asset (extract, git, dbt) for that partition."""
    out = _run(p["day"], p["day"], None)
    # dagster-dbt gives each invocation its own target directory: the newest is this run's.
    targets = Path(os.environ["DBT_TARGET_PATH"]).glob("tokenworth_dbt-*/run_results.json")
    newest = max(targets, key=lambda path: path.stat().st_mtime, default=None)
    if newest is not None:
        run_results = json.loads(newest.read_text())
        out["dbt_elapsed_seconds"] = round(run_results["elapsed_time"], 2)
        out["dbt_nodes"] = len(run_results["results"])
    return out


# --------------------------------------------------------------------------- durability, demo


def step_durability(p: Params) -> dict[str, Any]:
    """Blame invocations and time of the shared method against one blame per PR per file."""
    from orchestration.bench.durability import run_benchmark

    as_of = datetime.fromisoformat(p["as_of"]).replace(tzinfo=UTC)
    figures = run_benchmark(repo_path=p["repo_path"], default_branch=p["branch"], as_of=as_of)
    shared, naive = figures["shared"], figures["baseline"]
    figures["blame_ratio"] = figures.get("blame_ratio") or round(
        naive["total_blames"] / max(1, shared["total_blames"]), 2
    )
    figures["seconds_ratio"] = round(naive["seconds"] / max(0.001, shared["seconds"]), 2)
    return figures


def step_demo(p: Params) -> dict[str, Any]:
    """``tokenworth demo`` end to end, as ``make demo`` runs it, in a fresh TOKENWORTH_HOME."""
    tokenworth = Path(sys.executable).parent / "tokenworth"
    command = [str(tokenworth), "demo", "--profile", p["profile"]]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    Path(p["log"]).write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}; its output is in {p['log']}"
        )
    return {"seconds": round(seconds, 1), "profile": p["profile"]}


# --------------------------------------------------------------------------- synthetic


def step_synthesize(p: Params) -> dict[str, Any]:
    """Raw tables of the requested size, tiled from the template warehouse (no HTTP)."""
    from orchestration.bench.synthetic import Tiling, write

    tiling = Tiling(
        shards=p["shards"],
        copies=p["copies"],
        period_days=p["period_days"],
        first_day=date.fromisoformat(p["first"]),
        days=p["days"],
    )
    started = time.perf_counter()
    counts = write(Path(p["template"]), Path(p["warehouse"]), tiling)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "raw_rows": sum(counts.values()),
        "raw_tables": counts,
    }


# The hand-written floor: gap sessionisation of the same usage records fct_ai_sessions reads
# (the int_usage_records_reconciled table the build left, as dbt's models read it), per-session
# sums, and attribution of each session's cost to its person's pull requests
# open while it ran, split evenly, summed per pull request. dbt's models do more (telemetry and
# Cursor signals, trailers, branches, markers, durability): this is the least work there is.
FLOOR_SQL = (
    """
    create or replace temp table floor_sessions as
    with records as (
        select person_id, platform, usage_id, started_at, ended_at, cost_usd
        from intermediate.int_usage_records_reconciled
        where not is_claude_code_duplicate and person_id is not null
    ),
    flagged as (
        select *,
            case when max(ended_at) over w is null
                   or started_at > max(ended_at) over w + interval {gap} minute
                 then 1 else 0 end as is_start
        from records
        window w as (partition by person_id, platform order by started_at, ended_at, usage_id
                     rows between unbounded preceding and 1 preceding)
    ),
    numbered as (
        select *, sum(is_start) over (
            partition by person_id, platform order by started_at, ended_at, usage_id
            rows between unbounded preceding and current row) as session_number
        from flagged
    )
    select person_id, platform, session_number, min(started_at) as started_at,
           max(ended_at) as ended_at, sum(cost_usd) as cost_usd, count(*) as records
    from numbered group by all
    """,
    """
    create or replace temp table floor_pr_costs as
    with links as (
        select sessions.cost_usd, prs.pull_request_id,
               count(*) over (partition by sessions.person_id, sessions.platform,
                              sessions.session_number) as prs_linked
        from floor_sessions as sessions
        inner join core.fct_pull_requests as prs
            on prs.person_id = sessions.person_id
            and sessions.started_at >= coalesce(prs.first_commit_at, prs.created_at)
                                       - interval 1 day
            and sessions.started_at <= coalesce(prs.merged_at, prs.closed_at, sessions.ended_at)
    )
    select pull_request_id, sum(cost_usd / prs_linked) as cost_usd, count(*) as sessions
    from links group by all
    """,
)
# dbt's models doing the same work (sessionising views cost nothing until these read them).
FLOOR_MODELS = (
    "model.tokenworth.fct_ai_sessions",
    "model.tokenworth.fct_session_pr_links",
    "model.tokenworth.fct_session_spend",
    "model.tokenworth.fct_pull_request_costs",
)


def step_floor(p: Params) -> dict[str, Any]:
    """Time the floor queries on the built warehouse (median of ``repeats``)."""
    import statistics

    import duckdb

    con = duckdb.connect(os.environ["TOKENWORTH_DUCKDB_PATH"])
    con.execute("set threads = 2")
    runs = []
    for _ in range(int(p.get("repeats", 3))):
        started = time.perf_counter()
        for sql in FLOOR_SQL:
            con.execute(sql.format(gap=int(p.get("gap_minutes", 30))))
        runs.append(time.perf_counter() - started)
    sessions = con.execute("select count(*) from floor_sessions").fetchone()
    prs = con.execute("select count(*) from floor_pr_costs").fetchone()
    con.close()
    return {
        "seconds": round(statistics.median(runs), 3),
        "runs": [round(r, 3) for r in runs],
        "sessions": sessions[0] if sessions else 0,
        "pull_requests_costed": prs[0] if prs else 0,
    }


STEPS: dict[str, Callable[[Params], dict[str, Any]]] = {
    "synthesize": step_synthesize,
    "floor": step_floor,
    "world": step_world,
    "github": step_github,
    "load": step_load,
    "extract": step_extract,
    "dbt": step_dbt,
    "nightly": step_nightly,
    "durability": step_durability,
    "demo": step_demo,
}


def main(argv: Iterable[str]) -> int:
    step, params_file, result_file = list(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    params = json.loads(Path(params_file).read_text())
    result = STEPS[step](params)
    Path(result_file).write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
