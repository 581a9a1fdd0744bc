"""The vendors' list prices, effective-dated: the same seed the warehouse prices with."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sandbox.model import AIRequest

PRICES_CSV = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "model_prices.csv"


@dataclass(frozen=True)
class Price:
    input: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal
    output: Decimal


class PriceBook:
    """The vendors' list prices (the same seed the warehouse prices with), effective-dated."""

    def __init__(self, path: Path = PRICES_CSV) -> None:
        self._rows: dict[str, list[tuple[date, date | None, Price]]] = {}
        self._cache: dict[tuple[str, date], Price | None] = {}
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                price = Price(
                    Decimal(row["input_usd_per_mtok"]),
                    Decimal(row["cache_write_5m_usd_per_mtok"]),
                    Decimal(row["cache_write_1h_usd_per_mtok"]),
                    Decimal(row["cache_read_usd_per_mtok"]),
                    Decimal(row["output_usd_per_mtok"]),
                )
                end = date.fromisoformat(row["effective_to"]) if row["effective_to"] else None
                self._rows.setdefault(row["model"], []).append(
                    (date.fromisoformat(row["effective_from"]), end, price)
                )

    def price(self, model: str, day: date) -> Price | None:
        key = (model, day)
        if key not in self._cache:  # millions of requests, a few hundred (model, day) pairs
            self._cache[key] = next(
                (
                    price
                    for start, end, price in self._rows.get(model, [])
                    if start <= day and (end is None or day < end)
                ),
                None,
            )
        return self._cache[key]


def list_cost(price: Price, r: AIRequest) -> Decimal:
    return (
        r.input_tokens * price.input
        + r.cache_write_5m_tokens * price.cache_write_5m
        + r.cache_write_1h_tokens * price.cache_write_1h
        + r.cache_read_tokens * price.cache_read
        + r.output_tokens * price.output
    ) / Decimal(1_000_000)
