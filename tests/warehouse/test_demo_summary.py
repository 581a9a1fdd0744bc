"""The demo's summary reads the marts and adds up: spend by class equals usage spend."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestration.demo import print_summary
from tests.warehouse.conftest_outcomes import Warehouse

pytest_plugins = ["tests.warehouse.conftest_outcomes"]


def test_summary_prints_every_platform_and_classes_add_up(
    outcomes_warehouse: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = outcomes_warehouse
    print_summary(warehouse.path)
    out = capsys.readouterr().out
    platforms = {
        row[0] for row in warehouse.query("select distinct platform from core.fct_ai_sessions")
    }
    for platform in platforms:
        assert f"\n{platform} " in out
    usage = warehouse.query("select sum(cost_usd) from core.fct_ai_sessions")[0][0]
    by_class = out.split("spend by class: ", 1)[1].splitlines()[0]
    dollars = [
        Decimal(part.split("$", 1)[1].split(" ", 1)[0].replace(",", ""))
        for part in by_class.split(", ")
    ]
    assert abs(sum(dollars) - Decimal(str(usage))) <= Decimal("0.03")  # six values rounded to cents
