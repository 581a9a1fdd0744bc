"""What every ingest source's ``source.py`` shares: dlt hints, keys, units and time windows.

The sources themselves are declared in ``sources.py``; this module holds no Dagster objects.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import islice
from typing import Any, ParamSpec, Protocol, TypeVar

import pyarrow as pa

from orchestration.defs.ingest.arrow import rows_to_table
from orchestration.lib.http import SourceError


class SourceNotes(Protocol):
    """Where a source reports what is not a failure of the whole source.

    ``product_not_available``: the organisation does not have a product (Copilot metrics
    answering 404, Cursor's AI Code Tracking below Enterprise): one warning, no rows, a row in
    ``raw_tokenworth.source_runs``. ``item_failed``: one item (a repository) could not be read;
    the others load, then the source's step fails naming it.
    """

    def product_not_available(self, product: str, reason: str) -> None: ...

    def item_failed(self, item: str, reason: str) -> None: ...


class LoggedNotes:
    """:class:`SourceNotes` that log and remember (for a source run outside Dagster)."""

    def __init__(self, log: Any) -> None:
        self.log = log
        self.not_available: dict[str, str] = {}
        self.failed: dict[str, str] = {}

    def product_not_available(self, product: str, reason: str) -> None:
        if product not in self.not_available:
            self.log.warning(reason)
        self.not_available[product] = reason

    def item_failed(self, item: str, reason: str) -> None:
        self.log.warning(reason)
        self.failed[item] = reason


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


def archived_per(
    day: str,
    row_key: tuple[str, ...],
    columns: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """dlt hints for a day-keyed table kept as an archive of versions (``archive.py``).

    Rows are appended, each stamped with its load (``_tokenworth_load_id``); which version of a
    day staging reads is decided by ``raw_tokenworth.day_versions``. ``day`` and ``row_key``
    stay ``NOT NULL``; the table's spec (``ArchivedTable``) is registered in ``sources.py``.
    """
    hints = dict(columns or {})
    for name in dict.fromkeys((day, *row_key)):
        hints[name] = {**hints.get(name, {}), "primary_key": False, "nullable": False}
    # dlt's partition hint (DuckDB and PostgreSQL ignore it): the Spark lake publishes such a
    # table one Parquet file per day (orchestration/lib/lake.py), as it does a merged daily table.
    hints[day] = {**hints[day], "partition": True}
    hints["_tokenworth_load_id"] = {"data_type": "text", "nullable": True}
    return {"write_disposition": "append", "columns": hints}


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
