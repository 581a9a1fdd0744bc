"""The ``tokenworth`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path


def _home() -> Path:
    from orchestration.lib import settings

    return settings.tokenworth_home(create=False)


def _say(line: str) -> None:
    print(f"tokenworth run: {line}", flush=True)


def _run(start: date, end: date | None) -> int:
    """``tokenworth run``: the summary, and the documented exit code (0, 1, 2 or 3)."""
    from orchestration.lib.lock import RunLockedError
    from orchestration.lib.warehouse import WarehouseConfigError, WarehouseUnreachableError
    from orchestration.run import EXIT_BAD_CONFIGURATION, EXIT_BUILD_FAILED, run_partitions

    try:
        summary = run_partitions(start, end, progress=_say)
    except (ValueError, WarehouseConfigError, RunLockedError) as error:
        print(f"tokenworth run: {error}", file=sys.stderr)
        return EXIT_BAD_CONFIGURATION
    except WarehouseUnreachableError as error:
        print(f"tokenworth run: {error}", file=sys.stderr)
        return EXIT_BUILD_FAILED
    print(
        f"tokenworth run {summary.start}..{summary.end} (runs {summary.run_id}"
        + (f", {summary.transform_run_id}" if summary.transform_run_id else "")
        + f"): {len(set(summary.materialized))} assets materialised"
    )
    for line in sorted(set(summary.skipped)):
        print(f"  skipped {line}")
    for line in sorted(set(summary.not_available)):
        print(f"  not available {line}")
    for step, message in sorted(summary.failures.items()):
        print(f"  FAILED {step}: {message}", file=sys.stderr)
    outcome = {
        0: "every source loaded and the warehouse was built",
        1: "some input failed (above); the warehouse was built from everything else",
        3: "the warehouse build failed (above); fix it and run the same days again",
    }[summary.exit_code]
    print(
        f"tokenworth run: exit {summary.exit_code}: {outcome}",
        file=sys.stderr if summary.exit_code else sys.stdout,
    )
    return summary.exit_code


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-01"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokenworth",
        description="What did our AI coding spend buy? The nightly pipeline and its sandbox.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="materialise every asset for the given UTC days (the nightly job's code path)",
    )
    run.add_argument("--start", type=_day, required=True, help="first day, YYYY-MM-DD")
    run.add_argument("--end", type=_day, help="last day, inclusive (default: --start)")

    demo = commands.add_parser(
        "demo", help="run the whole pipeline on the sandbox and print a summary from the marts"
    )
    demo.add_argument("--profile", choices=("tiny", "demo", "large"), default="demo")
    demo.add_argument("--seed", type=int, default=7)

    report = commands.add_parser(
        "report", help="rebuild the offline HTML report from the marts of the configured warehouse"
    )
    report.add_argument(
        "--out", type=Path, help="where to write it (default: $TOKENWORTH_HOME/report.html)"
    )

    bench = commands.add_parser(
        "bench",
        help="performance figures on a sandbox profile: requests, load, dbt, nightly, memory",
    )
    bench.add_argument("--profile", choices=("tiny", "demo", "large"), default="large")
    bench.add_argument(
        "--days", type=int, default=120, help="days of history (the profile's last N days)"
    )
    bench.add_argument(
        "--steps",
        default="github,load,dbt,nightly,durability,demo",
        help="comma-separated subset of github,load,dbt,nightly,durability,demo",
    )
    bench.add_argument("--out", type=Path, help="JSON file (default: $TOKENWORTH_HOME/bench.json)")
    bench.add_argument("--load-days", type=int, default=7, help="days the load step extracts")
    bench.add_argument(
        "--repeats", type=int, default=2, help="load step: best of this many runs per source"
    )
    bench.add_argument("--demo-profile", choices=("tiny", "demo", "large"), default="demo")
    bench.add_argument("--seed", type=int, default=7)

    sandbox = commands.add_parser("sandbox", help="the simulated organisation")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    from sandbox.cli import add_arguments

    add_arguments(sandbox_commands.add_parser("serve", help="serve a simulated org over HTTP"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "sandbox":
        from sandbox.cli import serve

        return serve(args, _home())
    if args.command == "demo":
        from orchestration.demo import run_demo

        return run_demo(args.profile, _home(), args.seed)
    if args.command == "report":
        from orchestration.lib.warehouse import WarehouseConfigError
        from orchestration.report import ReportDataError, write_report

        try:
            path = write_report(args.out or _home() / "report.html")
        except (ReportDataError, WarehouseConfigError) as error:
            print(f"tokenworth report: {error}", file=sys.stderr)
            return 1
        print(f"tokenworth report: wrote {path.resolve()}")
        return 0
    if args.command == "bench":
        from orchestration.bench.runner import ALL_STEPS, Bench, run

        steps = tuple(s.strip() for s in args.steps.split(",") if s.strip())
        unknown = sorted(set(steps) - set(ALL_STEPS))
        if unknown or not steps or args.days < 1 or args.load_days < 1:
            print(
                f"tokenworth bench: --steps must be a subset of {','.join(ALL_STEPS)} "
                f"(unknown: {','.join(unknown) or 'none'}); --days and --load-days at least 1",
                file=sys.stderr,
            )
            return 2
        home = _home().resolve()
        bench = Bench(
            profile=args.profile,
            days=args.days,
            steps=steps,
            out=args.out or home / "bench.json",
            work=home / "bench",
            seed=args.seed,
            demo_profile=args.demo_profile,
            load_days=args.load_days,
            repeats=max(1, args.repeats),
        )
        return run(bench)
    if args.command == "run":
        return _run(args.start, args.end)
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
