"""Rows to Arrow tables: the same columns, types and values dlt's JSON normaliser gave."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from orchestration.defs.ingest.arrow import (
    BIGINT,
    DLT_DECIMAL,
    TIMESTAMP_UTC,
    arrow_schema,
    flatten,
    json_text,
    key_field,
    rows_to_table,
)
from orchestration.defs.ingest.common import yields_tables
from orchestration.lib.http import SourceError

SCHEMA = arrow_schema(
    key_field("row_key"),
    key_field("bucket_date", pa.date32()),
    ("bucket_start", TIMESTAMP_UTC),
    ("amount_usd", pa.decimal128(38, 12)),
    ("tokens", pa.int64()),
)


def test_declared_columns_keep_their_types_and_order() -> None:
    table = rows_to_table(
        [
            {
                "tokens": 5,
                "row_key": "a",
                "bucket_date": date(2026, 10, 1),
                "bucket_start": "2026-10-01T13:00:00Z",
                "amount_usd": Decimal("1.25"),
            },
            {"row_key": "b", "bucket_date": date(2026, 10, 2)},
        ],
        SCHEMA,
    )
    assert table.schema == SCHEMA
    assert table.to_pylist() == [
        {
            "row_key": "a",
            "bucket_date": date(2026, 10, 1),
            "bucket_start": datetime(2026, 10, 1, 13, tzinfo=UTC),
            "amount_usd": Decimal("1.250000000000"),
            "tokens": 5,
        },
        {"row_key": "b", "bucket_date": date(2026, 10, 2), "bucket_start": None,
         "amount_usd": None, "tokens": None},
    ]  # fmt: skip


def test_floats_in_decimal_columns_are_read_as_their_text() -> None:
    # A report parsed without decimals (NDJSON) sends 0.1, which is not exactly 0.1 in binary:
    # dlt took Decimal(str(value)), so must this.
    row = {"row_key": "a", "bucket_date": date(2026, 10, 1), "amount_usd": 0.1, "tokens": 1}
    assert rows_to_table([row], SCHEMA).column("amount_usd").to_pylist() == [Decimal("0.1")]


def test_undeclared_fields_load_with_the_types_dict_rows_got() -> None:
    rows = [
        {"row_key": "a", "bucket_date": date(2026, 10, 1), "newQuantity": Decimal("2.5"),
         "nested": {"b": 1}, "label": "x"},
        {"row_key": "b", "bucket_date": date(2026, 10, 1), "newQuantity": 3, "nested": None,
         "label": None},
    ]  # fmt: skip
    table = rows_to_table(rows, SCHEMA)
    assert table.schema.field("new_quantity").type == DLT_DECIMAL
    assert table.schema.field("label").type == pa.string()
    assert table.column("nested").to_pylist() == ['{"b": 1}', None]


def test_a_null_key_or_a_misfit_value_names_its_column() -> None:
    with pytest.raises(TypeError, match="column 'row_key' is a key and cannot be null"):
        rows_to_table([{"row_key": None, "bucket_date": date(2026, 10, 1)}], SCHEMA)
    with pytest.raises(TypeError, match="column 'tokens' expects int64, row 1 holds 'many'"):
        rows_to_table(
            [
                {"row_key": "a", "bucket_date": date(2026, 10, 1), "tokens": 1},
                {"row_key": "b", "bucket_date": date(2026, 10, 1), "tokens": "many"},
            ],
            SCHEMA,
        )


def test_yields_tables_names_the_source_endpoint_and_column() -> None:
    @yields_tables(SCHEMA, "OpenAI Admin", "costs")
    def rows() -> Iterator[dict[str, Any]]:
        yield {"row_key": "a", "bucket_date": date(2026, 10, 1), "bucket_start": "yesterday"}

    with pytest.raises(SourceError, match="OpenAI Admin costs: column 'bucket_start' is not ISO"):
        list(rows())


def test_yields_tables_batches_rows() -> None:
    @yields_tables(SCHEMA, "vendor", "endpoint")
    def rows() -> Iterator[dict[str, Any]]:
        for i in range(2500):
            yield {"row_key": str(i), "bucket_date": date(2026, 10, 1), "tokens": i}

    tables = list(rows())
    assert [t.num_rows for t in tables] == [1000, 1000, 500]
    assert sum(pa.compute.sum(t.column("tokens")).as_py() for t in tables) == sum(range(2500))


def test_flatten_spreads_objects_as_dlt_does() -> None:
    row = {"a": 1, "cache_creation": {"ephemeral_5m_input_tokens": 2, "ephemeral1hTokens": 3},
           "server_tool_use": None}  # fmt: skip
    assert flatten(row, ("cache_creation", "server_tool_use")) == {
        "a": 1,
        "cache_creation__ephemeral_5m_input_tokens": 2,
        "cache_creation__ephemeral1h_tokens": 3,
    }


def test_json_text_is_the_text_dlt_wrote() -> None:
    # Compact, in the API's key order, decimals as strings (read off a warehouse dict rows built).
    value = {"estimated_cost": {"amount": Decimal("6.777235"), "currency": "USD"}, "n": [1, None]}
    assert (
        json_text(value) == '{"estimated_cost":{"amount":"6.777235","currency":"USD"},"n":[1,null]}'
    )
    assert json_text(None) is None


def test_copilot_credit_usage_takes_fractional_discount_quantities() -> None:
    # Observed on GitHub's API (vendor-apis.md): discountQuantity 2.97, where the sandbox sends 0.
    from orchestration.defs.ingest.copilot.source import _SCHEMAS

    rows = [
        {"row_key": "a", "usage_date": date(2026, 10, 1), "gross_quantity": Decimal("2.97"),
         "discount_quantity": Decimal("2.97"), "net_quantity": 0},
        {"row_key": "b", "usage_date": date(2026, 10, 1), "gross_quantity": 53,
         "discount_quantity": 0, "net_quantity": 53},
    ]  # fmt: skip
    table = rows_to_table(rows, _SCHEMAS["ai_credit_usage"])
    assert table.schema.field("discount_quantity").type == DLT_DECIMAL
    assert table.column("discount_quantity").to_pylist() == [Decimal("2.97"), Decimal(0)]
    whole = rows_to_table([{**rows[1]}], _SCHEMAS["ai_credit_usage"])
    assert whole.schema.field("discount_quantity").type == BIGINT  # as existing tables hold it
