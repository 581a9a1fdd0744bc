"""A report to trust at a glance (issue 26): partial periods, unresolved and unassigned spend as
buckets, "—" for missing cache data, data-quality findings in words, the rework chart's AI part
and review-cost assumption, filters without a server, and no chart empty or clipped at 1400 and
800 px.

Each behaviour is checked on the tiny warehouse's marts as they are, and — where the lead will
change a mart — on a copy whose marts already have the change (``changed``), so the report is
known to handle both.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from orchestration.lib.project_vars import (
    DBT_PROJECT_FILE,
    ProjectVarsError,
    read_project_vars,
)
from orchestration.report import charts, render_html, write_report
from tests.report.browser import Node, Page, render, screenshot, table, values
from tests.report.png import read_png
from tests.warehouse.fixtures import Warehouse

UNRESOLVED = "unresolved identities"
UNASSIGNED = "unassigned (service keys, API actors)"
UNASSIGNED_OWNER = "unassigned:openai_api:key:k-1"
# The changed copy adds a month after the data's last one, with as_of_date set so that only
# its first few days exist (on the tiny world: November, 5 of its 30 days).
NEW_MONTH_DAYS = 5


@pytest.fixture(scope="module")
def report(built_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(out, f"duckdb:///{built_warehouse.path}")


@pytest.fixture(scope="module")
def page(report: Path, tmp_path_factory: pytest.TempPathFactory) -> Page:
    return render(report, tmp_path_factory.mktemp("chromium"))


def _month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _month_label(day: date) -> str:
    return day.strftime("%b %Y")


@dataclass
class Changed:
    path: Path
    report: Path
    page: Page
    new_month: date  # the month added to mart_platform_efficiency, partly covered


@pytest.fixture(scope="module")
def changed(built_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Changed:
    """A copy of the built warehouse whose marts have the changes the report is ready for:

    - mart_spend_classification: unresolved identities under `unknown` (and a null team),
      usage of a service key under an `unassigned:…` owner;
    - mart_platform_efficiency: a null cache hit rate for Copilot (no cache data), a real 0 for
      OpenAI with cache writes shown in mart_cache_efficiency; a November row;
    - mart_data_quality: a future check `unassigned_usage_count` (the mart itself now has
      `unpriced_model_names` and `source_unresolved_person_count`); as_of_date such that the new
      month has five days.
    """
    last = built_warehouse.query("select max(month_start_date) from marts.mart_platform_efficiency")
    new_month = _month_after(last[0][0])
    work = tmp_path_factory.mktemp("changed")
    path = work / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.path, path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "update marts.mart_spend_classification set team = 'unknown' "
            "where team = 'suppressed' and platform = 'claude_code'"
        )
        con.execute(
            "update marts.mart_spend_classification set team = null "
            "where team = 'suppressed' and platform = 'cursor'"
        )
        con.execute(
            f"update marts.mart_spend_classification set team = '{UNASSIGNED_OWNER}' "
            "where platform = 'openai_api'"
        )
        con.execute(
            "update marts.mart_platform_efficiency set cache_hit_rate = null "
            "where platform = 'copilot'"
        )
        con.execute(
            "update marts.mart_platform_efficiency set cache_hit_rate = 0 "
            "where platform = 'openai_api'"
        )
        con.execute(
            """
            update marts.mart_cache_efficiency
            set is_suppressed = false, cache_write_tokens = 1000, cache_read_tokens = 0
            where platform = 'openai_api'
            """
        )
        con.execute(
            f"""
            insert into marts.mart_platform_efficiency (
                platform, month_start_date, usage_spend_usd, seat_cost_usd, total_spend_usd,
                attributed_spend_usd, accepted_outcomes, durable_outcomes, cache_hit_rate
            ) values ('claude_code', '{new_month}', 5, 0, 5, 4, 2, 1, 0.5)
            """
        )
        con.execute("alter table marts.mart_data_quality add column unassigned_usage_count bigint")
        con.execute(
            """
            update marts.mart_data_quality set unassigned_usage_count = 3
            where source_name = 'claude_code'
              and activity_date = (select min(activity_date) from marts.mart_data_quality
                                   where source_name = 'claude_code')
            """
        )
        con.execute(
            "update marts.mart_data_quality set as_of_date = ?",
            [new_month + timedelta(days=NEW_MONTH_DAYS)],
        )
    out = write_report(work / "report.html", f"duckdb:///{path}")
    return Changed(path, out, render(out, work / "chromium"), new_month)


def _query(path: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _partials(section: Node) -> dict[str, tuple[int, int, str]]:
    return {
        group.attrs["data-x"]: (
            int(group.attrs["data-days"]),
            int(group.attrs["data-of"]),
            " ".join(text.text() for text in group.all("text")),
        )
        for group in section.all("g", "partial")
    }


def _covered(start: date, end: date, first: date, last: date) -> int:
    return max(0, (min(end, last) - max(start, first)).days + 1)


# ---- 1. partial periods ------------------------------------------------------------------------


def test_partial_periods_are_shaded_and_labelled(page: Page, built_warehouse: Warehouse) -> None:
    # The data covers the first day with AI usage to the last day extracted (the fixture's
    # window; as_of_date is the day after it).
    first = built_warehouse.query("select min(session_date) from core.fct_ai_sessions")[0][0]
    last = built_warehouse.raw.last_day

    monthly = page.chart("platform-efficiency")
    months = {tick.text() for tick in monthly.all("text", "x-tick")}
    assert months
    expected = {}
    for label in months:
        start = date.fromisoformat(
            _query(
                built_warehouse.path,
                "select min(month_start_date) from marts.mart_platform_efficiency "
                "where strftime(month_start_date, '%b %Y') = ?",
                [label],
            )[0][0].isoformat()
        )
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        length = (end - start).days + 1
        covered = _covered(start, end, first, last)
        if covered < length:
            expected[label] = (covered, length, f"partial: {covered} of {length} days")
    assert expected, "the tiny world starts after the 1st of its first month"
    assert _partials(monthly) == expected
    for group in monthly.all("g", "partial"):
        assert group.all("rect", "partial-band"), "a partial period is shaded"

    weekly = page.chart("spend-classification")
    expected = {}
    for tick in weekly.all("text", "x-tick"):
        start = date.fromisoformat(tick.text().removeprefix("wk "))
        covered = _covered(start, start + timedelta(days=6), first, last)
        if covered < 7:
            expected[tick.text()] = (covered, 7, f"partial: {covered} of 7 days")
    assert expected, "the first week of the tiny world starts before its first day"
    assert _partials(weekly) == expected
    assert len(_partials(weekly)) < len(weekly.all("text", "x-tick")), "full weeks are not marked"


def test_a_month_with_five_days_of_data_says_so(changed: Changed) -> None:
    flags = _partials(changed.page.chart("platform-efficiency"))
    length = (_month_after(changed.new_month) - changed.new_month).days
    assert flags[_month_label(changed.new_month)] == (
        NEW_MONTH_DAYS,
        length,
        f"partial: {NEW_MONTH_DAYS} of {length} days",
    )


# ---- 2. unresolved identities and unassigned usage -----------------------------------------------


def test_unresolved_and_unassigned_spend_are_buckets_with_their_share(
    changed: Changed,
) -> None:
    path, page = changed.path, changed.page
    section = page.chart("spend-by-team")
    ticks = [tick.attrs["data-label"] for tick in section.all("text", "x-tick")]
    assert UNRESOLVED in ticks and UNASSIGNED in ticks
    assert "unknown" not in ticks and UNASSIGNED_OWNER not in ticks and "null" not in ticks

    shares = [share.attrs["data-label"] for share in section.all("text", "share")]
    assert len(shares) == len(ticks)
    spend = dict(
        _query(
            path,
            """
            select case when team is null or team = 'unknown' then 'unresolved'
                        when team like 'unassigned%' then 'unassigned' else team end,
                   sum(total_spend_usd) / (select sum(total_spend_usd)
                                           from marts.mart_spend_classification)
            from marts.mart_spend_classification group by 1
            """,
        )
    )
    by_tick = dict(zip(ticks, shares, strict=True))
    assert by_tick[UNRESOLVED] == f"{float(spend['unresolved']) * 100:.1f}% of spend"
    assert by_tick[UNASSIGNED] == f"{float(spend['unassigned']) * 100:.1f}% of spend"

    rows = {row[0]: row for row in table(section)[1:]}
    assert rows[UNRESOLVED][2] == f"{float(spend['unresolved']) * 100:.1f}%"
    assert rows[UNASSIGNED][2] == f"{float(spend['unassigned']) * 100:.1f}%"

    kpis = {kpi.one("span").text(): kpi.one("b").text() for kpi in page.root.all("div", "kpi")}
    assert kpis[UNRESOLVED] == f"{float(spend['unresolved']) * 100:.1f}%"
    assert kpis[UNASSIGNED] == f"{float(spend['unassigned']) * 100:.1f}%"

    options = [option.text() for option in page.root.one("select", name="team").all("option")]
    assert UNRESOLVED in options and UNASSIGNED in options and "unknown" not in options


def test_unresolved_spend_merged_into_suppressed_is_said(page: Page) -> None:
    # Today's mart sizes the unresolved group like a team: one unresolved identity on the tiny
    # world, so their spend is inside `suppressed` — the page must not pretend there is none.
    caveat = page.chart("spend-by-team").one("p", "caveat").text()
    assert "unresolved identities" in caveat and "inside “suppressed”" in caveat
    ticks = [tick.attrs["data-label"] for tick in page.chart("spend-by-team").all("text", "x-tick")]
    assert "unknown" not in ticks


# ---- 3. no cache data is "—", not 0 % ------------------------------------------------------------


def _cache_view(
    page: Page, month: str | None = None
) -> tuple[dict[str, float], dict[str, str], dict[str, str]]:
    """A month of the cache chart (default: its first): bars and "—" marks by platform, and its
    table column."""
    section = page.chart("cache-efficiency")
    month = month or section.all("text", "x-tick")[0].text()
    drawn = {series: value for (x, series), value in values(section).items() if x == month}
    dashes = {
        node.attrs["data-series"]: node.text()
        for node in section.all("text", "null-mark", data_x=month)
    }
    rows = table(section)
    column = rows[0].index(month)
    cells = {row[0]: row[column] for row in rows[1:]}
    return drawn, dashes, cells


def test_a_platform_without_cache_data_shows_a_dash(page: Page, built_warehouse: Warehouse) -> None:
    # Today's mart: Copilot reports no cache tokens and its hit rate is 0.
    assert built_warehouse.query(
        "select max(cache_hit_rate) from marts.mart_platform_efficiency where platform = 'copilot'"
    )[0][0] in (0, None)
    drawn, dashes, cells = _cache_view(page)
    assert "copilot" not in drawn
    assert dashes == {"copilot": "—"}
    assert cells["copilot"] == "—"
    legend = [item.text() for item in page.chart("cache-efficiency").all("span", "legend-item")]
    assert "copilot (— no cache data)" in legend
    rates = dict(
        built_warehouse.query(
            "select platform, cache_hit_rate from marts.mart_platform_efficiency "
            "where platform <> 'copilot'"
        )
    )
    assert drawn == pytest.approx({platform: float(rate) for platform, rate in rates.items()})


def test_null_cache_rate_is_a_dash_and_a_real_zero_stays_zero(changed: Changed) -> None:
    page = changed.page
    drawn, dashes, cells = _cache_view(page)
    assert "copilot" not in drawn  # the lead's null: no bar…
    assert dashes["copilot"] == "—" and cells["copilot"] == "—"  # …but "—"
    # OpenAI's 0 comes with cache writes in mart_cache_efficiency: a real 0 %, not "—".
    assert "openai_api" not in dashes
    assert cells["openai_api"] == "0.0%"
    # A platform without a row in a month (no usage at all) is not "no cache data".
    _, new_month, _ = _cache_view(page, _month_label(changed.new_month))
    assert new_month == {}


# ---- 4. data-quality findings in words ---------------------------------------------------------


def _findings(page: Page) -> dict[str, str]:
    section = page.chart("data-quality")
    return {
        row.attrs["data-source"]: row.one("td", "findings").text()
        for row in section.all("tr")
        if "data-source" in row.attrs
    }


def _sum(path: Path, column: str, source: str) -> int:
    return int(
        _query(
            path,
            f"select coalesce(sum({column}), 0) from marts.mart_data_quality where source_name = ?",
            [source],
        )[0][0]
    )


def test_data_quality_rows_say_what_they_count(page: Page, built_warehouse: Warehouse) -> None:
    findings = _findings(page)
    sources = {
        row[0]
        for row in built_warehouse.query("select distinct source_name from marts.mart_data_quality")
    }
    assert set(findings) == sources
    unresolved = _sum(built_warehouse.path, "unresolved_identity_count", "claude_code")
    assert unresolved > 0
    # The mart counts distinct unresolved people per source and names the unpriced models.
    ((people,),) = built_warehouse.query(
        "select max(source_unresolved_person_count) from marts.mart_data_quality "
        "where source_name = 'claude_code'"
    )
    person = "unresolved person" if people == 1 else "unresolved people"
    # The tiny world's CI bot (a Claude Code API actor) reads as the check it is counted by.
    actors = _sum(built_warehouse.path, "unassigned_api_actor_count", "claude_code")
    records = _sum(built_warehouse.path, "record_count", "claude_code")
    assert actors > 0
    assert findings["claude_code"] == (
        f"{people} {person}, {unresolved} sessions; "
        f"unassigned api actor: {actors} of {records} sessions"
    )
    unpriced = _sum(built_warehouse.path, "unpriced_model_count", "cursor")
    assert unpriced == 1
    ((names,),) = built_warehouse.query(
        "select string_agg(distinct unpriced_model_names, '; ') from marts.mart_data_quality "
        "where source_name = 'cursor'"
    )
    assert findings["cursor"] == f"1 unpriced model ({names}), 1 session"
    assert findings["git"] == "nothing to flag"


def test_data_quality_names_models_people_and_unknown_checks(changed: Changed) -> None:
    path, page = changed.path, changed.page
    findings = _findings(page)
    names = sorted(
        {
            name.strip()
            for (value,) in _query(
                path,
                "select unpriced_model_names from marts.mart_data_quality "
                "where source_name = 'cursor' and unpriced_model_names is not null",
            )
            for name in value.split(";")
        }
    )
    assert names
    model = "model" if len(names) == 1 else "models"
    assert findings["cursor"] == f"{len(names)} unpriced {model} ({', '.join(names)}), 1 session"
    people = _query(
        path,
        "select max(source_unresolved_person_count) from marts.mart_data_quality "
        "where source_name = 'claude_code'",
    )[0][0]
    sessions = _sum(path, "unresolved_identity_count", "claude_code")
    records = _sum(path, "record_count", "claude_code")
    actors = _sum(path, "unassigned_api_actor_count", "claude_code")
    person = "unresolved person" if people == 1 else "unresolved people"
    # A check the page does not know (unassigned_usage_count) still reads as a sentence.
    assert findings["claude_code"] == (
        f"{people} {person}, {sessions} sessions; "
        f"unassigned api actor: {actors} of {records} sessions; "
        f"unassigned usage: 3 of {records} sessions"
    )


# ---- 5. rework-adjusted cost ---------------------------------------------------------------------


def test_rework_chart_shows_the_ai_part_beside_review_cost(
    page: Page, built_warehouse: Warehouse
) -> None:
    section = page.chart("rework-adjusted-cost")
    rows = built_warehouse.query(
        """
        select primary_platform, sum(ai_cost_usd) / count(*), sum(review_cost_usd) / count(*)
        from marts.mart_rework_adjusted_cost group by 1
        """
    )
    drawn = values(section)
    with_ai = [(platform, float(ai), float(review)) for platform, ai, review in rows if ai > 0]
    assert with_ai
    for platform, ai, review in with_ai:
        assert drawn[(platform, "AI cost")] == pytest.approx(ai)
        assert drawn[(platform, "review cost")] == pytest.approx(review)
        bar = section.one("rect", "mark", data_x=platform, data_series="AI cost")
        review_bar = section.one("rect", "mark", data_x=platform, data_series="review cost")
        # Side by side on the same axis, not stacked under the review cost…
        assert float(bar.attrs["x"]) != float(review_bar.attrs["x"])
        assert float(bar.attrs["y"]) + float(bar.attrs["height"]) == pytest.approx(
            float(review_bar.attrs["y"]) + float(review_bar.attrs["height"])
        )
        # …visible, and carrying its value.
        assert float(bar.attrs["height"]) >= 2
        label = section.one("text", "value", data_x=platform, data_series="AI cost").text()
        assert label == f"${ai:,.2f}"


def test_review_cost_assumption_is_stated_from_the_dbt_project(page: Page) -> None:
    project = yaml.safe_load(DBT_PROJECT_FILE.read_text())["vars"]
    for chart_id in ("rework-adjusted-cost", "review-drag"):
        text = page.chart(chart_id).one("p", "assumption").text()
        assert f"{project['review_minutes_per_review']:g} minutes per review × reviews" in text
        assert f"{project['review_minutes_per_comment']:g} minutes per review comment" in text
        assert f"${project['reviewer_hourly_usd']:g} an hour" in text
    # The other vars the page quotes come from the same file.
    caveat = page.chart("rework-adjusted-cost").one("p", "caveat").text()
    assert f"rework window ({project['rework_window_days']} days)" in caveat
    kpis = [kpi.one("small").text() for kpi in page.root.all("div", "kpi")]
    assert f"accepted PRs ≥ {project['durable_survival_threshold']:.0%} lines at 30 days" in kpis
    team_caveat = page.chart("spend-by-team").one("p", "caveat").text()
    assert f"minimum cohort size ({project['min_cohort_size']})" in team_caveat


def test_project_vars_are_read_not_hard_coded(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project.yml"
    settings = (
        "vars:\n  review_minutes_per_review: 25\n  review_minutes_per_comment: 4.5\n"
        "  reviewer_hourly_usd: 120\n  min_cohort_size: 7\n  durable_survival_threshold: 0.8\n"
        "  rework_window_days: 21\n  usage_lookback_days: 5\n"
    )
    project.write_text(settings + "  durability_horizons_days: [60, 14]\n")
    read = read_project_vars(project)
    assert (
        read.min_cohort_size,
        read.durable_survival_threshold,
        read.rework_window_days,
        read.durability_horizons_days,
        read.usage_lookback_days,
    ) == (7, 0.8, 21, (14, 60), 5)
    assert read.review_cost_assumption().startswith(
        "Review cost assumes 25 minutes per review × reviews + 4.5 minutes per review comment "
        "× comments, at $120 an hour"
    )
    project.write_text(settings + "  durability_horizons_days: 30\n")
    with pytest.raises(ProjectVarsError, match=r"durability_horizons_days .* list of positive"):
        read_project_vars(project)
    project.write_text("vars:\n  review_minutes_per_review: twenty\n")
    with pytest.raises(ProjectVarsError, match=r"review_minutes_per_review .* not a number"):
        read_project_vars(project)


# ---- 6. filters without a server -----------------------------------------------------------------


def _scope(page: Page, chart_id: str) -> str:
    return page.chart(chart_id).one("p", "scope").text()


def test_platform_filter_redraws_every_chart(
    report: Path, built_warehouse: Warehouse, tmp_path: Path
) -> None:
    page = render(report, tmp_path / "chromium", "platform=cursor")
    assert page.root.one("select", name="platform").attrs  # the control exists
    efficiency = values(page.chart("platform-efficiency"))
    assert efficiency and {series for _, series in efficiency} == {"cursor"}
    spend = built_warehouse.query(
        "select sum(total_spend_usd) from marts.mart_spend_classification where platform = 'cursor'"
    )[0][0]
    assert sum(values(page.chart("spend-classification")).values()) == pytest.approx(float(spend))
    assert {x for x, _ in values(page.chart("rework-adjusted-cost"))} == {"cursor"}
    assert {s for _, s in values(page.chart("cache-efficiency"))} == {"cursor"}
    assert {s for _, s in values(page.chart("data-quality"))} == {"cursor"}
    assert set(_findings(page)) == {"cursor", "github", "git"}
    for chart_id in ("review-drag", "durability"):
        assert "the platform filter does not apply" in _scope(page, chart_id)
    kpi = page.root.one("div", "kpi", data_kpi="0").one("b").text()
    total = built_warehouse.query(
        "select sum(total_spend_usd) from marts.mart_platform_efficiency where platform = 'cursor'"
    )[0][0]
    assert kpi == f"${float(total):,.2f}" if total < 100 else f"${float(total):,.0f}"


def test_team_filter_redraws_spend_and_says_where_it_cannot(
    report: Path, page: Page, built_warehouse: Warehouse, tmp_path: Path
) -> None:
    filtered = render(report, tmp_path / "chromium", "team=payments")
    spend = built_warehouse.query(
        "select sum(total_spend_usd) from marts.mart_spend_classification where team = 'payments'"
    )[0][0]
    weekly = values(filtered.chart("spend-classification"))
    assert sum(weekly.values()) == pytest.approx(float(spend))
    assert {x for x, _ in values(filtered.chart("spend-by-team"))} == {"payments"}
    assert "team: payments" in _scope(filtered, "spend-classification")
    for chart_id in ("platform-efficiency", "cache-efficiency", "rework-adjusted-cost"):
        # Organisation-wide marts keep their figures and say the team filter does not apply.
        assert "the team filter does not apply" in _scope(filtered, chart_id)
        assert values(filtered.chart(chart_id)) == values(page.chart(chart_id))


def test_time_range_filter_redraws_every_chart(
    report: Path, page: Page, built_warehouse: Warehouse, tmp_path: Path
) -> None:
    # Every month from the first day with usage to the last day loaded is a choice.
    first = built_warehouse.query("select min(session_date) from core.fct_ai_sessions")[0][0]
    last = built_warehouse.raw.last_day
    expected, month = [], first.replace(day=1)
    while month <= last:
        expected.append(month.isoformat()[:7])
        month = _month_after(month)
    months = [
        option.attrs["value"] for option in page.root.one("select", name="from").all("option")
    ]
    assert months == expected
    # The tiny world's activity fits in its first month; the last month loaded is quiet.
    active = {
        row[0].isoformat()[:7]
        for row in built_warehouse.query(
            """
            select month_start_date from marts.mart_platform_efficiency
            union select cast(date_trunc('month', week_start_date + 3) as date)
            from marts.mart_spend_classification
            union select merged_month from marts.mart_rework_adjusted_cost
            union select created_month from marts.mart_review_drag
            """
        )
    }
    assert active == {expected[0]} and expected[-1] != expected[0], "the tiny world changed"
    # The first month alone is everything the tiny world has…
    busy = render(report, tmp_path / "busy", f"from={expected[0]}&to={expected[0]}")
    for chart_id in page.charts():
        assert values(busy.chart(chart_id)) == values(page.chart(chart_id)), chart_id
    # …and the last (covered by the data, but quiet) draws nothing, without an error.
    quiet = render(report, tmp_path / "quiet", f"from={expected[-1]}&to={expected[-1]}")
    label = _month_label(date.fromisoformat(f"{expected[-1]}-01"))
    for chart_id, section in quiet.charts().items():
        assert section.attrs.get("data-error") is None, chart_id
        assert section.attrs.get("data-drawn") == "0", chart_id
        assert "No data for the selected filters." in section.text(), chart_id
        assert f"Showing {label} ·" in _scope(quiet, chart_id)


def _with_script(report: Path, out: Path, script: str) -> Path:
    """A copy of the report that runs ``script`` after the page's own (a user at the controls)."""
    html = report.read_text(encoding="utf-8")
    out.write_text(html.replace("</body>", f"<script>{script}</script></body>"), encoding="utf-8")
    return out


def test_choosing_in_the_controls_redraws_and_keeps_the_choice_in_the_url(
    report: Path, page: Page, tmp_path: Path
) -> None:
    chosen = _with_script(
        report,
        tmp_path / "chosen.html",
        """
        var form = document.getElementById("filters");
        form.elements.platform.value = "cursor";
        form.elements.platform.dispatchEvent(new Event("change", { bubbles: true }));
        document.body.setAttribute("data-hash", location.hash);
        """,
    )
    filtered = render(chosen, tmp_path / "chosen")
    assert filtered.body.attrs["data-hash"] == "#platform=cursor"
    assert {series for _, series in values(filtered.chart("platform-efficiency"))} == {"cursor"}

    reset = _with_script(
        report,
        tmp_path / "reset.html",
        """
        document.getElementById("filters").elements.reset.click();
        document.body.setAttribute("data-hash", location.hash);
        """,
    )
    everything = render(reset, tmp_path / "reset", "team=payments&platform=cursor")
    assert everything.body.attrs["data-hash"] == ""
    for chart_id in page.charts():
        assert values(everything.chart(chart_id)) == values(page.chart(chart_id)), chart_id


def test_team_choices_are_the_marts_cohort_safe_teams(
    page: Page, built_warehouse: Warehouse
) -> None:
    options = [
        option.attrs["value"]
        for option in page.root.one("select", name="team").all("option")
        if option.attrs["value"]
    ]
    teams = {
        charts.team_bucket(team)
        for (team,) in built_warehouse.query(
            "select distinct team from marts.mart_spend_classification"
        )
    }
    # Exactly the teams the mart publishes: the page makes up no finer group…
    assert set(options) == teams
    cohort = read_project_vars().min_cohort_size
    sizes = dict(
        built_warehouse.query(
            "select team, count(*) from core.dim_people where team is not null group by team"
        )
    )
    for team in set(options) - {"suppressed", UNRESOLVED, UNASSIGNED}:
        # …and each team it offers has at least the minimum cohort of people.
        assert sizes[team] >= cohort, team


# ---- 7. no chart empty or clipped at 1400 and 800 px -------------------------------------------


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


@pytest.mark.parametrize("width", [1400, 800])
@pytest.mark.parametrize("marts", ["as built", "changed"])
def test_no_chart_is_empty_or_clipped(
    request: pytest.FixtureRequest, tmp_path: Path, width: int, marts: str
) -> None:
    # The changed marts add long bucket names and a second month: more to fit.
    report = (
        request.getfixturevalue("report")
        if marts == "as built"
        else request.getfixturevalue("changed").report
    )
    page = render(report, tmp_path / "dom", window=(width, 900))
    viewport = page.body.json("data-viewport")
    assert viewport["width"] == width
    assert viewport["scrollWidth"] <= width, "the page scrolls sideways"
    layouts = {}
    for chart_id, section in page.charts().items():
        assert int(section.attrs.get("data-drawn") or 0) > 0, f"{chart_id} is empty at {width}px"
        layout = section.json("data-layout")
        assert layout["outside"] == 0, f"{chart_id}: {layout['outside']} marks or labels clipped"
        assert layout["overlaps"] == 0, f"{chart_id}: {layout['overlaps']} labels overlap"
        assert layout["left"] >= 0 and layout["left"] + layout["width"] <= width, chart_id
        assert layout["width"] >= min(width, 1040) * 0.6, f"{chart_id} squeezed: {layout}"
        layouts[chart_id] = (layout, {mark.attrs["fill"] for mark in section.all(cls="mark")})

    shot = screenshot(
        report, tmp_path / "shot", tmp_path / f"report-{width}.png", (width, viewport["height"])
    )
    image = read_png(shot)
    assert image.width == width
    for chart_id, (layout, fills) in layouts.items():
        colours = [_rgb(fill) for fill in fills]
        region = image.crop(
            layout["left"],
            layout["top"],
            layout["left"] + layout["width"],
            layout["top"] + layout["height"],
        )
        assert region.height == layout["height"], f"{chart_id} is cut off at the page's bottom"
        painted = sum(
            1
            for y in range(0, region.height, 2)
            for x in range(0, region.width, 2)
            if any(_near(region.pixel(x, y), colour) for colour in colours)
        )
        # Marks in the chart's own colours are on screen where the DOM says the chart is.
        assert painted >= 50, (
            f"{chart_id} shows {painted} sampled pixels of its colours at {width}px"
        )


def _spend_rows(weeks: int, teams: list[str]) -> list[dict[str, Any]]:
    """mart_spend_classification-like rows: every team × platform × week, a little spend each."""
    start = date(2026, 9, 14)
    rows = []
    for week in range(weeks):
        for t, team in enumerate(teams):
            for p, platform in enumerate(("claude_code", "cursor", "copilot")):
                spend = {
                    name: float(1 + (week + t + p + i) % 5)
                    for i, name in enumerate(
                        ("productive", "exploratory", "retry", "abandoned", "rework", "pending")
                    )
                }
                rows.append(
                    {
                        "period": (start + timedelta(weeks=week)).isoformat(),
                        "team": team,
                        "platform": platform,
                        **spend,
                        "total": sum(spend.values()),
                    }
                )
    return rows


@pytest.mark.parametrize("width", [1400, 800])
def test_many_weeks_and_teams_fit(tmp_path: Path, width: int) -> None:
    # The demo world's shape: 8 weeks (upright labels that wrap), 12 weeks (slanted), and 13
    # team buckets with long names — each must fit without clipped or overlapping labels.
    teams = [
        "billing", "checkout", "data", "growth", "identity", "infra", "messaging", "mobile",
        "payments", "platform", "suppressed", "unknown", "unassigned:anthropic_api:key:k-9",
    ]  # fmt: skip
    project = read_project_vars()
    coverage = charts.Coverage(date(2026, 9, 20), date(2026, 12, 5))
    built = []
    for weeks in (8, 12):
        rows = charts._spend_rows(_spend_rows(weeks, teams))
        weekly = charts.spend_week_chart(rows, coverage)
        weekly.id = f"weeks-{weeks}"
        built.append(weekly)
    team_chart, order = charts.spend_team_chart(
        charts._spend_rows(_spend_rows(8, teams)), [], project
    )
    built.append(team_chart)
    data = charts.ReportData(
        "p",
        "a",
        [],
        built,
        months=[
            ("2026-09", "Sep 2026"),
            ("2026-10", "Oct 2026"),
            ("2026-11", "Nov 2026"),
            ("2026-12", "Dec 2026"),
        ],
        teams=[(team, team) for team in order],
    )
    page_path = tmp_path / "report.html"
    page_path.write_text(render_html(data), encoding="utf-8")
    page = render(page_path, tmp_path / "chromium", window=(width, 900))
    assert page.body.json("data-viewport")["scrollWidth"] <= width
    for chart_id, section in page.charts().items():
        assert section.attrs.get("data-error") is None, chart_id
        assert int(section.attrs["data-drawn"]) > 0, chart_id
        layout = section.json("data-layout")
        assert (layout["outside"], layout["overlaps"]) == (0, 0), (
            f"{chart_id} at {width}px: {layout}"
        )
    ticks = [tick.attrs["data-label"] for tick in page.chart("spend-by-team").all("text", "x-tick")]
    assert len(ticks) == len(teams) and UNRESOLVED in ticks and UNASSIGNED in ticks


def test_no_stale_banner_when_every_source_loaded(page: Page, built_warehouse: Warehouse) -> None:
    statuses = built_warehouse.query(
        "select distinct latest_status from marts.mart_source_freshness where product is null"
    )
    assert statuses and {s for (s,) in statuses} <= {"loaded", "not_configured"}
    assert not page.body.all("aside", cls="stale-banner")


def test_a_stale_source_shows_a_banner_naming_it_and_why(
    built_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("stale")
    path = work / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.path, path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "update marts.mart_source_freshness set latest_status = 'failed', is_stale = true, "
            "days_behind = 3, latest_message = 'GitHub Copilot: copilot/billing/seats answered "
            "500' where source_name = 'copilot' and product is null"
        )
        (last,) = con.execute(
            "select last_loaded_date from marts.mart_source_freshness "
            "where source_name = 'copilot' and product is null"
        ).fetchone()
    report = write_report(work / "report.html", f"duckdb:///{path}")
    banner = render(report, work / "chromium").body.one("aside", cls="stale-banner")
    assert "Stale sources" in banner.text()
    (item,) = banner.all("li")
    assert item.text().startswith(f"copilot: last loaded {last}, 3 days behind; latest run failed")
    assert "answered 500" in item.text()
