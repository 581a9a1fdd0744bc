"""The HTML report: drawn by a real headless Chromium, offline, no person in it, figures = marts.

Chromium is Debian's ``chromium``; without it these tests skip unless TOKENWORTH_REQUIRE_CHROMIUM
is set (CI sets it, so there a missing browser fails instead of skipping).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.cli import main
from orchestration.report import render_html, write_report
from orchestration.report.charts import Chart, ReportData
from tests.report.browser import Page, render, values
from tests.warehouse.fixtures import Warehouse

CHART_IDS = {
    "platform-efficiency",
    "spend-classification",
    "spend-by-team",
    "cache-efficiency",
    "review-drag",
    "rework-adjusted-cost",
    "durability",
    "data-quality",
}


@pytest.fixture(scope="module")
def report(built_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(out, f"duckdb:///{built_warehouse.path}")


@pytest.fixture(scope="module")
def page(report: Path, tmp_path_factory: pytest.TempPathFactory) -> Page:
    """The report as headless Chromium drew it, unfiltered."""
    return render(report, tmp_path_factory.mktemp("chromium"))


def _payload(html: str) -> dict[str, Any]:
    match = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S
    )
    assert match, "the report embeds its data as JSON"
    return json.loads(match.group(1))


def test_every_chart_draws_in_headless_chromium(page: Page) -> None:
    assert page.body.attrs.get("data-charts-done") == str(len(CHART_IDS))
    sections = page.charts()
    assert set(sections) == CHART_IDS
    for chart_id, section in sections.items():
        error = section.attrs.get("data-error")
        assert error is None, f"{chart_id}: {error}"
        drawn = int(section.attrs.get("data-drawn") or 0)
        assert drawn > 0, f"{chart_id} drew nothing on the tiny warehouse"
        # data-drawn is the number of SVG marks actually in the rendered DOM.
        marks = [node for node in section.all(cls="mark") if node.tag in ("rect", "circle")]
        assert len(marks) == drawn, chart_id


def test_report_is_offline_and_names_no_person(report: Path, built_warehouse: Warehouse) -> None:
    html = report.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"""url\(\s*["']?(?:https?:)?//|@import""", html, re.I)
    assert "<script src" not in html and "<link" not in html
    lowered = html.lower()
    people = built_warehouse.truth["people"]
    assert people
    for person in people:
        emails = {person["work_email"], person["commit_email"], *person["vendor_emails"].values()}
        for email in emails:
            assert email.lower() not in lowered, f"{person['person_id']}'s email is in the report"
        login = person["github_login"].lower()
        assert not re.search(rf"\b{re.escape(login)}\b", lowered), f"login {login} in the report"
        assert person["name"].lower() not in lowered
        assert not re.search(rf"\b{person['person_id']}\b", html)


def test_report_figures_are_the_marts(page: Page, built_warehouse: Warehouse) -> None:
    # Spend by class, stacked per week, adds up to the usage spend of the classification mart.
    weekly = page.chart("spend-classification")
    drawn = values(weekly)
    total = built_warehouse.query(
        "select sum(total_spend_usd) from marts.mart_spend_classification"
    )[0][0]
    assert sum(drawn.values()) == pytest.approx(float(total), rel=1e-9)
    assert (
        len({week for week, _ in drawn})
        == built_warehouse.query(
            "select count(distinct week_start_date) from marts.mart_spend_classification"
        )[0][0]
    )

    # Cost per accepted outcome of each platform and month: total spend ÷ accepted outcomes.
    rows = built_warehouse.query(
        """
        select strftime(month_start_date, '%b %Y'), platform,
               sum(total_spend_usd) / nullif(sum(accepted_outcomes), 0)
        from marts.mart_platform_efficiency group by all
        """
    )
    expected = {(month, platform): value for month, platform, value in rows}
    got = values(page.chart("platform-efficiency"))
    assert got.keys() == {key for key, value in expected.items() if value is not None}
    for key, value in got.items():
        assert value == pytest.approx(float(expected[key]), rel=1e-9), key

    # The durability curve at 30 days: lines surviving ÷ effective lines of measured PRs.
    survival = built_warehouse.query(
        """
        select sum(d.lines_surviving) * 1.0 / sum(d.effective_lines_added)
        from core.fct_pr_durability as d
        join core.fct_pull_requests as p using (pull_request_id)
        where d.status = 'measured' and d.horizon_days = 30 and p.is_ai_assisted
        """
    )[0][0]
    curve = values(page.chart("durability"))
    assert curve[("30 days", "AI-assisted")] == pytest.approx(survival)


def test_empty_mart_says_so_and_broken_data_shows_an_error(tmp_path: Path) -> None:
    empty = Chart(
        "empty",
        "An empty mart",
        "d",
        "c",
        "bar",
        "usd",
        rows=[],
        x={"field": "period"},
        series={"field": "name", "num": "v"},
        filters={"month": None, "team": None, "platform": None},
    )
    broken = Chart(
        "broken",
        "Rows without values",
        "d",
        "c",
        "line",
        "pct",
        rows=[{"period": "wk 1", "name": "x", "v": None}],
        x={"field": "period"},
        series={"field": "name", "num": "v"},
        filters={"month": None, "team": None, "platform": None},
    )
    page_path = tmp_path / "report.html"
    page_path.write_text(render_html(ReportData("p", "a", [], [empty, broken])))
    page = render(page_path, tmp_path / "chromium")
    assert page.chart("empty").attrs.get("data-drawn") == "0"
    assert page.chart("empty").attrs.get("data-error") is None
    assert "No data for this period." in page.chart("empty").text()
    assert page.chart("broken").attrs.get("data-drawn") is None
    assert "none gives a value to draw" in (page.chart("broken").attrs.get("data-error") or "")


def test_empty_marts_give_a_page_that_says_no_data(
    built_warehouse: Warehouse, tmp_path: Path
) -> None:
    # A warehouse whose marts exist but hold no rows: the first night of a new installation.
    empty = tmp_path / "empty.duckdb"
    with duckdb.connect(str(empty)) as con:
        con.execute(f"attach '{built_warehouse.path}' as built (read_only)")
        con.execute("create schema marts")
        for (table,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'built' and table_schema = 'marts'"
        ).fetchall():
            con.execute(f"create table marts.{table} as select * from built.marts.{table} limit 0")
    page_path = write_report(tmp_path / "report.html", f"duckdb:///{empty}")
    page = render(page_path, tmp_path / "chromium")
    sections = page.charts()
    assert set(sections) == CHART_IDS
    for chart_id, section in sections.items():
        error = section.attrs.get("data-error")
        assert error is None, f"{chart_id}: {error}"
        assert section.attrs.get("data-drawn") == "0", chart_id
    assert page.body.attrs.get("data-charts-done") == str(len(CHART_IDS))


def test_cli_report_writes_default_path_and_names_a_missing_warehouse(
    built_warehouse: Warehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TOKENWORTH_HOME", str(tmp_path))
    monkeypatch.setenv("TOKENWORTH_WAREHOUSE_URL", f"duckdb:///{built_warehouse.path}")
    assert main(["report"]) == 0
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert str(tmp_path / "report.html") in capsys.readouterr().out

    missing = tmp_path / "nowhere" / "warehouse.duckdb"
    monkeypatch.setenv("TOKENWORTH_WAREHOUSE_URL", f"duckdb:///{missing}")
    assert main(["report", "--out", str(tmp_path / "other.html")]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err and "tokenworth demo" in err
    assert not (tmp_path / "other.html").exists()


# DuckDB column types → PostgreSQL, for copying the marts into a scratch database.
_PG_TYPES = (
    ("DECIMAL", "numeric"),
    ("DOUBLE", "double precision"),
    ("VARCHAR", "text"),
    ("TIMESTAMP", "timestamp"),
)


@pytest.mark.postgres
def test_postgres_marts_give_the_same_report(built_warehouse: Warehouse, tmp_path: Path) -> None:
    url = os.environ.get("TOKENWORTH_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TOKENWORTH_TEST_POSTGRES_URL is not set")
    psycopg2 = pytest.importorskip("psycopg2")
    name = f"tw_report_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    target = f"{url.rsplit('/', 1)[0]}/{name}"
    try:
        with (
            duckdb.connect(str(built_warehouse.path), read_only=True) as source,
            psycopg2.connect(target) as con,
            con.cursor() as cur,
        ):
            cur.execute("create schema marts")
            tables = source.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
            for (table,) in tables:
                columns = source.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                types = []
                for column, kind in columns:
                    for prefix, pg in _PG_TYPES:
                        if kind.startswith(prefix):
                            kind = pg
                    types.append(f'"{column}" {kind}')
                cur.execute(f"create table marts.{table} ({', '.join(types)})")
                rows = source.execute(f"select * from marts.{table}").fetchall()
                marks = ", ".join(["%s"] * len(columns))
                cur.executemany(f"insert into marts.{table} values ({marks})", rows)
        duck = _payload(
            write_report(tmp_path / "duck.html", f"duckdb:///{built_warehouse.path}").read_text()
        )
        pg = _payload(write_report(tmp_path / "pg.html", target).read_text())
        assert json.dumps(pg, sort_keys=True) == json.dumps(duck, sort_keys=True)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def test_week_labels_are_iso_dates(page: Page) -> None:
    labels = [tick.text() for tick in page.chart("spend-classification").all("text", "x-tick")]
    assert labels
    for label in labels:
        day = date.fromisoformat(label.removeprefix("wk "))
        assert day.weekday() == 0, f"{label} is not a Monday"
