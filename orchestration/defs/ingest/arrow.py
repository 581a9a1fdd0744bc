"""Rows as Arrow tables: what dlt's per-row JSON normaliser did, done once per table in C++.

dlt writes an Arrow table straight to parquet, but normalises dict rows one value at a time
(about 20k rows/s here), which made loading a source slower than fetching it. A source that
yields Arrow must give dlt the same tables the dict rows gave, because users' warehouses already
hold them: snake_case column names, ISO 8601 text as ``TIMESTAMP WITH TIME ZONE``, integers as
``BIGINT``, primary and merge keys ``NOT NULL`` — and, for tables that dict rows created,
``_dlt_id`` and ``_dlt_load_id`` (see :func:`keep_dlt_row_columns`).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.json import json as dlt_json
from dlt.common.normalizers.naming.snake_case import NamingConvention

# Column types as dlt maps them: TEXT → VARCHAR/text, BIGINT, BOOL, DATE, TIMESTAMP_UTC →
# TIMESTAMP WITH TIME ZONE, USD → DECIMAL(38,12) (common.usd()), and DLT_DECIMAL → DECIMAL(38,9),
# the type dlt gives a decimal it infers from dict rows without a hint.
TEXT, BIGINT, BOOL, DATE = pa.string(), pa.int64(), pa.bool_(), pa.date32()
TIMESTAMP_UTC = pa.timestamp("us", tz="UTC")
USD = pa.decimal128(38, 12)
DLT_DECIMAL = pa.decimal128(38, 9)
# Sources that yield Arrow tables into tables dict rows created (see keep_dlt_row_columns).
ARROW_INTO_DICT_ROW_TABLES = frozenset({"github", "anthropic", "openai", "copilot"})
_NAMING = NamingConvention()


def arrow_schema(*fields: tuple[str, pa.DataType] | pa.Field) -> pa.Schema:
    """A schema from ``(name, type)`` pairs (nullable) and fields."""
    return pa.schema([f if isinstance(f, pa.Field) else pa.field(*f) for f in fields])


def key_field(name: str, kind: pa.DataType | None = None) -> pa.Field:
    """A primary- or merge-key column: ``NOT NULL`` (text unless ``kind`` says otherwise)."""
    return pa.field(name, kind or pa.string(), nullable=False)


@functools.lru_cache(maxsize=4096)  # a few dozen field names, met once per row
def snake_case(name: str) -> str:
    """dlt's own column name for an API field: ``isDraft`` → ``is_draft``."""
    return str(_NAMING.normalize_identifier(name))


def infer_type(values: Sequence[Any]) -> pa.DataType:
    """An undeclared field's type: a scalar type Arrow can infer, else JSON text."""
    if any(isinstance(v, dict | list) for v in values):
        return pa.string()
    try:
        return pa.array(values).type  # all nulls: null, a column dlt leaves out, as for dict rows
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.string()


def as_json_text(rows: Sequence[dict[str, Any]], key: str, inner: str | None = None) -> None:
    """Replace nested values of ``key`` (of ``row[inner]`` if given) by JSON text, in place
    (rare: an undeclared field)."""
    for row in rows:
        holder = row.get(inner) if inner else row
        if isinstance(holder, dict):
            value = holder.get(key)
            if isinstance(value, dict | list):
                holder[key] = json.dumps(value)


def json_text(value: Any) -> str | None:
    """``value`` as the JSON text dlt's normaliser wrote for a ``json`` column (compact,
    decimals as strings), so Arrow rows equal the dict rows they replace."""
    return None if value is None else str(dlt_json.dumps(value))


def flatten(row: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """``row`` with the objects under ``keys`` spread into ``key__field`` columns, as dlt's
    normaliser does with nested objects (``{"cache_creation": {"ephemeral_5m_input_tokens":
    1}}`` → ``cache_creation__ephemeral_5m_input_tokens``)."""
    for key in keys:
        nested = row.pop(key, None)
        if isinstance(nested, dict):
            for field, value in nested.items():
                row[f"{key}__{snake_case(field)}"] = value
        elif nested is not None:
            row[key] = nested  # not an object after all: keep it, typed as an extra column
    return row


def rows_to_table(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """``rows`` as one table with ``schema``'s columns and types, in its order.

    Timestamp columns take ISO 8601 text (``2026-10-01T12:00:00Z``). Keys the schema does not
    name (a field added to a query) follow it, snake_cased, with an inferred type (decimals as
    ``DLT_DECIMAL``, objects and arrays as JSON text).

    Raises:
        TypeError: a value does not fit its declared column; the message names the column.
    """
    extra = sorted(set().union(*rows) - set(schema.names))
    fields = [pa.field(f.name, pa.string(), f.nullable) if f.type == TIMESTAMP_UTC else f
              for f in schema]  # fmt: skip
    for key in extra:
        kind = infer_type([row.get(key) for row in rows])
        if kind == pa.string():
            as_json_text(rows, key)
        elif pa.types.is_decimal(kind):
            kind = DLT_DECIMAL
        fields.append(pa.field(key, kind))
    as_text = pa.schema(fields)
    try:
        table = pa.Table.from_pylist(list(rows), schema=as_text)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        rows = _floats_as_decimals(rows, as_text)
        try:
            table = pa.Table.from_pylist(list(rows), schema=as_text)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise TypeError(_misfit(rows, as_text) or str(error)) from None
    columns = []
    for field in schema:
        column = table.column(field.name)
        if not field.nullable and column.null_count:
            raise TypeError(f"column {field.name!r} is a key and cannot be null")
        if field.type == TIMESTAMP_UTC:
            try:
                column = pc.cast(column, TIMESTAMP_UTC)
            except pa.ArrowInvalid as error:
                raise TypeError(f"column {field.name!r} is not ISO 8601 time: {error}") from None
        columns.append(column)
    columns += [table.column(key) for key in extra]
    out_fields = [*schema, *(pa.field(snake_case(key), as_text.field(key).type) for key in extra)]
    return pa.Table.from_arrays(columns, schema=pa.schema(out_fields))


def _floats_as_decimals(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> list[dict[str, Any]]:
    """``rows`` with floats in decimal columns as ``Decimal(str(value))``, as dlt's normaliser
    coerces them (a report parsed without decimals sends ``17.0`` for a decimal column)."""
    names = [f.name for f in schema if pa.types.is_decimal(f.type)]
    return [
        {**row, **{n: Decimal(str(row[n])) for n in names if isinstance(row.get(n), float)}}
        for row in rows
    ]


def _misfit(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> str | None:
    """Which column and value broke the conversion (only computed when one did)."""
    for field in schema:
        for position, row in enumerate(rows):
            try:
                pa.array([row.get(field.name)], type=field.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                return (
                    f"column {field.name!r} expects {field.type}, row {position} holds "
                    f"{row.get(field.name)!r}"
                )
    return None


def keep_dlt_row_columns(source: str, pipeline_name: str) -> None:
    """Give the Arrow tables ``_dlt_id`` and ``_dlt_load_id``, as dict rows had, if ``source``
    is one of ``ARROW_INTO_DICT_ROW_TABLES``.

    Tables first loaded from dict rows hold both columns ``NOT NULL``; without them dlt would
    insert nulls there. Set per pipeline (dlt's config section is the pipeline name), so sources
    that were Arrow from the start keep their tables as they are.
    """
    if source not in ARROW_INTO_DICT_ROW_TABLES:
        return
    for option in ("add_dlt_id", "add_dlt_load_id"):
        dlt.config[f"{pipeline_name}.normalize.parquet_normalizer.{option}"] = True


class _JsonTextHintFilter(logging.Filter):
    """Drop dlt's warning that a resource's column hints differ from its Arrow table's, for
    the resources listed: their ``json`` columns arrive as JSON text (Arrow has no JSON type
    dlt reads), and the ``json`` hint dlt keeps is exactly what those tables need."""

    def __init__(self, resources: frozenset[str]) -> None:
        super().__init__()
        self.prefixes = tuple(
            f"In resource: {name}, when merging arrow schema" for name in resources
        )

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefixes)


def json_text_columns_expected(*resources: str) -> None:
    """Declare that ``resources`` yield Arrow tables with JSON text in ``json`` columns."""
    logging.getLogger("dlt").addFilter(_JsonTextHintFilter(frozenset(resources)))
