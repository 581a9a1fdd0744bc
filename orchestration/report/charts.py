"""Turn mart rows into chart specifications, tables and headline figures for the HTML report.

A chart spec is plain JSON for the page's inline script: categories along the x axis and named
series of values (``None`` where a value is undefined, e.g. no accepted outcome that month). The
script draws marks only for values it has, so a gap stays a gap rather than a zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from orchestration.report import marts
from orchestration.report.marts import MartReader, Row

# Okabe-Ito colours (distinguishable with colour-blindness), fixed per platform across charts.
PLATFORM_COLOURS = {
    "claude_code": "#D55E00",
    "anthropic_api": "#E69F00",
    "openai_api": "#009E73",
    "cursor": "#0072B2",
    "copilot": "#CC79A7",
    "none": "#999999",
}
FALLBACK_COLOURS = ("#56B4E9", "#F0E442", "#000000", "#882255", "#44AA99")
CLASS_COLOURS = {
    "productive": "#009E73",
    "exploratory": "#56B4E9",
    "retry": "#E69F00",
    "abandoned": "#D55E00",
    "rework": "#CC79A7",
    "pending": "#BBBBBB",
}
AI_COLOURS = {"AI-assisted": "#0072B2", "not AI-assisted": "#999999"}

MARKERS_CAVEAT = (
    "AI-assisted = an agent marker in the PR or an AI session linked to it; markers can be "
    "switched off, so this is a lower bound."
)


@dataclass
class Table:
    """A small table under a chart: the figures behind it, already formatted."""

    columns: list[str]
    rows: list[list[str]]


@dataclass
class Chart:
    """One chart section: what it shows, how to read it and what to distrust."""

    id: str
    title: str
    definition: str
    caveat: str
    kind: str  # "bar" (grouped), "stacked" or "line"
    unit: str  # "usd", "pct", "hours" or "number"
    categories: list[str] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)
    x_label: str = ""
    note: str = ""
    # Shown instead of the chart when there is nothing to draw for a legitimate reason (the mart
    # is empty, or e.g. no PR was accepted yet). Left empty, nothing to draw is an error.
    empty_text: str = ""
    table: Table | None = None

    def spec(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "unit": self.unit,
            "categories": self.categories,
            "series": self.series,
            "xLabel": self.x_label,
            "emptyText": self.empty_text,
        }


@dataclass
class ReportData:
    period: str
    as_of: str
    kpis: list[tuple[str, str, str]]  # label, value, explanation
    charts: list[Chart]


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _num(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _colour(name: str, palette: dict[str, str], seen: dict[str, str]) -> str:
    if name in palette:
        return palette[name]
    if name not in seen:
        seen[name] = FALLBACK_COLOURS[len(seen) % len(FALLBACK_COLOURS)]
    return seen[name]


def _pivot(
    rows: list[Row], key: str, value: Any, palette: dict[str, str]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Rows of (period, key, …) → sorted categories and one series per key."""
    categories = sorted({str(row["period"]) for row in rows})
    names = sorted({str(row[key]) for row in rows})
    extra: dict[str, str] = {}
    cells = {(str(row["period"]), str(row[key])): value(row) for row in rows}
    series = [
        {
            "name": name,
            "colour": _colour(name, palette, extra),
            "values": [cells.get((category, name)) for category in categories],
        }
        for name in names
    ]
    return categories, series


def _no_data(rows: list[Row]) -> str:
    return "" if rows else "No data for this period."


def _month_label(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%b %Y")


def _usd(value: float | None) -> str:
    if value is None:
        return "–"
    return f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.2f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def efficiency_chart(months: list[Row]) -> Chart:
    categories, series = _pivot(
        months,
        "platform",
        lambda row: _ratio(row["total_spend_usd"], row["accepted_outcomes"]),
        PLATFORM_COLOURS,
    )
    by_platform: dict[str, dict[str, float]] = {}
    for row in months:
        totals = by_platform.setdefault(row["platform"], {})
        for column in (
            "total_spend_usd",
            "usage_spend_usd",
            "seat_cost_usd",
            "attributed_spend_usd",
            "accepted_outcomes",
            "durable_outcomes",
            "rework_adjusted_cost_usd",
        ):
            totals[column] = totals.get(column, 0.0) + _num(row[column])
    table_rows = [
        [
            platform,
            _usd(t["total_spend_usd"]),
            _usd(t["usage_spend_usd"]),
            _usd(t["seat_cost_usd"]),
            f"{t['accepted_outcomes']:,.1f}",
            _usd(_ratio(t["total_spend_usd"], t["accepted_outcomes"])),
            _pct(_ratio(t["durable_outcomes"], t["accepted_outcomes"])),
            _usd(_ratio(t["total_spend_usd"], t["durable_outcomes"])),
            _usd(_ratio(t["rework_adjusted_cost_usd"], t["accepted_outcomes"])),
            _pct(_ratio(t["attributed_spend_usd"], t["usage_spend_usd"])),
        ]
        for platform, t in sorted(by_platform.items(), key=lambda item: -item[1]["total_spend_usd"])
    ]
    attributed = _ratio(
        sum(t["attributed_spend_usd"] for t in by_platform.values()),
        sum(t["usage_spend_usd"] for t in by_platform.values()),
    )
    return Chart(
        id="platform-efficiency",
        title="Cost per accepted outcome, by platform and month",
        definition=(
            "Total spend (usage + seats) ÷ accepted pull requests; a PR that used several "
            "platforms is split between them by cost share, so it counts once in total."
        ),
        caveat=(
            f"Outcomes come from attribution: {_pct(attributed)} of usage spend is linked to a "
            "pull request — by the platform's agent marker in the PR and the author's session "
            "in its development window (medium confidence) or by the window alone (low); the "
            "rest (exploration, abandoned work, unlinked sessions) still counts in spend. "
            "Months with no accepted outcome have no bar."
        ),
        kind="bar",
        unit="usd",
        categories=[_month_label(category) for category in categories],
        series=series,
        x_label="month",
        empty_text=_no_data(months)
        or (
            ""
            if any(_num(row["accepted_outcomes"]) for row in months)
            else "No pull request was accepted in this period yet: cost per accepted outcome is "
            "undefined."
        ),
        table=Table(
            columns=[
                "platform",
                "total spend",
                "usage",
                "seats",
                "accepted",
                "$ / accepted",
                "durable share",
                "$ / durable",
                "rework-adjusted $ / accepted",
                "attributed share",
            ],
            rows=table_rows,
        ),
    )


CLASSES = ("productive", "exploratory", "retry", "abandoned", "rework", "pending")
CLASS_DEFINITION = (
    "Each usage dollar lands in exactly one class: productive (its PR was accepted and kept), "
    "exploratory (no PR, not a retry), retry (re-asked or rejected), abandoned (its PR was "
    "closed unmerged), rework (fixing an earlier PR), pending (its PR is still open)."
)


def spend_week_chart(weeks: list[Row]) -> Chart:
    return Chart(
        id="spend-classification",
        title="Where the usage spend went, by week",
        definition=CLASS_DEFINITION,
        caveat=(
            "Seat costs are not classified (they buy access, not requests). Classes depend on "
            "attribution: an unlinked session counts as exploratory, so productive is a lower "
            "bound."
        ),
        kind="stacked",
        unit="usd",
        categories=[f"wk {row['period']}" for row in weeks],
        series=[
            {
                "name": name,
                "colour": CLASS_COLOURS[name],
                "values": [_num(row[name]) for row in weeks],
            }
            for name in CLASSES
        ],
        x_label="week starting",
        empty_text=_no_data(weeks),
    )


def spend_team_chart(teams: list[Row]) -> Chart:
    return Chart(
        id="spend-by-team",
        title="Spend classes by team (share of each team's usage spend)",
        definition=(
            "The same classes as above, as shares of each team's usage spend over the period, "
            "so teams of different size compare."
        ),
        caveat=(
            "Teams with fewer people than the minimum cohort size (5) are merged into "
            "“suppressed”; there is no per-person view. A high retry or abandoned share points "
            "at missing context or unclear tasks, not at a person."
        ),
        kind="stacked",
        unit="pct",
        categories=[str(row["team"]) for row in teams],
        series=[
            {
                "name": name,
                "colour": CLASS_COLOURS[name],
                "values": [_ratio(_num(row[name]), _num(row["total"])) for row in teams],
            }
            for name in CLASSES
        ],
        x_label="team",
        empty_text=_no_data(teams),
    )


def cache_chart(months: list[Row], savings: list[Row]) -> Chart:
    categories, series = _pivot(
        months, "platform", lambda row: row["cache_hit_rate"], PLATFORM_COLOURS
    )
    # Platforms that report no cache tokens (e.g. Copilot) would be a zero bar: leave them out
    # rather than suggest they cache nothing.
    series = [s for s in series if any(value for value in s["values"])]
    totals = savings[0] if savings else {}
    groups = int(totals.get("groups") or 0)
    suppressed = int(totals.get("suppressed_groups") or 0)
    if groups and suppressed < groups:
        saved = (
            f"In the platform × model × team × week groups large enough to show "
            f"({groups - suppressed} of {groups}), caching saved {_usd(totals['saved_usd'])} "
            "against paying for the same tokens as uncached input, with "
            f"{_ratio(totals['cache_write_tokens'], totals['cache_read_tokens']) or 0:.2f} "
            "tokens written per token read."
        )
    else:
        saved = (
            "Dollars saved and write amplification (mart_cache_efficiency) are per team and week; "
            f"all {groups} groups are below the minimum cohort size, so they are not shown."
        )
    return Chart(
        id="cache-efficiency",
        title="Prompt-cache hit rate, by platform and month",
        definition=(
            "Cache reads ÷ (cache reads + cache writes + uncached input tokens): how much of the "
            "context sent to the models was served from the prompt cache."
        ),
        caveat=(
            "Platforms that report no cache tokens (Copilot) are not drawn. A high hit rate with "
            "high write amplification can still cost more than it saves."
        ),
        kind="bar",
        unit="pct",
        categories=[_month_label(category) for category in categories],
        series=series,
        x_label="month",
        note=saved,
        empty_text=_no_data(months)
        or ("" if series else "No platform reported cache tokens in this period."),
    )


def review_chart(rows: list[Row]) -> Chart:
    by_flag = {bool(row["is_ai_assisted"]): row for row in rows}
    series = []
    notes = []
    for flag, name in ((True, "AI-assisted"), (False, "not AI-assisted")):
        row = by_flag.get(flag)
        if row is None:
            continue
        series.append(
            {
                "name": name,
                "colour": AI_COLOURS[name],
                "values": [
                    _ratio(row["first_review_hours"], row["reviewed_weight"]),
                    _ratio(row["merge_hours"], row["merge_weight"]),
                ],
            }
        )
        prs = _num(row["pull_requests"])
        notes.append(
            f"{name}: {prs:,.0f} PRs, {_ratio(row['changed_lines'], prs) or 0:,.0f} changed "
            f"lines and {_ratio(row['review_rounds'], prs) or 0:.1f} review rounds on average, "
            f"{_usd(_ratio(row['review_cost_usd'], prs))} review cost per PR"
        )
    return Chart(
        id="review-drag",
        title="Review drag: AI-assisted vs other pull requests",
        definition=(
            "Average hours from ready-for-review to the first review, and from opening to merge "
            "(merged PRs), over every repository and month."
        ),
        caveat=MARKERS_CAVEAT
        + " Review cost assumes 20 minutes per review and 3 per comment at $100 an hour.",
        kind="bar",
        unit="hours",
        categories=["to first review", "to merge"],
        series=series,
        note="; ".join(notes) + ".",
        empty_text=_no_data(rows),
    )


def rework_chart(rows: list[Row]) -> Chart:
    parts = (
        ("AI cost", "ai_cost_usd", "#0072B2"),
        ("review cost", "review_cost_usd", "#E69F00"),
        ("repair cost", "repair_cost_usd", "#D55E00"),
    )
    return Chart(
        id="rework-adjusted-cost",
        title="Rework-adjusted cost per accepted pull request, by main platform",
        definition=(
            "Per accepted PR: attributed AI cost + review cost + repair cost (the AI and review "
            "cost of later PRs that changed its lines, by the share of lines they touched)."
        ),
        caveat=(
            "Main platform = the platform with the largest attributed AI cost on the PR (“none” "
            "without AI). Repair is only seen within the rework window (30 days) and in the "
            "repositories tokenworth mirrors."
        ),
        kind="stacked",
        unit="usd",
        categories=[str(row["platform"]) for row in rows],
        series=[
            {
                "name": name,
                "colour": colour,
                "values": [_ratio(row[column], row["accepted_prs"]) for row in rows],
            }
            for name, column, colour in parts
        ],
        x_label="main platform",
        note=", ".join(f"{row['platform']}: {int(row['accepted_prs'])} PRs" for row in rows),
        empty_text=_no_data(rows),
    )


def durability_chart(rows: list[Row]) -> Chart:
    horizons = sorted({int(row["horizon_days"]) for row in rows})
    cells = {(bool(row["is_ai_assisted"]), int(row["horizon_days"])): row for row in rows}
    series = []
    pending = []
    for flag, name in ((True, "AI-assisted"), (False, "not AI-assisted")):
        if not any((flag, horizon) in cells for horizon in horizons):
            continue
        values = []
        for horizon in horizons:
            row = cells.get((flag, horizon))
            values.append(
                None
                if row is None
                else _ratio(row["lines_surviving"], row["effective_lines_added"])
            )
            if row is not None and row["pending_prs"]:
                pending.append(f"{int(row['pending_prs'])} {name} at {horizon} days")
        series.append({"name": name, "colour": AI_COLOURS[name], "values": values})
    return Chart(
        id="durability",
        title="Durability: share of merged lines still in the code",
        definition=(
            "Effective lines added by merged PRs that git blame still attributes to them 7, 30 "
            "and 90 days after the merge, ÷ the lines they added (measured horizons only)."
        ),
        caveat=MARKERS_CAVEAT
        + (
            " Horizons not reached yet are pending, never counted as lost"
            + (f" (pending PRs: {', '.join(pending)})." if pending else ".")
        ),
        kind="line",
        unit="pct",
        categories=[f"{horizon} days" for horizon in horizons],
        series=series,
        x_label="days after merge",
        empty_text=_no_data(rows),
    )


def _monday(iso: str) -> str:
    day = date.fromisoformat(iso)
    return (day - timedelta(days=day.weekday())).isoformat()


def quality_chart(days: list[Row], sources: list[Row]) -> Chart:
    weekly: dict[tuple[str, str], list[float]] = {}
    for row in days:
        cell = weekly.setdefault((_monday(row["period"]), row["source_name"]), [0.0, 0.0])
        cell[0] += _num(row["unattributed_spend_usd"])
        cell[1] += _num(row["spend_usd"])
    rows = [
        {"period": week, "source_name": source, "share": _ratio(unattributed, spend)}
        for (week, source), (unattributed, spend) in weekly.items()
    ]
    categories, series = _pivot(rows, "source_name", lambda row: row["share"], PLATFORM_COLOURS)
    table_rows = [
        [
            row["source_name"],
            f"{int(_num(row['records'])):,}",
            str(row["latest_activity_at"] or "–"),
            "–" if row["days_since_activity"] is None else str(int(row["days_since_activity"])),
            f"{int(_num(row['unresolved_identities'])):,}",
            f"{int(_num(row['unpriced_models'])):,}",
            _pct(_ratio(row["unattributed_spend_usd"], row["spend_usd"])),
        ]
        for row in sources
    ]
    return Chart(
        id="data-quality",
        title="Data quality: share of AI spend not attributed to any pull request, by week",
        definition=(
            "Unattributed session dollars ÷ session dollars per source. High shares mean the "
            "outcome figures above rest on fewer links (exploration is legitimately unattributed)."
        ),
        caveat=(
            "Freshness is the latest activity each source delivered; vendors lag (Copilot about "
            "two days). Unresolved identities and unpriced models are counted, never dropped."
        ),
        kind="line",
        unit="pct",
        categories=[f"wk {category}" for category in categories],
        series=series,
        x_label="week starting",
        empty_text=_no_data(sources) or ("" if days else "No AI spend in this period."),
        table=Table(
            columns=[
                "source",
                "records",
                "latest activity (UTC)",
                "days since",
                "unresolved identities",
                "unpriced models",
                "unattributed share",
            ],
            rows=table_rows,
        ),
    )


def _kpis(months: list[Row], weeks: list[Row]) -> list[tuple[str, str, str]]:
    spend = sum(_num(row["total_spend_usd"]) for row in months)
    usage = sum(_num(row["usage_spend_usd"]) for row in months)
    attributed = sum(_num(row["attributed_spend_usd"]) for row in months)
    accepted = sum(_num(row["accepted_outcomes"]) for row in months)
    durable = sum(_num(row["durable_outcomes"]) for row in months)
    classified = sum(_num(row["total"]) for row in weeks)
    productive = sum(_num(row["productive"]) for row in weeks)
    return [
        ("total spend", _usd(spend), "usage + seats"),
        ("accepted outcomes", f"{accepted:,.0f}", "merged, not reverted PRs"),
        ("cost per accepted outcome", _usd(_ratio(spend, accepted)), "total spend ÷ accepted"),
        ("durable share", _pct(_ratio(durable, accepted)), "accepted PRs ≥ 75% lines at 30 days"),
        ("productive share", _pct(_ratio(productive, classified)), "of usage spend"),
        ("attributed share", _pct(_ratio(attributed, usage)), "usage spend linked to a PR"),
    ]


def collect(read: MartReader) -> ReportData:
    """Read every mart the report uses and build its charts."""
    months = marts.platform_months(read)
    weeks = marts.spend_by_week(read)
    sources = marts.quality_by_source(read)
    periods = sorted(str(row["period"]) for row in months)
    period = (
        "no data yet"
        if not periods
        else _month_label(periods[0])
        if periods[0] == periods[-1]
        else f"{_month_label(periods[0])} – {_month_label(periods[-1])}"
    )
    as_of = max((str(row["as_of_date"]) for row in sources if row["as_of_date"]), default="–")
    charts = [
        efficiency_chart(months),
        spend_week_chart(weeks),
        spend_team_chart(marts.spend_by_team(read)),
        cache_chart(marts.cache_by_month(read), marts.cache_savings(read)),
        review_chart(marts.review_drag(read)),
        rework_chart(marts.rework_by_platform(read)),
        durability_chart(marts.durability(read)),
        quality_chart(marts.quality_by_day(read), sources),
    ]
    return ReportData(period=period, as_of=as_of, kpis=_kpis(months, weeks), charts=charts)
