"""The raw layer as an archive that never loses (issue 23): versions, holds, quarantine, repeats.

Vendors keep short windows (days to weeks) and sometimes answer part of a day (an outage, a
truncated page sequence). So the day-keyed tables of the vendor usage sources (``ARCHIVED`` in
``sources.py``) are *appended*, never replaced:

- **Versions.** Every row a load writes carries ``_tokenworth_load_id`` (sortable: the load's UTC
  start, then a random suffix). After dlt has loaded, :func:`record_versions` writes one row per
  (table, day, load) to ``raw_tokenworth.day_versions``: rows, cost, tokens, repeats and
  quarantined rows, the version it was compared with, and a status:

  ``applied``    the first version of the day, or one that drops at most ``max_drop`` of the
                 stored version's rows and cost (``TOKENWORTH_ARCHIVE_MAX_DROP``, default 0.2);
  ``unchanged``  identical to the version staging reads (every column, every row): its rows are
                 deleted again right after the load. Every night re-reads its lookback days, so
                 storing identical copies would multiply the archive by the lookback with no
                 information; the ledger row still records that the vendor answered the same;
  ``held``       drops more than ``max_drop`` of the rows or the cost: kept in the archive, not
                 read by staging, reported in ``mart_data_quality`` and the run's summary (exit
                 code 1) until the operator runs ``tokenworth archive accept <source> <day>``;
  ``confirmed``  drops more than ``max_drop``, but the vendor's own total for the day (Cursor's
                 ``totalUsageEventsCount``) equals the rows received: applied;
  ``accepted``   appended by ``tokenworth archive accept`` for a held version: applied.

  Staging reads, per day, the newest version (largest load id) whose status is applied,
  confirmed or accepted (the ``archived_source`` dbt macro); rows loaded before the archive
  existed (no load id) are read while the day has no such version.

- **Quarantine.** :class:`Gate` sits between each archived resource and dlt (a pipe step, see
  :func:`guard`) and keeps impossible rows out of the raw tables: negative tokens or money,
  a day after the run's day or a timestamp after the run began, and money without any tokens
  where the vendor always reports tokens. They go to ``raw_tokenworth.quarantined_rows`` with
  the reason, the row's key and day, and the row itself as JSON.

- **Repeats.** A key the vendor sends twice in one load keeps its first row; the repeats are
  counted per day in the ledger (``duplicate_row_count``).

Why not dlt's own features: a ``primary_key`` with ``merge`` would drop repeats, but silently
(nothing to count) and it replaces the stored row, which is what loses history; dlt's schema
contracts (``data_type: freeze``) judge columns and types, not values (a negative cost is a valid
decimal), and a ``discard_row`` contract drops rows without saying which or why. The raw tables
still use dlt's column hints (keys ``NOT NULL``) and its ``append`` disposition.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.extract.items_transform import MapItem

from orchestration.defs.ingest import status
from orchestration.lib import settings

LOAD_ID = "_tokenworth_load_id"
VERSIONS = "day_versions"
QUARANTINE = "quarantined_rows"

APPLIED = "applied"
UNCHANGED = "unchanged"
HELD = "held"
CONFIRMED = "confirmed"
ACCEPTED = "accepted"
# The statuses whose version staging may read (the newest one per day wins).
READABLE = (APPLIED, CONFIRMED, ACCEPTED)

NEGATIVE = "negative"
FUTURE = "future"
COST_WITHOUT_TOKENS = "cost_without_tokens"

_NAMING = NamingConvention()


@dataclass(frozen=True)
class ArchivedTable:
    """A day-keyed raw table kept as versions, and what makes one of its rows impossible.

    Attributes:
        table: the dlt resource's table name.
        day: the column holding the row's UTC day (a date, or ISO text).
        key: the columns that tell rows apart within a load (after dlt's naming).
        platform: the platform its rows count for in ``mart_data_quality``.
        cost: the money column summed into the ledger (its own unit: USD, or cents for Cursor).
        tokens: token columns, summed into the ledger; with ``money``, never negative.
        money: every money column, never negative (``cost`` included).
        timestamps: columns that may not be after the run began.
        whole_window: the answer covers every day asked for (a day without rows has none); a
            snapshot table (seats, spend) only has the days it sends.
        cost_needs_tokens: the vendor always reports tokens with a cost: money without any
            token is impossible.
        vendor_total: a column holding the vendor's own row count for the day, which confirms a
            drop beyond ``max_drop`` when it equals the rows received.
    """

    table: str
    day: str
    key: tuple[str, ...]
    platform: str
    cost: str | None = None
    tokens: tuple[str, ...] = ()
    money: tuple[str, ...] = ()
    timestamps: tuple[str, ...] = ()
    whole_window: bool = True
    cost_needs_tokens: bool = False
    vendor_total: str | None = None

    @property
    def non_negative(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys((*self.tokens, *self.money, *((self.cost,) if self.cost else ())))
        )


def new_load_id(now: datetime | None = None) -> str:
    """A load id that sorts by time: ``20261207T052218123456Z-3fa1b2``."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{at:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:6]}"


def _as_day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _as_instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A dict row's values under the column names dlt gives them (snake_case, ``__`` nesting)."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        column = prefix + _NAMING.normalize_identifier(str(name))
        if isinstance(value, dict):
            out.update(_flat(value, column + "__"))
        else:
            out[column] = value
    return out


@dataclass
class Gate:
    """One archived table's boundary in one load: stamps the load id, drops repeats, quarantines
    impossible rows, and remembers what it did per day."""

    spec: ArchivedTable
    source: str
    load_id: str
    started_at: datetime
    seen: set[tuple[Any, ...]] = field(default_factory=set)
    duplicates: Counter[date | None] = field(default_factory=Counter)
    quarantined: list[dict[str, Any]] = field(default_factory=list)

    def reason(self, values: dict[str, Any]) -> str | None:
        """Why a row (its values by column name) is impossible; None when it is fine."""
        spec = self.spec
        for name in spec.non_negative:
            value = values.get(name)
            if value is not None and value < 0:
                return f"{NEGATIVE}: {name} is {value}"
        day = _as_day(values.get(spec.day))
        if day is not None and day > self.started_at.date():
            return f"{FUTURE}: {spec.day} {day} is after the run's day {self.started_at.date()}"
        for name in spec.timestamps:
            at = _as_instant(values.get(name))
            if at is not None and at > self.started_at:
                return f"{FUTURE}: {name} {at.isoformat()} is after the run began"
        if spec.cost_needs_tokens:
            money = [values.get(n) for n in (spec.cost, *spec.money) if n]
            if any(m for m in money if m is not None) and not any(
                values.get(n) for n in spec.tokens
            ):
                return f"{COST_WITHOUT_TOKENS}: money without any of {', '.join(spec.tokens)}"
        return None

    def keep(self, values: dict[str, Any], row: Any) -> bool:
        """Whether the row goes on to dlt (else it was quarantined or is a repeat)."""
        spec = self.spec
        day = _as_day(values.get(spec.day))
        key = tuple(values.get(name) for name in spec.key)
        why = self.reason(values)
        if why is not None:
            self.quarantined.append(
                {
                    "source": self.source,
                    "table_name": spec.table,
                    "load_id": self.load_id,
                    "loaded_at": self.started_at,
                    "reason": why.split(":", 1)[0],
                    "detail": why,
                    "row_key": "|".join("" if v is None else str(v) for v in key),
                    "row_day": day,
                    "row_json": _row_json(row),
                }
            )
            return False
        if key in self.seen:
            self.duplicates[day] += 1
            return False
        self.seen.add(key)
        return True

    def item(self, item: Any) -> Any:
        """The pipe step: the item without the rows it keeps back, stamped with the load id."""
        if isinstance(item, pa.Table):
            return self._table(item)
        if isinstance(item, dict):
            kept = self._rows([item])
            return kept[0] if kept else None
        if isinstance(item, list):
            return self._rows(item) or None
        return item

    def _rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**row, LOAD_ID: self.load_id} for row in rows if self.keep(_flat(row), row)]

    def _table(self, table: pa.Table) -> pa.Table | None:
        spec = self.spec
        wanted = {spec.day, *spec.key, *spec.non_negative, *spec.timestamps}
        # Arrow column names are the vendor's (``tokenUsage__totalCents``); dlt renames them.
        named = {_NAMING.normalize_path(name): name for name in table.column_names}
        present = [name for name in wanted if name in named]
        columns = {name: table.column(named[name]).to_pylist() for name in present}
        mask = []
        for i in range(table.num_rows):
            values = {name: columns[name][i] for name in present}
            # The whole row is only read for a row that is quarantined.
            mask.append(self.keep(values, _LazyRow(table, i)))
        kept = table.filter(pa.array(mask, pa.bool_())) if not all(mask) else table
        if kept.num_rows == 0:
            return None
        return kept.append_column(LOAD_ID, pa.repeat(pa.scalar(self.load_id), kept.num_rows))


class _LazyRow:
    """Row ``i`` of an Arrow table, made a dict only when serialised (quarantined rows)."""

    def __init__(self, table: pa.Table, i: int) -> None:
        self.table, self.i = table, i

    def as_dict(self) -> dict[str, Any]:
        return self.table.slice(self.i, 1).to_pylist()[0]


def _row_json(row: Any) -> str:
    """The row as the vendor sent it (an Arrow row as a dict), for analysts to read."""
    if isinstance(row, _LazyRow):
        row = row.as_dict()
    return json.dumps(row, default=str, sort_keys=True)


class _Boundary(MapItem):
    """A dlt pipe step that hands the gate whole items (lists of rows, Arrow tables): dlt's
    ``add_map`` would call it once per row and ``add_filter`` cannot filter an Arrow table."""

    def __init__(self, gate: Gate) -> None:
        super().__init__(gate.item)
        self.gate = gate

    def __call__(self, item: Any, meta: Any = None) -> Any:
        return self.gate.item(item)


def guard(
    dlt_source: Any, source: str, tables: Sequence[ArchivedTable], started_at: datetime
) -> tuple[str, dict[str, Gate]]:
    """Put a :class:`Gate` in front of each archived table of ``dlt_source``; the load id and
    the gates by table."""
    load_id = new_load_id(started_at)
    gates: dict[str, Gate] = {}
    resources = dlt_source.resources
    for spec in tables:
        if spec.table not in resources:
            continue
        gate = Gate(spec=spec, source=source, load_id=load_id, started_at=started_at)
        resources[spec.table].add_step(_Boundary(gate))
        gates[spec.table] = gate
    return load_id, gates


# --- the ledger --------------------------------------------------------------------------------

VERSION_COLUMNS: dict[str, dict[str, Any]] = {
    "source": {"data_type": "text", "nullable": False},
    "table_name": {"data_type": "text", "nullable": False},
    "platform": {"data_type": "text", "nullable": False},
    "archived_day": {"data_type": "date", "nullable": False},
    "load_id": {"data_type": "text", "nullable": False},
    "run_id": {"data_type": "text", "nullable": True},
    "loaded_at": {"data_type": "timestamp", "nullable": False},
    "recorded_at": {"data_type": "timestamp", "nullable": False},
    "status": {"data_type": "text", "nullable": False},
    "row_count": {"data_type": "bigint", "nullable": False},
    "cost_amount": {"data_type": "decimal", "precision": 38, "scale": 12, "nullable": True},
    "token_count": {"data_type": "bigint", "nullable": True},
    "vendor_total": {"data_type": "bigint", "nullable": True},
    "duplicate_row_count": {"data_type": "bigint", "nullable": False},
    "quarantined_row_count": {"data_type": "bigint", "nullable": False},
    "previous_load_id": {"data_type": "text", "nullable": True},
    "previous_row_count": {"data_type": "bigint", "nullable": True},
    "previous_cost_amount": {
        "data_type": "decimal",
        "precision": 38,
        "scale": 12,
        "nullable": True,
    },
    "message": {"data_type": "text", "nullable": True},
}
QUARANTINE_COLUMNS: dict[str, dict[str, Any]] = {
    "source": {"data_type": "text", "nullable": False},
    "table_name": {"data_type": "text", "nullable": False},
    "load_id": {"data_type": "text", "nullable": False},
    "loaded_at": {"data_type": "timestamp", "nullable": False},
    "reason": {"data_type": "text", "nullable": False},
    "detail": {"data_type": "text", "nullable": False},
    "row_key": {"data_type": "text", "nullable": False},
    "row_day": {"data_type": "date", "nullable": True},
    "row_json": {"data_type": "text", "nullable": False},
}


@dataclass(frozen=True)
class DayStats:
    rows: int = 0
    cost: Decimal | None = None
    tokens: int | None = None
    vendor_total: int | None = None


def _stats_sql(spec: ArchivedTable, table: str) -> str:
    cost = f"sum({spec.cost})" if spec.cost else "null"
    tokens = (
        "sum(" + " + ".join(f"coalesce({t}, 0)" for t in spec.tokens) + ")"
        if spec.tokens
        else "null"
    )
    total = f"max({spec.vendor_total})" if spec.vendor_total else "null"
    return (
        f"select cast({spec.day} as date), count(*), {cost}, {tokens}, {total} from {table} "
        f"where {{where}} group by cast({spec.day} as date)"
    )


def _drop(before: float | Decimal | None, after: float | Decimal | None) -> float:
    if not before or before <= 0:
        return 0.0
    return float((Decimal(str(before)) - Decimal(str(after or 0))) / Decimal(str(before)))


def record_versions(
    warehouse: Any,
    source: str,
    vendor: str,
    gates: dict[str, Gate],
    load_id: str,
    days: Sequence[date],
    max_drop: float,
    run_id: str | None,
    log: Any,
) -> list[str]:
    """Compare this load's version of each day with the one staging reads; write the ledger
    and the quarantine; delete the rows of unchanged versions. The held days' messages."""
    if not gates:
        return []
    started_at = next(iter(gates.values())).started_at
    effective = _effective_versions(warehouse, source)
    ledger: list[dict[str, Any]] = []
    held: list[str] = []
    with warehouse.pipeline(source).sql_client() as client:
        for name, gate in gates.items():
            spec = gate.spec
            if not client.has_dataset():
                break
            table = client.make_qualified_table_name(name)
            try:
                with client.execute_query(f"select * from {table} where 1 = 0") as cursor:
                    columns = [d[0] for d in cursor.description]
            except Exception as exc:
                if status.missing_table(exc):
                    continue
                raise
            if LOAD_ID not in columns:
                continue
            data_columns = ", ".join(
                client.escape_column_name(c)
                for c in columns
                if not c.startswith(("_dlt_", "_tokenworth_"))
            )
            stats_sql = _stats_sql(spec, table)
            new = _stats(client, stats_sql.format(where=f"{LOAD_ID} = %s"), load_id)
            candidates = set(new)
            if spec.whole_window:
                candidates |= set(days)
            quarantined = Counter(q["row_day"] for q in gate.quarantined)
            for day in sorted(candidates):
                got = new.get(day, DayStats())
                before_id = effective.get((name, day), "")
                before = _stats(
                    client,
                    stats_sql.format(
                        where=f"coalesce({LOAD_ID}, '') = %s and cast({spec.day} as date) = %s"
                    ),
                    before_id,
                    day,
                ).get(day, DayStats())
                row = {
                    "source": source,
                    "table_name": name,
                    "platform": spec.platform,
                    "archived_day": day,
                    "load_id": load_id,
                    "run_id": run_id,
                    "loaded_at": started_at,
                    "recorded_at": datetime.now(UTC),
                    "row_count": got.rows,
                    "cost_amount": got.cost,
                    "token_count": got.tokens,
                    "vendor_total": got.vendor_total,
                    "duplicate_row_count": gate.duplicates.get(day, 0),
                    "quarantined_row_count": quarantined.get(day, 0),
                    "previous_load_id": before_id or None,
                    "previous_row_count": before.rows,
                    "previous_cost_amount": before.cost,
                    "message": None,
                }
                if got.rows == before.rows and (
                    got.rows == 0
                    or _identical(client, table, spec, data_columns, load_id, before_id, day)
                ):
                    row["status"] = UNCHANGED
                    if got.rows:
                        client.execute_sql(
                            f"delete from {table} where {LOAD_ID} = %s "
                            f"and cast({spec.day} as date) = %s",
                            load_id,
                            day,
                        )
                    ledger.append(row)
                    continue
                drop = max(_drop(before.rows, got.rows), _drop(before.cost, got.cost))
                if before.rows == 0 or drop <= max_drop:
                    row["status"] = APPLIED
                elif got.vendor_total is not None and got.vendor_total == got.rows:
                    row["status"] = CONFIRMED
                    row["message"] = (
                        f"{vendor} {name} {day}: drops {drop:.0%} of the stored day, confirmed "
                        f"by the vendor's own total ({got.vendor_total} rows)"
                    )
                else:
                    row["status"] = HELD
                    row["message"] = (
                        f"{vendor} {name} {day}: held — this load has {got.rows} row(s)"
                        f"{_money(got.cost)} where the archive has {before.rows}"
                        f"{_money(before.cost)} (drops {drop:.0%}, more than "
                        f"{settings.TOKENWORTH_ARCHIVE_MAX_DROP}={max_drop:g}); the stored day "
                        f"stays. If the vendor's figure is right: tokenworth archive accept "
                        f"{source} {day}"
                    )
                    held.append(row["message"])
                ledger.append(row)
    quarantine = [q for gate in gates.values() for q in gate.quarantined]
    status.append_rows(warehouse, VERSIONS, VERSION_COLUMNS, ledger, log)
    if quarantine:
        status.append_rows(warehouse, QUARANTINE, QUARANTINE_COLUMNS, quarantine, log)
        log.warning(
            f"{vendor}: {len(quarantine)} impossible row(s) quarantined in "
            f"raw_tokenworth.{QUARANTINE} ("
            + "; ".join(sorted({q["detail"] for q in quarantine})[:5])
            + ")"
        )
    repeats = sum(sum(g.duplicates.values()) for g in gates.values())
    if repeats:
        log.warning(f"{vendor}: {repeats} repeated row(s) dropped (same key twice in one answer)")
    for message in held:
        log.warning(message)
    return held


def _money(amount: Decimal | None) -> str:
    return "" if amount is None else f" / {amount.normalize():f}"


def _stats(client: Any, sql: str, *args: Any) -> dict[date, DayStats]:
    with client.execute_query(sql, *args) as cursor:
        rows = cursor.fetchall()
    return {
        _as_day(day): DayStats(
            rows=int(n),
            cost=None if cost is None else Decimal(str(cost)),
            tokens=None if tokens is None else int(tokens),
            vendor_total=None if total is None else int(total),
        )
        for day, n, cost, tokens, total in rows
        if _as_day(day) is not None
    }  # type: ignore[misc]


def _identical(
    client: Any,
    table: str,
    spec: ArchivedTable,
    columns: str,
    load_id: str,
    before_id: str,
    day: date,
) -> bool:
    """Whether the new version of ``day`` holds exactly the rows of the stored one."""
    new = f"select {columns} from {table} where {LOAD_ID} = %s and cast({spec.day} as date) = %s"
    old = (
        f"select {columns} from {table} where coalesce({LOAD_ID}, '') = %s "
        f"and cast({spec.day} as date) = %s"
    )
    for first, second, args in (
        (new, old, (load_id, day, before_id, day)),
        (old, new, (before_id, day, load_id, day)),
    ):
        sql = f"select count(*) from ({first} except {second}) as difference"
        with client.execute_query(sql, *args) as cursor:
            if cursor.fetchone()[0]:
                return False
    return True


def _effective_versions(warehouse: Any, source: str) -> dict[tuple[str, date], str]:
    """The load id staging reads per (table, day) of ``source``: the newest readable version."""
    rows = status.query(
        warehouse,
        VERSIONS,
        "select table_name, archived_day, max(load_id) from {table} where source = %s "
        "and status in ('applied', 'confirmed', 'accepted') group by table_name, archived_day",
        source,
    )
    return {(t, _as_day(d)): load for t, d, load in rows}  # type: ignore[misc]


# --- what the operator sees and does ------------------------------------------------------------


@dataclass(frozen=True)
class HeldDay:
    source: str
    table_name: str
    day: date
    load_id: str
    message: str


_HELD_SQL = (
    "select v.source, v.table_name, v.archived_day, v.load_id, v.message from {table} v "
    "where v.status = 'held' and not exists (select 1 from {table} later "
    "where later.source = v.source and later.table_name = v.table_name "
    "and later.archived_day = v.archived_day and later.recorded_at > v.recorded_at) "
)


def held_days(warehouse: Any, run_id: str | None = None) -> list[HeldDay]:
    """Days whose newest version is held (and, with ``run_id``, held by that run)."""
    sql = _HELD_SQL + ("and v.run_id = %s " if run_id else "") + "order by 1, 2, 3"
    rows = status.query(warehouse, VERSIONS, sql, *((run_id,) if run_id else ()))
    return [HeldDay(s, t, _as_day(d), load, msg or "") for s, t, d, load, msg in rows]  # type: ignore[arg-type]


def accept(warehouse: Any, source: str, day: date, log: Any) -> list[HeldDay]:
    """Accept every held version of ``source`` on ``day``: staging reads it from the next build."""
    accepted = [h for h in held_days(warehouse) if h.source == source and h.day == day]
    now = datetime.now(UTC)
    rows = status.query(
        warehouse,
        VERSIONS,
        "select * from {table} where source = %s and status = 'held' and archived_day = %s",
        source,
        day,
        with_names=True,
    )
    by_version = {(r["table_name"], r["load_id"]): r for r in rows}
    out = []
    for h in accepted:
        base = by_version[(h.table_name, h.load_id)]
        row = {name: base.get(name) for name in VERSION_COLUMNS}
        row.update(
            status=ACCEPTED,
            recorded_at=now,
            message=f"accepted by the operator at {now:%Y-%m-%d %H:%M} UTC",
        )
        out.append(row)
    if out:
        status.append_rows(warehouse, VERSIONS, VERSION_COLUMNS, out, log, strict=True)
    return accepted
