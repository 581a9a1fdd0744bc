"""``tokenworth sandbox serve``: generate a world, write its repositories and truth, serve it."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from datetime import date
from pathlib import Path

from sandbox.generate import build_world
from sandbox.gitrepos import clone_url_template, write_repositories
from sandbox.model import World
from sandbox.profiles import DEFAULT_SEED, PROFILES
from sandbox.reality import RealityOptions
from sandbox.telemetry import write_collector_files
from sandbox.truth import write_roster, write_truth


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile", choices=sorted(PROFILES), default="tiny", help="size of the organisation"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="the simulation's random seed"
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback only, by design")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--faults",
        default="",
        help="fault injection, e.g. rate=0.1,kinds=429,500,502,reset,timeout,truncated",
    )
    parser.add_argument(
        "--rate-limit-scale",
        type=float,
        default=1.0,
        help="multiply the vendors' per-minute request limits (benchmarks raise it)",
    )
    parser.add_argument(
        "--messy",
        action="store_true",
        help="send what real accounts send: every case of sandbox.reality at once "
        "(added to the profile's default cases; tiny's hold a few, demo's and large's none)",
    )
    parser.add_argument(
        "--mess",
        default="",
        metavar="CASES",
        help="add these real-world cases to the profile's default ones, e.g. "
        "forks,ghosts,no_copilot, or wrong answers (truncated_day,future_rows,negative_rows,"
        "duplicate_rows); 'tidy' first drops the defaults (see sandbox/reality.py)",
    )
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day the GitHub API and the git repositories answer for (default: the last day)",
    )
    parser.add_argument(
        "--telemetry-share",
        type=float,
        default=None,
        metavar="SHARE",
        help="share of Claude Code and Codex users whose agents export OpenTelemetry "
        "(default: the profile's, 1.0 for tiny, 0.5 otherwise)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write git repositories, truth.json and people.csv "
        "(default: $TOKENWORTH_HOME/sandbox/<profile> for the profile's default cases, "
        "<profile>-tidy for none, <profile>-messy for others)",
    )


def reality_of(args: argparse.Namespace) -> RealityOptions:
    """The profile's default real-world cases plus those ``--messy`` and ``--mess`` ask for
    (``--mess tidy`` starts from none; a bad name exits with usage)."""
    spec = ",".join(x for x in ("messy" if args.messy else "", args.mess) if x)
    try:
        return RealityOptions.parse(spec, base=RealityOptions.parse(PROFILES[args.profile].reality))
    except ValueError as exc:
        print(f"tokenworth sandbox serve: {exc}", file=sys.stderr)
        raise SystemExit(2) from None  # a bad command line, as the CLI's exit codes say


def prepare(
    profile: str,
    seed: int,
    out: Path,
    reality: RealityOptions | None = None,
    as_of: date | None = None,
    telemetry_share: float | None = None,
) -> World:
    """Generate the world and write everything the pipeline and the tests read from disk
    (repositories as of ``as_of``, default the world's last day; the agents' OpenTelemetry in
    ``out/otel``, the Collector's files, for ``telemetry_share`` of their users)."""
    world = build_world(profile, seed, reality, telemetry_share)
    write_repositories(world, out, as_of)
    write_truth(world, out / "truth.json")
    write_roster(world, out / "people.csv")
    write_collector_files(world, out / "otel")
    return world


def out_name(profile: str, reality: RealityOptions) -> str:
    """The directory under ``$TOKENWORTH_HOME/sandbox`` a world is written to: the profile's name
    for its default world, ``<profile>-tidy`` for a tidy world when the profile's default is not,
    ``<profile>-messy`` for any other choice of cases."""
    if reality == RealityOptions.parse(PROFILES[profile].reality):
        return profile
    return f"{profile}-tidy" if reality.is_tidy else f"{profile}-messy"


def serve(args: argparse.Namespace, home: Path) -> int:
    from sandbox.server import SandboxServer  # the HTTP stack is only needed to serve

    reality = reality_of(args)
    out: Path = args.out or home / "sandbox" / out_name(args.profile, reality)
    started = time.monotonic()
    world = prepare(args.profile, args.seed, out, reality, args.as_of, args.telemetry_share)
    server = SandboxServer(
        world,
        host=args.host,
        port=args.port,
        faults=args.faults,
        rate_limit_scale=args.rate_limit_scale,
        as_of=args.as_of,
    )
    server.start()
    print(
        f"# tokenworth sandbox: profile {world.profile}, seed {world.seed}, "
        f"{len(world.people)} people, {len(world.sessions)} AI sessions, "
        f"{sum(len(r.pull_requests) for r in world.repositories)} pull requests, "
        f"days {world.start} to {world.end} (exclusive); "
        f"ready in {time.monotonic() - started:.1f}s",
    )
    if not reality.is_tidy:
        print(f"# real-world cases: {', '.join(reality.enabled())}")
    print(f"# truth: {out / 'truth.json'}")
    for line in server.exports(clone_url_template(out)):
        print(line)
    print(f"export TOKENWORTH_PEOPLE_FILE={out / 'people.csv'}")
    print(f"export TOKENWORTH_OTEL_PATH={out / 'otel'}")
    print("# serving until interrupted (Ctrl-C)", flush=True)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    server.stop()
    print("# sandbox stopped", file=sys.stderr)
    return 0
