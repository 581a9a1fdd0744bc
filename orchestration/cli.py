"""The ``tokenworth`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TextIO


def _home(create: bool = False) -> Path:
    from orchestration.lib import settings

    return settings.tokenworth_home(create=create)


def _say(line: str) -> None:
    print(f"tokenworth run: {line}", flush=True)


def _say_on(stream: TextIO) -> Callable[[str], None]:
    """Progress lines written to ``stream`` (the terminal while logs go to a file)."""

    def say(line: str) -> None:
        print(f"tokenworth run: {line}", file=stream, flush=True)

    return say


def _run(start: date, end: date | None, verbose: bool) -> int:
    """``tokenworth run``: progress, the summary, and the documented exit code (0, 1, 2 or 3)."""
    from orchestration import console
    from orchestration.lib.lock import RunLockedError
    from orchestration.lib.warehouse import WarehouseConfigError, WarehouseUnreachableError
    from orchestration.run import (
        EXIT_BAD_CONFIGURATION,
        EXIT_BUILD_FAILED,
        check_can_start,
        run_partitions,
    )

    try:
        # Refuse bad input before anything is written (a log file included).
        first, last = check_can_start(start, end)
        days = (last - first).days + 1
        _say(f"{days:,} day(s), {first}..{last}: extracting every source, then building")
        if verbose:
            summary = run_partitions(start, end, progress=_say)
        else:
            log = console.log_path(_home(create=True), "run")
            _say(f"Dagster's and dbt's logs go to {log}")
            summary = console.with_progress(
                lambda terminal: run_partitions(start, end, progress=_say_on(terminal)), log
            )
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
    for line in summary.held:
        print(f"  HELD {line}", file=sys.stderr)
    outcome = {
        0: "every source loaded and the warehouse was built",
        1: "some input failed or was held (above); the warehouse was built from everything else",
        3: "the warehouse build failed (above); fix it and run the same days again",
    }[summary.exit_code]
    print(
        f"tokenworth run: exit {summary.exit_code}: {outcome}",
        file=sys.stderr if summary.exit_code else sys.stdout,
    )
    return summary.exit_code


def _archive(args: argparse.Namespace) -> int:
    """``tokenworth archive held`` and ``tokenworth archive accept <source> <day>``."""
    from orchestration.defs.ingest import archive
    from orchestration.defs.resources import WarehouseResource
    from orchestration.lib import settings

    warehouse = WarehouseResource(
        url=settings.env(settings.TOKENWORTH_WAREHOUSE_URL), home=str(_home())
    )
    if args.archive_command == "held":
        held = archive.held_days(warehouse)
        for day in held:
            print(f"{day.source} {day.table_name} {day.day}: {day.message}")
        print(f"tokenworth archive: {len(held)} held day(s)")
        return 0
    accepted = archive.accept(warehouse, args.source, args.day, _StderrLog())
    if not accepted:
        print(
            f"tokenworth archive: nothing held for {args.source} on {args.day}: "
            "`tokenworth archive held` lists what is",
            file=sys.stderr,
        )
        return 1
    tables = ", ".join(day.table_name for day in accepted)
    print(
        f"tokenworth archive: accepted {args.source} {tables} {args.day}; the next build reads "
        f"it (tokenworth run --start {args.day})"
    )
    return 0


class _StderrLog:
    def info(self, msg: str, *args: object) -> None:
        print(msg, file=sys.stderr)

    def warning(self, msg: str, *args: object) -> None:
        print(msg, file=sys.stderr)

    def error(self, msg: str, *args: object) -> None:
        print(msg, file=sys.stderr)


def _hooks(args: argparse.Namespace) -> int:
    from orchestration.hooks import HookError, hook_source, install

    if args.hooks_command == "path":
        print(hook_source().parent)
        return 0
    try:
        target = install(args.repo)
    except HookError as error:
        print(f"tokenworth hooks install: {error}", file=sys.stderr)
        return 1
    print(f"tokenworth hooks install: {target} adds AI-Session trailers to agents' commits")
    return 0


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-01"
        ) from None


class _DefaultsFormatter(argparse.HelpFormatter):
    """Help that ends each option with its default, unless it has none or already says it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            not action.option_strings
            or action.default in (None, False, "", argparse.SUPPRESS)
            or "default" in text
        ):
            return text
        return f"{text} (default: %(default)s)".strip()


class _DefaultsParser(argparse.ArgumentParser):
    """A subcommand parser whose --help lists each option's default."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _DefaultsFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def build_parser() -> argparse.ArgumentParser:
    from importlib.metadata import version

    parser = argparse.ArgumentParser(
        prog="tokenworth",
        description="What did our AI coding spend buy? The nightly pipeline and its sandbox.",
        epilog="Exit codes of `run`: 0 everything loaded and built; 1 some input failed (or a "
        "vendor's answer was held back from the raw archive), the warehouse was built from the "
        "rest; 2 bad configuration or command line (or another run "
        "holds TOKENWORTH_HOME); 3 the warehouse build failed.",
    )
    parser.add_argument(
        "--version", action="version", version=f"tokenworth {version('tokenworth')}"
    )
    # Every subcommand's --help shows each option's default.
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_DefaultsParser)

    run = commands.add_parser(
        "run",
        help="materialise every asset for the given UTC days (the nightly job's code path)",
    )
    run.add_argument("--start", type=_day, required=True, help="first day, YYYY-MM-DD")
    run.add_argument("--end", type=_day, help="last day, inclusive (default: the --start day)")
    run.add_argument(
        "--verbose",
        action="store_true",
        help="stream Dagster's and dbt's logs here instead of into $TOKENWORTH_HOME/logs/",
    )

    demo = commands.add_parser(
        "demo", help="run the whole pipeline on the sandbox and print a summary from the marts"
    )
    demo.add_argument(
        "--profile",
        choices=("tiny", "demo", "large"),
        default="demo",
        help="size of the simulated organisation",
    )
    demo.add_argument("--seed", type=int, default=7, help="the simulation's random seed")

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
    bench.add_argument(
        "--profile", choices=("tiny", "demo", "large"), default="large", help="sandbox profile"
    )
    bench.add_argument(
        "--days",
        type=int,
        help="days of history: the profile's last N days (default: 120), or with --synthetic "
        "the synthetic history's length (default: 365)",
    )
    bench.add_argument(
        "--synthetic",
        action="store_true",
        help="measure dbt alone on raw tables written straight into a scratch DuckDB file, "
        "tiled from the --template profile's warehouse (extracted once over HTTP and cached; no "
        "extraction at the measured size): a full build, nightly builds, peak RSS and the "
        "hand-written floor query; ignores --steps",
    )
    bench.add_argument(
        "--engineers",
        type=int,
        default=2000,
        help="--synthetic: engineers (rounded up to whole copies of the template's people)",
    )
    bench.add_argument(
        "--short-days",
        type=int,
        default=30,
        help="--synthetic: the shorter history the nightly is also measured on (0: none)",
    )
    bench.add_argument(
        "--nightlies", type=int, default=3, help="--synthetic: nightly dbt builds per history"
    )
    bench.add_argument(
        "--template",
        choices=("tiny", "demo", "large"),
        default="demo",
        help="--synthetic: the profile extracted once (cached) and tiled",
    )
    bench.add_argument(
        "--no-floor", action="store_true", help="--synthetic: skip the hand-written floor query"
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
    bench.add_argument(
        "--demo-profile",
        choices=("tiny", "demo", "large"),
        default="demo",
        help="profile of the demo step",
    )
    bench.add_argument("--seed", type=int, default=7, help="the simulation's random seed")

    hooks = commands.add_parser(
        "hooks", help="the git hook that writes an AI agent's session id into its commits"
    )
    hooks_commands = hooks.add_subparsers(dest="hooks_command", required=True)
    install = hooks_commands.add_parser(
        "install",
        help="install the prepare-commit-msg hook that adds `AI-Session: <agent>/<id>` to "
        "commits an agent makes (Claude Code: CLAUDE_CODE_SESSION_ID); people's commits are "
        "left untouched",
    )
    install.add_argument(
        "repo", nargs="?", type=Path, default=Path("."), help="the repository (default: here)"
    )
    hooks_commands.add_parser(
        "path",
        help="print the hook's directory, for `git config [--global] core.hooksPath` instead",
    )

    archive = commands.add_parser(
        "archive",
        help="the raw archive's held days: loads that dropped too much of a stored day "
        "(docs/architecture.md, 'The raw archive')",
    )
    archive_commands = archive.add_subparsers(dest="archive_command", required=True)
    archive_commands.add_parser(
        "held", help="list the days whose newest load is held (the stored version is read)"
    )
    accept = archive_commands.add_parser(
        "accept",
        help="accept a source's held load of a day (the vendor's figure is right): the next "
        "build reads it",
    )
    accept.add_argument("source", help="anthropic, openai, cursor or copilot")
    accept.add_argument("day", type=_day, help="the UTC day, YYYY-MM-DD")

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
    if args.command == "bench" and args.synthetic:
        from orchestration.bench.runner import Synthetic, run_synthetic

        days = 365 if args.days is None else args.days
        if days < 1 or args.engineers < 1 or args.short_days < 0 or args.nightlies < 1:
            print(
                "tokenworth bench --synthetic: --days, --engineers and --nightlies must be at "
                "least 1, --short-days at least 0",
                file=sys.stderr,
            )
            return 2
        home = _home().resolve()
        return run_synthetic(
            Synthetic(
                engineers=args.engineers,
                days=days,
                short_days=min(args.short_days, days),
                out=args.out or home / "bench-synthetic.json",
                work=home / "bench",
                template=args.template,
                seed=args.seed,
                nightlies=args.nightlies,
                floor=not args.no_floor,
            )
        )
    if args.command == "bench":
        from orchestration.bench.runner import ALL_STEPS, Bench, run

        if args.days is None:
            args.days = 120
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
        return _run(args.start, args.end, args.verbose)
    if args.command == "hooks":
        return _hooks(args)
    if args.command == "archive":
        return _archive(args)
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
