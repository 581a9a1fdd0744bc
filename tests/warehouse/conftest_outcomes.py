"""Outcome-side warehouse fixtures and truth scoring (loaded with ``pytest_plugins``).

``outcomes_warehouse`` builds a fresh warehouse from a clean clone: the tiny sandbox is generated
(repositories, ``truth.json``, ``people.csv``), served on a free port, every source is extracted
for the same days as the reference warehouse (the world's days plus quiet days, so the 7- and
30-day durability horizons are measured), and ``dbt build`` runs on the result. Test modules that
need it declare ``pytest_plugins = ["tests.warehouse.conftest_outcomes"]``.

The scoring helpers compare attribution and spend classification with the sandbox's truth,
cost-weighted. Warehouse sessions are coarser than the truth's for user-day sources (Claude Code,
Copilot), so each warehouse session gets the truth's *distribution* (of PRs, of intents) over the
truth sessions it contains, and agreement is the overlap of two distributions.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The reference warehouse covers the world's days plus quiet days up to here (offset from the
# world's first day), so every 7- and 30-day horizon of the tiny world is reached.
LAST_DAY_OFFSET = 44
CLASSES = ("productive", "exploratory", "retry", "abandoned", "rework", "pending")
ONE_SECOND = timedelta(seconds=1)
MARTS = (
    "mart_platform_efficiency",
    "mart_rework_adjusted_cost",
    "mart_spend_classification",
    "mart_review_drag",
    "mart_repo_context_cost",
    "mart_data_quality",
)


@dataclass
class Warehouse:
    """A built warehouse file, its truth and a way to re-run dbt on it."""

    path: Path
    truth: dict[str, Any]
    dbt: Callable[..., subprocess.CompletedProcess[str]]

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def _dbt_runner(path: Path, target: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "TOKENWORTH_DBT_TARGET": "duckdb",
            "TOKENWORTH_DUCKDB_PATH": str(path),
        }
        executable = Path(sys.executable).parent / "dbt"
        return subprocess.run(
            [
                str(executable) if executable.exists() else "dbt",
                *args,
                "--project-dir",
                str(REPO_ROOT),
                "--profiles-dir",
                str(REPO_ROOT / "dbt_project"),
                # Own target/log paths: never race another dbt process on the repo's target/.
                "--target-path",
                str(target / "target"),
                "--log-path",
                str(target / "logs"),
            ],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def outcomes_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The tiny sandbox extracted end to end and built with dbt (fresh, from generated data)."""
    from sandbox.cli import prepare
    from sandbox.profiles import DEFAULT_SEED
    from sandbox.server import SandboxServer

    out = tmp_path_factory.mktemp("outcomes_sandbox")
    home = tmp_path_factory.mktemp("outcomes_home")
    world = prepare("tiny", DEFAULT_SEED, out)
    server = SandboxServer(world).start()
    with pytest.MonkeyPatch.context() as mp:
        for line in server.exports(f"file://{out}/git/{{repo}}.git"):
            name, value = line.removeprefix("export ").split("=", 1)
            mp.setenv(name, shlex.split(value)[0])
        mp.setenv("TOKENWORTH_HOME", str(home))
        mp.setenv("DAGSTER_HOME", str(home / "dagster"))
        (home / "dagster").mkdir()
        mp.setenv("TOKENWORTH_PEOPLE_FILE", str(out / "people.csv"))
        mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        mp.delenv("TOKENWORTH_WAREHOUSE_URL", raising=False)
        mp.delenv("TOKENWORTH_GITHUB_REPOS", raising=False)
        first = world.start - timedelta(days=1)
        last = world.start + timedelta(days=LAST_DAY_OFFSET)
        try:
            # In a child process: the in-process Dagster run can keep the DuckDB file locked
            # (one writer per file) after it ends, which would block the dbt build below. The
            # run's own dbt step may fail on models still in progress; extraction is what this
            # step is for, and the explicit build below is what the tests check.
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import sys; from orchestration.run import run_partitions; "
                    "run_partitions(sys.argv[1], sys.argv[2])",
                    first.isoformat(),
                    last.isoformat(),
                ],
                cwd=REPO_ROOT,
                env=dict(os.environ),
                capture_output=True,
                text=True,
                check=False,
                timeout=3600,
            )
        finally:
            server.stop()
        path = home / "warehouse.duckdb"
        dbt = _dbt_runner(path, tmp_path_factory.mktemp("outcomes_dbt"))
        # The nightly job ran dbt already; build once more so the warehouse is in the state an
        # explicit `dbt build` leaves, and fail loudly with dbt's output if it does not build.
        done = dbt("build")
        assert done.returncode == 0, done.stdout[-6000:]
        truth = json.loads((out / "truth.json").read_text())
        yield Warehouse(path=path, truth=truth, dbt=dbt)


# ------------------------------------------------------------------------------ truth scoring


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def map_truth_sessions(
    wh: Warehouse,
) -> tuple[dict[str, str], list[str], dict[str, Decimal]]:
    """Truth session id -> warehouse session id (same person and platform, start inside).

    Returns the mapping, the truth sessions that map to no warehouse session (unresolved
    identities), and the warehouse sessions' costs.
    """
    rows = wh.query(
        "select session_id, person_id, platform, started_at, ended_at, cost_usd "
        "from core.fct_ai_sessions"
    )
    by_key: dict[tuple[str, str], list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for session_id, person_id, platform, started, ended, _ in rows:
        by_key[(person_id, platform)].append((started, ended, session_id))
    mapped: dict[str, str] = {}
    unmapped: list[str] = []
    for t in wh.truth["sessions"]:
        start = _ts(t["started_at"])
        # Truth times are whole seconds; vendor times may carry milliseconds.
        hits = [
            sid
            for (a, b, sid) in by_key[(t["person_id"], t["platform"])]
            if a - ONE_SECOND <= start <= b
        ]
        if len(hits) == 1:
            mapped[t["session_id"]] = hits[0]
        else:
            unmapped.append(t["session_id"])
    costs = {sid: Decimal(cost or 0) for (sid, _, _, _, _, cost) in rows}
    return mapped, unmapped, costs


def truth_distribution(
    wh: Warehouse, mapped: dict[str, str], key: Callable[[dict[str, Any]], Any]
) -> dict[str, dict[Any, Decimal]]:
    """Per warehouse session: the cost share of each ``key`` value among its truth sessions."""
    sums: dict[str, dict[Any, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for t in wh.truth["sessions"]:
        if t["session_id"] in mapped:
            sums[mapped[t["session_id"]]][key(t)] += Decimal(t["cost_usd"])
    out: dict[str, dict[Any, Decimal]] = {}
    for sid, parts in sums.items():
        total = sum(parts.values())
        out[sid] = {k: (v / total if total else Decimal(0)) for k, v in parts.items()}
    return out


@dataclass
class AttributionScore:
    precision_by_method: dict[str, Decimal]
    attributed_usd_by_method: dict[str, Decimal]
    accuracy: Decimal
    unmapped_truth_sessions: int


def score_attribution(wh: Warehouse) -> AttributionScore:
    """Cost-weighted precision per method and overall accuracy (unattributed share included)."""
    mapped, unmapped, costs = map_truth_sessions(wh)
    truth = truth_distribution(wh, mapped, lambda t: t["pr"])
    links = wh.query(
        "select session_id, pull_request_key, attribution_method, weight "
        "from core.fct_session_pr_links"
    )
    weights: dict[str, dict[Any, Decimal]] = defaultdict(dict)
    right: dict[str, Decimal] = defaultdict(Decimal)
    attributed: dict[str, Decimal] = defaultdict(Decimal)
    for sid, pr, method, weight in links:
        weights[sid][pr] = Decimal(weight)
        if sid in truth:
            right[method] += costs[sid] * min(Decimal(weight), truth[sid].get(pr, Decimal(0)))
            attributed[method] += costs[sid] * Decimal(weight)
    correct = total = Decimal(0)
    for sid, cost in costs.items():
        if sid not in truth:
            continue
        predicted = dict(weights.get(sid, {}))
        predicted[None] = 1 - sum(predicted.values())
        correct += cost * sum(min(v, truth[sid].get(k, Decimal(0))) for k, v in predicted.items())
        total += cost
    return AttributionScore(
        precision_by_method={m: right[m] / attributed[m] for m in attributed if attributed[m]},
        attributed_usd_by_method=dict(attributed),
        accuracy=correct / total if total else Decimal(0),
        unmapped_truth_sessions=len(unmapped),
    )


def classification_confusion(wh: Warehouse) -> dict[tuple[str, str], Decimal]:
    """Dollars by (truth intent, warehouse class).

    Per warehouse session, the overlap of the truth's intent distribution and the warehouse's
    class distribution is the diagonal; the rest of each side is spread over the other's
    off-diagonal classes in proportion (the usual decomposition of two distributions).
    """
    mapped, _, costs = map_truth_sessions(wh)
    truth = truth_distribution(wh, mapped, lambda t: t["intent"])
    predicted: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for sid, cls, usd in wh.query(
        "select session_id, spend_class, spend_usd from core.fct_session_spend"
    ):
        predicted[sid][cls] += Decimal(usd or 0)
    confusion = {(a, b): Decimal(0) for a in CLASSES for b in CLASSES}
    for sid, cost in costs.items():
        if sid not in truth or not cost:
            continue
        p = {k: v / cost for k, v in predicted[sid].items()}
        t = truth[sid]
        rest_t: dict[str, Decimal] = {}
        rest_p: dict[str, Decimal] = {}
        for k in CLASSES:
            both = min(t.get(k, Decimal(0)), p.get(k, Decimal(0)))
            confusion[(k, k)] += cost * both
            rest_t[k] = t.get(k, Decimal(0)) - both
            rest_p[k] = p.get(k, Decimal(0)) - both
        spread = sum(rest_p.values())
        if spread > 0:
            for a in CLASSES:
                for b in CLASSES:
                    if a != b and rest_t[a] > 0 and rest_p[b] > 0:
                        confusion[(a, b)] += cost * rest_t[a] * rest_p[b] / spread
    return confusion


def confusion_table(confusion: dict[tuple[str, str], Decimal]) -> str:
    """The confusion table as text (rows: truth intent; columns: warehouse class; USD)."""
    header = "truth \\ warehouse " + " ".join(f"{c[:11]:>11}" for c in CLASSES)
    lines = [header + "       total  recall"]
    for a in CLASSES:
        row = [confusion[(a, b)] for b in CLASSES]
        total = sum(row)
        recall = f"{confusion[(a, a)] / total:7.1%}" if total else "    n/a"
        lines.append(
            f"{a:>18} "
            + " ".join(f"{float(v):11.4f}" for v in row)
            + f" {float(total):11.4f} {recall}"
        )
    return "\n".join(lines)


def marts_snapshot(wh: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """Every outcome-side mart's rows, sorted: equal snapshots mean identical marts."""
    return {m: sorted(wh.query(f"select * from marts.{m}"), key=repr) for m in MARTS}
