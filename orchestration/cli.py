"""The ``tokenworth`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path


def _home() -> Path:
    return Path(os.environ.get("TOKENWORTH_HOME", ".tokenworth"))


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
    if args.command == "run":
        from orchestration.run import run_partitions

        try:
            summary = run_partitions(args.start, args.end)
        except ValueError as error:
            print(f"tokenworth run: {error}", file=sys.stderr)
            return 2
        assets = sorted(set(summary.materialized))
        print(
            f"tokenworth run {summary.start}..{summary.end} (run {summary.run_id}): "
            f"{len(assets)} assets materialised"
        )
        for step, message in sorted(summary.failures.items()):
            print(f"  FAILED {step}: {message}", file=sys.stderr)
        return 0 if summary.success else 1
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
