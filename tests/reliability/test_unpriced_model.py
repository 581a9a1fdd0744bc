"""A model without a list price is priced null — never zero — and counted in data quality.

The tiny sandbox has one such model already: Cursor's own ``composer-2`` has no public price
(Cursor states each request's cost, so its cost is known but its list cost is not). The second
test removes two prices from a copy of the project. OpenAI's ``gpt-6-sol``: OpenAI states no
per-request cost, but its costs report bills every token by day, project and model, so those
records take the report's amount (issue 22: priced from the vendor's own cost) and the totals
lose nothing. Copilot's AI-credit price: no vendor states a cost per user-day, so those records
have no cost at all, and the totals must say so.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.fixtures import REPO_ROOT, Warehouse, dbt_runner

pytestmark = pytest.mark.slow

CENT = Decimal("0.01")
UNPRICED_SESSIONS = """
    select platform, count(*) from core.fct_ai_sessions where has_unpriced_usage group by 1
"""
QUALITY = """
    select source_name, sum(unpriced_model_count) from marts.mart_data_quality
    group by 1 having sum(unpriced_model_count) > 0
"""


def test_model_without_list_price_keeps_the_vendor_cost_and_is_counted(
    built_warehouse: Warehouse,
) -> None:
    ((records, list_costs, costs, flagged),) = built_warehouse.query(
        "select count(*), count(list_cost_usd), count(cost_usd), count(*) filter "
        "(where is_unpriced_model) from core.fct_ai_usage where model = 'composer-2'"
    )
    assert records > 0 and list_costs == 0 and costs == records and flagged == records
    sessions = dict(built_warehouse.query(UNPRICED_SESSIONS))
    assert sessions.get("cursor", 0) > 0
    assert dict(built_warehouse.query(QUALITY)) == sessions


def test_removed_price_gives_null_cost_not_zero(built_warehouse: Warehouse, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO_ROOT / "dbt_project.yml", project)
    shutil.copytree(REPO_ROOT / "dbt_project", project / "dbt_project")
    prices = project / "dbt_project" / "seeds" / "model_prices.csv"
    lines = prices.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("openai,gpt-6-sol,")]
    assert len(kept) == len(lines) - 1
    prices.write_text("".join(kept))
    units = project / "dbt_project" / "seeds" / "unit_prices.csv"
    lines = units.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("copilot,credits,")]
    assert len(kept) == len(lines) - 1
    units.write_text("".join(kept))
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.path, path)
    ((openai_before, copilot_before),) = built_warehouse.query(
        "select sum(case when model = 'gpt-6-sol' then cost_usd end), "
        "sum(case when platform = 'copilot' then cost_usd end) from core.fct_ai_usage"
    )
    assert openai_before > 0 and copilot_before > 0

    done = dbt_runner(path, tmp_path, project_dir=project)(
        "build", "--select", "model_prices+", "unit_prices+"
    )
    assert done.returncode == 0, done.stdout[-6000:]

    with duckdb.connect(str(path), read_only=True) as con:
        ((records, list_costs, costs, stated, flagged, billed),) = con.execute(
            "select count(*), count(list_cost_usd), count(cost_usd), "
            "count(*) filter (where cost_usd = vendor_cost_usd), "
            "count(*) filter (where is_unpriced_model), sum(cost_usd) "
            "from core.fct_ai_usage where model = 'gpt-6-sol'"
        ).fetchall()
        # No list price (null, not 0); the costs report's amount is the cost, to the cent.
        assert records > 0 and list_costs == 0 and flagged == records
        assert costs == stated == records
        assert billed.quantize(CENT) == openai_before.quantize(CENT)
        ((records, costs, flagged),) = con.execute(
            "select count(*), count(cost_usd), count(*) filter (where is_unpriced_model) "
            "from core.fct_ai_usage where platform = 'copilot'"
        ).fetchall()
        assert records > 0 and costs == 0 and flagged == records  # null, not 0
        ((total,),) = con.execute("select sum(cost_usd) from core.fct_ai_usage").fetchall()
        sessions = dict(con.execute(UNPRICED_SESSIONS).fetchall())
        quality = dict(con.execute(QUALITY).fetchall())
    truth = Decimal(built_warehouse.truth["totals"]["cost_usd"])
    assert total.quantize(CENT) == (truth - copilot_before).quantize(CENT)
    assert sessions.get("openai_api", 0) > 0 and sessions.get("copilot", 0) > 0
    assert quality == sessions
