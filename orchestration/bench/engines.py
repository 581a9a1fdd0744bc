"""``python -m orchestration.bench.engines``: a full dbt build on DuckDB and on Spark, compared.

Both builds start from the same extracted raw data (a DuckDB warehouse: the landing file of a
``spark://`` run, a fresh extraction, or a ``--synthetic`` history; only its raw schemas are
kept): DuckDB builds a copy of it; Spark builds from the raw layer published as Parquet to a
fresh lake. The builds run one after the other (never at once: each gets the machine), and each
one's peak memory is the largest sum of resident memory over the process tree (dbt, and Spark's
JVM), sampled every 0.2 s. ``--days N`` keeps only the first N days of history (each row's day
as the synthetic tiling trims it), to see how a full build grows with history.

    python -m orchestration.bench.engines RAW.duckdb WORKDIR [--days 15 30 45] [--engines …]

Prints one line per build and writes ``WORKDIR/engines.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

_REPO_ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and every descendant (Linux ``/proc``)."""
    total, pending, seen = 0, [root], set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += next(
                int(line.split()[1]) * 1024
                for line in status.splitlines()
                if line.startswith("VmRSS:")
            )
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """``command``'s wall seconds, its tree's peak resident bytes and its output's tail."""
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=_REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    seconds = time.monotonic() - started
    tail = output.decode(errors="replace")[-3000:]
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} exited {process.returncode}:\n{tail}")
    return seconds, peak, tail


def keep_raw_only(raw: Path) -> None:
    """Drop every schema but the raw ones, so that each engine's build is a full one (a
    warehouse a build already ran on holds incremental facts that would only be topped up)."""
    import duckdb

    with duckdb.connect(str(raw)) as con:
        schemas = con.execute(
            "select schema_name from information_schema.schemata "
            "where catalog_name = current_database() and schema_name not like 'raw\\_%' "
            "escape '\\' and schema_name not in ('main', 'information_schema', 'pg_catalog')"
        ).fetchall()
        for (schema,) in schemas:
            con.execute(f'drop schema "{schema}" cascade')
        con.execute("checkpoint")


def truncate_history(raw: Path, days: int) -> date:
    """Delete every raw row whose day falls after the first ``days`` days. A row's day is the
    one the synthetic tiling trims by (its first date column, else its first timestamp, else its
    ISO text day: the agents' telemetry is dated by timestamps only); snapshot tables and the
    git measurements are kept, and pull-request children go with their pull request."""
    import duckdb

    from orchestration.bench.synthetic import PR_CHILDREN, SNAPSHOT_TABLES, main_day

    con = duckdb.connect(str(raw))
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw\\_%' escape '\\' "
            "and table_schema not like '%\\_staging' escape '\\' "
            "and table_name not like '\\_dlt%' escape '\\' order by 1, 2"
        ).fetchall()
        row_days: list[tuple[str, str]] = []
        for schema, table in tables:
            if f"{schema}.{table}" in SNAPSHOT_TABLES or schema == "raw_git":
                continue
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            if day := main_day(columns):
                row_days.append((f'"{schema}"."{table}"', day.format(r="")))
        first = min(
            con.execute(f"select min({day}) from {relation}").fetchone()[0] or date.max
            for relation, day in row_days
        )
        last = first + timedelta(days=days - 1)
        for relation, day in row_days:
            con.execute(f"delete from {relation} where {day} > ?", [last])
        for child in PR_CHILDREN:
            con.execute(
                f"delete from raw_github.{child} where pull_request_id not in "
                "(select id from raw_github.pull_requests)"
            )
    finally:
        con.close()
    return last


def _dbt(target_env: dict[str, str], work: Path) -> tuple[list[str], dict[str, str]]:
    from orchestration.defs.transform.project import dbt_executable

    command = [
        dbt_executable(),
        "build",
        *("--project-dir", str(_REPO_ROOT), "--profiles-dir", str(_REPO_ROOT / "dbt_project")),
        *("--target-path", str(work / "target"), "--log-path", str(work / "logs")),
    ]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **target_env}
    return command, env


def build_duckdb(raw: Path, work: Path) -> dict[str, Any]:
    path = work / "warehouse.duckdb"
    shutil.copyfile(raw, path)
    command, env = _dbt(
        {"TOKENWORTH_DBT_TARGET": "duckdb", "TOKENWORTH_DUCKDB_PATH": str(path)}, work
    )
    seconds, peak, _ = run_measured(command, env)
    return {"engine": "duckdb", "seconds": round(seconds, 1), "peak_mib": peak // MIB}


def build_spark(raw: Path, work: Path) -> dict[str, Any]:
    from orchestration.lib.lake import publish
    from orchestration.lib.warehouse import parse_warehouse_url

    warehouse = parse_warehouse_url(f"spark:///{work / 'lake'}", home=work)
    started = time.monotonic()
    publish(raw, warehouse.lake)
    publish_seconds = time.monotonic() - started
    command, env = _dbt(warehouse.dbt_env(), work)
    seconds, peak, _ = run_measured(command, env)
    return {
        "engine": "spark",
        "seconds": round(seconds, 1),
        "publish_seconds": round(publish_seconds, 1),
        "peak_mib": peak // MIB,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="a DuckDB file holding the raw schemas")
    parser.add_argument("work", type=Path, help="scratch directory (replaced)")
    parser.add_argument("--days", type=int, nargs="*", default=[], help="history lengths")
    parser.add_argument("--engines", nargs="*", default=["duckdb", "spark"])
    args = parser.parse_args(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    builders = {"duckdb": build_duckdb, "spark": build_spark}
    results = []
    for days in args.days or [None]:
        raw = args.work / f"raw-{days or 'all'}.duckdb"
        shutil.copyfile(args.raw, raw)
        keep_raw_only(raw)
        last = truncate_history(raw, days) if days else None
        for engine in args.engines:
            work = args.work / f"{engine}-{days or 'all'}"
            work.mkdir()
            result = {"days": days, "last_day": str(last) if last else None}
            result |= builders[engine](raw, work)
            results.append(result)
            print(json.dumps(result), flush=True)
    (args.work / "engines.json").write_text(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // (1024**3)} GiB",
                "load_average": os.getloadavg(),
                "results": results,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
