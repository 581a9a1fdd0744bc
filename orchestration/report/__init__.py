"""The HTML report: one self-contained, offline file built from the marts only.

``write_report`` reads the marts (DuckDB or PostgreSQL), embeds the grouped figures as JSON in
the page, and an inline script (no libraries, no network) draws every chart as SVG.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from importlib.resources import files
from pathlib import Path

from orchestration.lib.warehouse import parse_warehouse_url, warehouse_from_env
from orchestration.report.charts import Chart, ReportData, Table, collect
from orchestration.report.marts import ReportDataError, open_reader

__all__ = ["ReportDataError", "render_html", "write_report"]


def write_report(out: Path, warehouse_url: str | None = None) -> Path:
    """Build the report from the marts of ``warehouse_url`` (default: the configured warehouse).

    Raises:
        ReportDataError: when the warehouse or one of its marts cannot be read.
        WarehouseConfigError: when the URL is malformed.
    """
    warehouse = (
        warehouse_from_env() if warehouse_url is None else parse_warehouse_url(warehouse_url)
    )
    with open_reader(warehouse) as read:
        data = collect(read)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a BI link or an open browser tab never sees half a file.
    partial = out.with_name(out.name + ".partial")
    partial.write_text(render_html(data), encoding="utf-8")
    partial.replace(out)
    return out


def _asset(name: str) -> str:
    return (files("orchestration.report") / "static" / name).read_text(encoding="utf-8")


def _table(table: Table | None) -> str:
    if table is None:
        return ""
    head = "".join(f"<th>{escape(column)}</th>" for column in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    return f'<div class="table-wrap"><table><tr>{head}</tr>{body}</table></div>'


def _section(chart: Chart) -> str:
    note = f'<p class="note">{escape(chart.note)}</p>' if chart.note else ""
    return f"""
<section class="chart" id="chart-{escape(chart.id)}" data-chart="{escape(chart.id)}">
  <h2>{escape(chart.title)}</h2>
  <p class="definition">{escape(chart.definition)}</p>
  <div class="plot"></div>
  <div class="legend"></div>
  {note}
  {_table(chart.table)}
  <p class="caveat">Caveat: {escape(chart.caveat)}</p>
</section>"""


def render_html(data: ReportData) -> str:
    """The whole page as one string: CSS, data and script inline."""
    payload = json.dumps({"charts": [chart.spec() for chart in data.charts]}, allow_nan=False)
    # "</" inside a <script> block would end it early; JSON allows the escaped form.
    payload = payload.replace("</", "<\\/")
    kpis = "".join(
        f'<div class="kpi"><span>{escape(label)}</span><b>{escape(value)}</b>'
        f"<small>{escape(explanation)}</small></div>"
        for label, value, explanation in data.kpis
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = "".join(_section(chart) for chart in data.charts)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tokenworth — what did our AI coding spend buy?</title>
<style>{_asset("report.css")}</style>
</head>
<body>
<main>
<header>
  <h1>What did our AI coding spend buy?</h1>
  <p class="lede">Spend against accepted, durable outcomes — by platform, team, repository and
  period. Team and repository figures only: no individual is ranked or shown.</p>
  <p class="meta">Period {escape(data.period)} · data as of {escape(data.as_of)} ·
  generated {generated} from the marts schema</p>
</header>
<div class="kpis">{kpis}</div>
{sections}
<footer>
  Every figure is read from the <code>marts</code> schema; definitions of every column are in
  the dbt docs (<code>dbt docs generate</code>) and METRICS in the repository. Tokens alone are
  never a measure of value: spend is shown next to what it bought.
</footer>
</main>
<script type="application/json" id="report-data">{payload}</script>
<script>{_asset("report.js")}</script>
</body>
</html>
"""
