"""What every ingest source shares: keys, time windows, the asset key scheme and the run wrapper.

Each source package has ``source.py`` (a ``@dlt.source`` that only talks HTTP through
:class:`~orchestration.lib.http.HttpClient`) and ``assets.py`` (``@dlt_assets`` partitioned by UTC
day). The wrapper here turns "no credential" into one log line and a skip, and a failure deep in
dlt's extract step back into the source's own clear message.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import dagster as dg
import dlt
import pyarrow as pa
from dagster_dlt import DagsterDltResource, DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.extract.source import DltSource

from orchestration.defs.ingest.arrow import rows_to_table
from orchestration.defs.partitions import window_days
from orchestration.lib import settings
from orchestration.lib.http import HttpClient, SourceError

# DuckDB allows one writer process per file: every asset that writes the warehouse runs in
# this pool (limit 1 in dagster.yaml / in-process runs are sequential anyway).
WAREHOUSE_POOL = "warehouse"
# Rows per item handed to dlt: its extract step pays a fixed cost per item (pipe step, hints,
# writer call), so a list of rows costs about what one row does.
ROWS_PER_ITEM = 1000
P = ParamSpec("P")
T = TypeVar("T")


def in_lists(rows: Iterable[Any], size: int = ROWS_PER_ITEM) -> Iterator[list[Any]]:
    """``rows`` in lists of at most ``size`` (never an empty list)."""
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def prefetched(items: Iterable[T]) -> Iterator[T]:
    """``items``, each produced on a background thread while the caller handles the previous one.

    For HTTP pages: the next page downloads while dlt extracts this one. The producer must be
    the only user of its HTTP client. Its exceptions are raised here, unchanged.
    """
    it = iter(items)
    end = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as pool:
        pending = pool.submit(next, it, end)
        while (item := pending.result()) is not end:
            pending = pool.submit(next, it, end)
            yield item  # type: ignore[misc]


def replaced_per(
    merge_key: str | tuple[str, ...],
    row_key: tuple[str, ...],
    columns: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """dlt hints for a table whose rows are replaced per ``merge_key`` value (a day, a PR).

    ``row_key`` names the columns that tell rows apart. Each row key belongs to one merge key
    value (it contains it or is derived from it), so replacing that value's rows already replaces
    the row with the same key. It is deliberately not dlt's ``primary_key``: with both, dlt
    deletes ``WHERE EXISTS (… d.key = s.key OR d.day = s.day)``. Unless both keys share a column,
    DuckDB and PostgreSQL cannot hash-join that OR and compare each staged row with each stored
    one: a night grew with the history (Anthropic's on PostgreSQL, 120 days: 20 s, now 1.5 s;
    dlt-hub/dlt#2752). ``primary_key: False`` clears the hint from schemas stored before; the
    key columns stay NOT NULL. dlt no longer drops a key repeated within a load: sources that
    page by number drop repeats themselves (``first_per_key``), and downstream the usage and
    seat facts test that their keys are unique.
    """
    keys = {name: {"primary_key": False, "nullable": False} for name in row_key}
    hints = dict(columns or {})
    for name, hint in keys.items():
        hints[name] = {**hints.get(name, {}), **hint}
    return {
        "merge_key": merge_key,
        "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
        "columns": hints,
    }


def first_per_key(rows: Iterable[dict[str, Any]], key: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """``rows`` without the repeats of a ``key`` already seen (the first one stays).

    A list paged by number repeats a row when it shifts between two page requests.
    """
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        value = tuple(row.get(name) for name in key)
        if value not in seen:
            seen.add(value)
            yield row


def yields_lists(rows: Callable[P, Iterator[Any]]) -> Callable[P, Iterator[list[Any]]]:
    """Make a row generator of a dlt resource yield lists of rows (see ``ROWS_PER_ITEM``).

    Goes under ``@dlt.resource``: name, docstring and signature stay the resource's own.
    """

    @functools.wraps(rows)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Iterator[list[Any]]:
        yield from in_lists(rows(*args, **kwargs))

    return wrapper


def yields_tables(
    schema: pa.Schema, vendor: str, endpoint: str
) -> Callable[[Callable[P, Iterator[dict[str, Any]]]], Callable[P, Iterator[pa.Table]]]:
    """Make a row generator of a dlt resource yield Arrow tables with ``schema``'s columns.

    dlt writes Arrow straight to parquet instead of normalising each row (see
    ``orchestration.defs.ingest.arrow``). Goes under ``@dlt.resource`` like ``yields_lists``.

    Raises:
        SourceError: a field holds a value its column cannot take (names the column).
    """

    def decorate(rows: Callable[P, Iterator[dict[str, Any]]]) -> Callable[P, Iterator[pa.Table]]:
        @functools.wraps(rows)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Iterator[pa.Table]:
            for batch in in_lists(rows(*args, **kwargs)):
                try:
                    yield rows_to_table(batch, schema)
                except TypeError as error:
                    raise SourceError(vendor, endpoint, f"{vendor} {endpoint}: {error}") from None

        return wrapper

    return decorate


def row_key(*parts: object) -> str:
    """A composite key for grouped report rows whose group columns may be null.

    dlt makes primary-key columns NOT NULL, but a report's ``workspace_id`` is legitimately null
    (the default workspace), so grouped rows get one string key over all group columns.
    A null part is empty: that is the key every warehouse holds, because the NUL marker used
    before never arrived (dlt's SQL loader strips NUL from text). Null and "" share a key.
    """
    return "|".join("" if p is None else str(p) for p in parts)


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(at: datetime) -> int:
    return int(at.timestamp()) * 1000 + at.microsecond // 1000


def day_bounds_ms_inclusive(day: date) -> tuple[int, int]:
    """Cursor's bounds are both inclusive: ``T00:00:00.000`` … ``T23:59:59.999``."""
    start = epoch_ms(day_start(day))
    return start, start + 86_400_000 - 1


def cents_to_usd(cents: Decimal | int | float | str | None) -> Decimal | None:
    """Cents (string, int or Decimal) to exact Decimal dollars."""
    if cents is None:
        return None
    return Decimal(str(cents)) / 100


def chunks(days: Sequence[date], size: int) -> Iterator[tuple[date, date]]:
    """Contiguous ``(first, last)`` day ranges of at most ``size`` days (vendor range limits)."""
    for i in range(0, len(days), size):
        part = days[i : i + size]
        yield part[0], part[-1]


def today_utc() -> date:
    return datetime.now(UTC).date()


class RawTranslator(DagsterDltTranslator):
    """Asset key ``raw_<source>/<table>``, group ``ingest_<source>``, no upstream stubs."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        table = str(data.resource.table_name)
        return spec.replace_attributes(
            key=dg.AssetKey([f"raw_{self.source}", table]),
            group_name=f"ingest_{self.source}",
            deps=[],
            # A source without credentials materialises nothing and that is not a failure.
            skippable=True,
            description=(data.resource.__doc__ or spec.description or "").strip() or None,
        ).merge_attributes(kinds={"dlt"})


def spec_pipeline(source: str) -> Any:
    """A pipeline used only to build asset specs at import time (never runs).

    Runs build their own pipeline from the warehouse resource; this one lives in a temp dir so
    that importing the definitions writes nothing into TOKENWORTH_HOME.
    """
    return dlt.pipeline(
        pipeline_name=f"tokenworth_{source}",
        pipelines_dir=str(Path(tempfile.gettempdir()) / "tokenworth-dlt-specs"),
        destination="duckdb",
        dataset_name=f"raw_{source}",
    )


def root_source_error(exc: BaseException) -> SourceError | None:
    """The :class:`SourceError` dlt wrapped (extract errors nest it a few levels deep)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, SourceError):
            return current
        stack.extend([current.__cause__, current.__context__])
        stack.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
        for attr in ("exception", "original_exception", "exc"):
            inner = getattr(current, attr, None)
            if isinstance(inner, BaseException):
                stack.append(inner)
    return None


# Metadata key of a materialisation that loaded nothing, and why (see completed_without_data).
SKIPPED = "skipped"


def completed_without_data(
    context: dg.AssetExecutionContext, reason: str, *, expected: bool = False
) -> Iterator[dg.MaterializeResult]:
    """Log ``reason`` (a warning, or info when ``expected``) and complete every asset of this
    step with nothing loaded, saying why in its metadata.

    A step that yields no output skips every step downstream of it in the run, and the dbt
    build is one step downstream of every source (dagster-io/dagster#9408): one source without
    credentials would silently leave the whole warehouse unbuilt. ``tokenworth run`` reports
    these assets as skipped, with the reason.
    """
    (context.log.info if expected else context.log.warning)(reason)
    for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
        yield dg.MaterializeResult(asset_key=key, metadata={SKIPPED: reason})


def run_source(
    *,
    context: dg.AssetExecutionContext,
    dlt_resource: DagsterDltResource,
    pipeline: Any,
    source: str,
    vendor: str,
    configured: bool,
    missing_variables: str,
    client_factory: Callable[[], HttpClient],
    build_source: Callable[[HttpClient, list[date]], DltSource],
) -> Iterator[Any]:
    """Load the days of this run into ``raw_<source>``, or skip with one clear line."""
    if not configured:
        reason = f"{vendor}: skipped — set {missing_variables} to load raw_{source}"
        yield from completed_without_data(context, reason)
        return
    days = window_days(context, settings.LOOKBACK_DAYS[source])
    client = client_factory()
    context.log.info(
        f"{vendor}: loading {days[0]}..{days[-1]} into raw_{source} "
        f"(lookback {settings.LOOKBACK_DAYS[source]} day(s))"
    )
    try:
        yield from dlt_resource.run(
            context=context, dlt_source=build_source(client, days), dlt_pipeline=pipeline
        )
    except Exception as exc:
        cause = root_source_error(exc)
        if cause is not None:
            # The dlt wrapper's text repeats pipeline internals; the cause says what to fix.
            raise dg.Failure(description=str(cause)) from None
        raise
    finally:
        context.log.info(
            f"{vendor}: {client.stats.requests} HTTP requests, {client.stats.retries} retries, "
            f"{client.stats.waited_seconds:.1f}s waited"
        )
        client.close()


def days_between(first: date, last: date) -> list[date]:
    """Days from ``first`` to ``last`` inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def usd() -> dict[str, Any]:
    """Column hint for exact USD amounts (a fresh dict: dlt mutates the hints it is given)."""
    return {"data_type": "decimal", "precision": 38, "scale": 12}


def columns(
    *,
    text: tuple[str, ...] = (),
    bigint: tuple[str, ...] = (),
    boolean: tuple[str, ...] = (),
    timestamp: tuple[str, ...] = (),
    decimal: tuple[str, ...] = (),
    json: tuple[str, ...] = (),
) -> dict[str, dict[str, Any]]:
    """Column hints for documented fields that may be null in every row of a load.

    dlt only creates a column once it sees a value; declaring the documented optional fields
    keeps the raw tables' shape stable for dbt (a missing optional field is a null column).
    """
    out: dict[str, dict[str, Any]] = {}
    for names, data_type in ((text, "text"), (bigint, "bigint"), (boolean, "bool"),
                             (timestamp, "timestamp"), (json, "json")):  # fmt: skip
        for name in names:
            out[name] = {"data_type": data_type, "nullable": True}
    for name in decimal:
        out[name] = {**usd(), "nullable": True}
    return out
