"""``raw_tokenworth.source_runs``: what every source did in every run, for analysts and the CLI.

Each extraction step writes one row for its source when it ends — loaded, failed (with the
reason), skipped because it is not configured or switched off — and one row per product the
organisation does not have (Copilot metrics answering 404, Cursor's AI Code Tracking below
Enterprise). dbt turns the rows into each source's freshness (``mart_source_freshness``) and data
quality; ``tokenworth run`` reads its own run's rows back for its summary.

Rows are written with one parameterised INSERT when the table exists (a dlt load costs ~0.5 s of
set-up per call, paid by every step of every night otherwise); the first write, and destinations
without SQL, go through dlt, which creates the table.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg
import dlt

from orchestration.lib.http import SourceError
from orchestration.lib.redact import redact

DATASET = "tokenworth"
TABLE = "source_runs"
# Statuses of a source_runs row.
LOADED = "loaded"
# Loaded, except the items (repositories) named in the message: the step still failed.
PARTIAL = "partial"
FAILED = "failed"
NOT_AVAILABLE = "not_available"
NOT_CONFIGURED = "not_configured"
DISABLED = "disabled"

_COLUMNS: dict[str, dict[str, Any]] = {
    "run_id": {"data_type": "text", "nullable": False},
    "source": {"data_type": "text", "nullable": False},
    "product": {"data_type": "text", "nullable": True},
    "status": {"data_type": "text", "nullable": False},
    "first_day": {"data_type": "date", "nullable": True},
    "last_day": {"data_type": "date", "nullable": True},
    "started_at": {"data_type": "timestamp", "nullable": False},
    "finished_at": {"data_type": "timestamp", "nullable": False},
    "message": {"data_type": "text", "nullable": True},
}


@dataclass
class SourceRun:
    """One source's outcome in one run (and the products it found missing)."""

    run_id: str
    source: str
    first_day: date | None
    last_day: date | None
    log: Any = field(default=None, repr=False)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    not_available: dict[str, str] = field(default_factory=dict)
    failed_items: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(
        cls, context: dg.AssetExecutionContext, source: str, days: Sequence[date]
    ) -> SourceRun:
        return cls(
            run_id=context.run_id,
            source=source,
            first_day=days[0] if days else None,
            last_day=days[-1] if days else None,
            log=context.log,
        )

    def product_not_available(self, product: str, reason: str) -> None:
        """The organisation lacks ``product`` (not a failure: one warning, no rows)."""
        if product not in self.not_available:
            self.log.warning(reason)
        self.not_available[product] = reason

    def item_failed(self, item: str, reason: str) -> None:
        """One item (a repository) failed; the rest loads, then the step fails naming it."""
        self.log.error(reason)
        self.failed_items[item] = reason

    def failed_items_message(self, vendor: str) -> str:
        items = sorted(self.failed_items)
        return redact(
            f"{vendor}: {len(items)} of the items failed and were not loaded "
            f"({', '.join(items)}): "
            + "; ".join(self.failed_items[i] for i in items)
            + " — the rest loaded"
        )

    def _row(self, status: str, message: str | None, product: str | None = None) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "source": self.source,
            "product": product,
            "status": status,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "started_at": self.started_at,
            "finished_at": datetime.now(UTC),
            "message": redact(message) if message else None,
        }

    def finish_loaded(self, warehouse: Any, log: Any, message: str | None = None) -> None:
        rows = [self._row(LOADED, message)]
        rows += [
            self._row(NOT_AVAILABLE, why, product) for product, why in self.not_available.items()
        ]
        record(warehouse, rows, log)

    def finish_failed(
        self, warehouse: Any, message: str, log: Any, *, partial: bool = False
    ) -> None:
        """Record a failure; ``partial`` when everything but the named items loaded."""
        rows = [self._row(PARTIAL if partial else FAILED, message)]
        if partial:
            rows += [
                self._row(NOT_AVAILABLE, why, product)
                for product, why in self.not_available.items()
            ]
        record(warehouse, rows, log)

    def finish_skipped(
        self, warehouse: Any, status: str, message: str, log: Any, *, expected: bool = False
    ) -> None:
        """Record a skip; logged as a warning unless switched off or ``expected`` (optional)."""
        (log.info if expected or status == DISABLED else log.warning)(message)
        record(warehouse, [self._row(status, message)], log)


def run_deadline(context: dg.AssetExecutionContext, timeout_seconds: float) -> float:
    """The ``time.monotonic()`` instant by which this run's extraction must end: the run's start
    plus ``TOKENWORTH_RUN_TIMEOUT_SECONDS`` (the same instant for every step of the run)."""
    record_ = context.instance.get_run_record_by_id(context.run_id)
    started = (record_.start_time if record_ else None) or time.time()
    return time.monotonic() + (started + timeout_seconds - time.time())


def record(warehouse: Any, rows: list[dict[str, Any]], log: Any) -> None:
    """Append ``rows`` to ``raw_tokenworth.source_runs``; a failure to record is logged, never
    raised (the step's own outcome matters more than its bookkeeping)."""
    append_rows(warehouse, TABLE, _COLUMNS, rows, log)


def append_rows(
    warehouse: Any,
    table: str,
    columns: dict[str, dict[str, Any]],
    rows: list[dict[str, Any]],
    log: Any,
    *,
    strict: bool = False,
) -> None:
    """Append ``rows`` to ``raw_tokenworth.<table>``; a failure is logged (raised if
    ``strict``)."""
    if not rows:
        return
    try:
        pipeline = warehouse.pipeline(DATASET)
        if _insert(pipeline, table, columns, rows):
            return
        pipeline.run(dlt.resource(rows, name=table, write_disposition="append", columns=columns))
    except Exception as exc:  # the warehouse itself may be what failed
        if strict:
            raise
        log.error(f"could not record rows in raw_{DATASET}.{table}: {redact(str(exc))}")


def _insert(
    pipeline: Any, table_name: str, columns_: dict[str, dict[str, Any]], rows: list[dict[str, Any]]
) -> bool:
    """INSERT through the destination's SQL client when the table exists; False otherwise."""
    try:
        client_factory = pipeline.sql_client
        with client_factory() as client:
            if not client.has_dataset():
                return False
            table = client.make_qualified_table_name(table_name)
            names = [*columns_, "_dlt_load_id", "_dlt_id"]
            columns = ", ".join(client.escape_column_name(n) for n in names)
            marks = ", ".join(["%s"] * len(names))
            load_id = f"tokenworth-{uuid.uuid4().hex[:12]}"
            # Probe first: a missing table must fail before any row is written.
            client.execute_sql(f"select 1 from {table} where 1 = 0")
            for row in rows:
                values = [row[n] for n in columns_] + [load_id, uuid.uuid4().hex[:14]]
                client.execute_sql(f"insert into {table} ({columns}) values ({marks})", *values)
            return True
    except Exception as exc:
        if missing_table(exc):
            return False
        raise


def query(
    warehouse: Any, table_name: str, sql: str, *args: Any, with_names: bool = False
) -> list[Any]:
    """Rows of ``sql`` over ``raw_tokenworth.<table_name>`` (``{table}`` in ``sql``); empty when
    the table does not exist yet."""
    try:
        with warehouse.pipeline(DATASET).sql_client() as client:
            if not client.has_dataset():
                return []
            table = client.make_qualified_table_name(table_name)
            with client.execute_query(sql.format(table=table), *args) as cursor:
                rows = cursor.fetchall()
                names = [d[0] for d in cursor.description] if with_names else []
    except Exception as exc:
        if missing_table(exc):
            return []
        raise
    if with_names:
        return [dict(zip(names, r, strict=True)) for r in rows]
    return list(rows)


def missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return "does not exist" in text or "not found" in text or "no such table" in text


def source_failure(exc: BaseException) -> dg.Failure:
    """The ``dg.Failure`` a step raises for ``exc``: the source's own message when dlt wrapped a
    :class:`SourceError`, else the exception's first line; credentials redacted."""
    cause = root_source_error(exc)
    if cause is not None:
        # The dlt wrapper's text repeats pipeline internals; the cause says what to fix.
        return dg.Failure(description=redact(str(cause)))
    if isinstance(exc, dg.Failure):
        return dg.Failure(description=redact(exc.description or ""), metadata=exc.metadata)
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return dg.Failure(description=redact(f"{type(exc).__name__}: {first}"))


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


def run_rows(warehouse: Any, run_id: str) -> list[dict[str, Any]]:
    """This run's rows of ``source_runs`` (empty when nothing was recorded)."""
    try:
        with warehouse.pipeline(DATASET).sql_client() as client:
            if not client.has_dataset():
                return []
            table = client.make_qualified_table_name(TABLE)
            with client.execute_query(
                f"select source, product, status, message from {table} where run_id = %s "
                "order by source, product nulls first",
                run_id,
            ) as cursor:
                rows = cursor.fetchall()
    except Exception as exc:
        if missing_table(exc):
            return []
        raise
    return [dict(zip(("source", "product", "status", "message"), r, strict=True)) for r in rows]


__all__ = [
    "DISABLED",
    "FAILED",
    "LOADED",
    "NOT_AVAILABLE",
    "NOT_CONFIGURED",
    "PARTIAL",
    "SourceRun",
    "record",
    "run_rows",
    "source_failure",
]
