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

from orchestration.lib.project_vars import ProjectVarsError, read_project_vars
from orchestration.lib.warehouse import parse_warehouse_url, warehouse_from_env
from orchestration.report.charts import Chart, ReportData, collect
from orchestration.report.marts import ReportDataError, open_reader

__all__ = ["ReportDataError", "render_html", "write_report"]


def write_report(out: Path, warehouse_url: str | None = None) -> Path:
    """Build the report from the marts of ``warehouse_url`` (default: the configured warehouse).

    Raises:
        ReportDataError: when the warehouse or one of its marts cannot be read, or the dbt vars
            the report quotes cannot be read from dbt_project.yml.
        WarehouseConfigError: when the URL is malformed.
    """
    warehouse = (
        warehouse_from_env() if warehouse_url is None else parse_warehouse_url(warehouse_url)
    )
    try:
        project = read_project_vars()
    except ProjectVarsError as error:
        raise ReportDataError(str(error)) from error
    with open_reader(warehouse) as read:
        data = collect(read, project)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a BI link or an open browser tab never sees half a file.
    partial = out.with_name(out.name + ".partial")
    partial.write_text(render_html(data), encoding="utf-8")
    partial.replace(out)
    return out


def _asset(name: str) -> str:
    return (files("orchestration.report") / "static" / name).read_text(encoding="utf-8")


def _section(chart: Chart) -> str:
    note = f'<p class="note">{escape(chart.note)}</p>' if chart.note else ""
    assumption = f'<p class="assumption">{escape(chart.assumption)}</p>' if chart.assumption else ""
    return f"""
<section class="chart" id="chart-{escape(chart.id)}" data-chart="{escape(chart.id)}">
  <h2>{escape(chart.title)}</h2>
  <p class="definition">{escape(chart.definition)}</p>
  {assumption}
  <p class="scope"></p>
  <div class="plot"></div>
  <div class="legend"></div>
  {note}
  <div class="table-wrap"></div>
  <p class="caveat">Caveat: {escape(chart.caveat)}</p>
</section>"""


def _options(choices: list[tuple[str, str]], first: tuple[str, str] | None = None) -> str:
    every = ([first] if first else []) + choices
    return "".join(
        f'<option value="{escape(value)}">{escape(label)}</option>' for value, label in every
    )


def _filters(data: ReportData) -> str:
    months = _options(data.months)
    return f"""
<form class="filters" id="filters" aria-label="Filters">
  <label>From <select name="from">{months}</select></label>
  <label>to <select name="to">{months}</select></label>
  <label>Team <select name="team">{_options(data.teams, ("", "all teams"))}</select></label>
  <label>Platform <select name="platform">
    {_options(data.platforms, ("", "all platforms"))}</select></label>
  <button type="button" name="reset">Show everything</button>
  <p class="filter-note">Filters redraw every chart in this file (no server). A filter applies
  to the charts whose mart has that split; each chart says what it shows. Teams come only from
  marts that already merge small teams into “suppressed”, so no smaller group can be selected.
  Weeks count in the month of their Thursday.</p>
</form>"""


def _stale_banner(data: ReportData) -> str:
    """A banner above every figure when a source is stale: its numbers stop early."""
    if not data.stale_sources:
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in data.stale_sources)
    return (
        '<aside class="stale-banner" role="alert"><b>Stale sources: their figures stop at '
        "their last loaded day, so recent periods undercount them.</b>"
        f"<ul>{items}</ul><small>Details: marts.mart_source_freshness.</small></aside>"
    )


def render_html(data: ReportData) -> str:
    """The whole page as one string: CSS, data and script inline."""
    payload = json.dumps(
        {
            "charts": [chart.spec() for chart in data.charts],
            "kpis": [kpi.spec() for kpi in data.kpis],
            "months": [value for value, _ in data.months],
        },
        allow_nan=False,
    )
    # "</" inside a <script> block would end it early; JSON allows the escaped form.
    payload = payload.replace("</", "<\\/")
    kpis = "".join(
        f'<div class="kpi" data-kpi="{index}"><span>{escape(kpi.label)}</span><b>–</b>'
        f"<small>{escape(kpi.explanation)}</small></div>"
        for index, kpi in enumerate(data.kpis)
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
  <p class="meta">Period {escape(data.period)} · {escape(data.coverage)} · data as of
  {escape(data.as_of)} · generated {generated} from the marts schema. Shaded periods are
  partial: the data covers only some of their days.</p>
</header>
{_stale_banner(data)}
{_filters(data)}
<div class="kpis">{kpis}</div>
{sections}
<footer>
  Every figure is read from the <code>marts</code> schema; definitions of every column are in
  the dbt docs (<code>dbt docs generate</code>) and <code>docs/metrics.md</code> in the
  repository. Tokens alone are never a measure of value: spend is shown next to what it bought.
</footer>
</main>
<script type="application/json" id="report-data">{payload}</script>
<script>{_asset("report.js")}</script>
</body>
</html>
"""
