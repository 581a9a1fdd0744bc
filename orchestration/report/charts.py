"""Turn mart rows into chart specifications and headline figures for the HTML report.

A chart spec is plain JSON for the page's inline script: the rows it draws from (at the grain the
mart gives, or summed above it), and how to add them up. Every value on the page is a sum of a
row field, or a ratio of two sums (``num`` ÷ ``den``), over the rows that the page's filters
(time range, team, platform) keep — so the page can redraw any filter combination offline, and a
ratio is never an average of ratios. ``None`` stays ``None`` (a gap or "—"), never a zero.

The filters only ever add rows up: team figures come from ``mart_spend_classification``, whose
teams under the minimum cohort size are already merged into ``suppressed``, so no smaller group
can be selected. Marts without a cohort-safe team split ignore the team filter and say so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from orchestration.lib.project_vars import ProjectVars
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

# Spend owners that are not teams. The marts label spend whose person resolves to no roster
# entry `unknown` (or leave the team null); usage that belongs to no person at all (service
# keys, API actors) gets an owner `unassigned:<platform>:…`. Each is one bucket on the page.
UNRESOLVED = "unresolved identities"
UNASSIGNED = "unassigned (service keys, API actors)"
SUPPRESSED = "suppressed"
UNRESOLVED_TEAM_VALUES = {"unknown", "unresolved"}

# Sources of mart_data_quality that are not AI platforms, and what one record of each is.
OUTCOME_SOURCES = {
    "github": ("pull request", "pull requests"),
    "git": ("survival measurement", "survival measurements"),
}
USAGE_RECORD = ("session", "sessions")
# Count columns of mart_data_quality that are not checks: what a record is, and a source-level
# companion of the unresolved-identity check (distinct people over all loaded days).
QUALITY_NON_CHECKS = {"record_count", "source_unresolved_person_count"}


@dataclass
class Chart:
    """One chart section: what it shows, how to read it, what to distrust, and its rows."""

    id: str
    title: str
    definition: str
    caveat: str
    kind: str  # "bar" (side by side), "stacked", "rows" (stacked, horizontal) or "line"
    unit: str  # "usd", "pct", "hours" or "number"
    rows: list[Row]
    # Categories: {"field": f} (the distinct values of a row field; optional "labels", "order")
    # or {"measures": [...]} (one category per measure).
    x: dict[str, Any]
    # Series: {"field": f, "num": …, "den": …} (one per value of f; "colours", "order") or
    # {"measures": [{"name", "colour", "num", "den"}]}.
    series: dict[str, Any]
    # The row field each page filter applies to ("month", "team", "platform"); None = the mart
    # has no such split, and the page says the filter does not apply.
    filters: dict[str, str | None]
    x_label: str = ""
    note: str = ""
    # An assumption the figures rest on, stated next to the chart (not under the caveat).
    assumption: str = ""
    # Shown when the mart has no row at all (a new installation).
    empty_text: str = "No data for this period."
    # Shown when rows exist but none gives a value for a legitimate reason (e.g. no PR accepted
    # yet). Left empty, rows without a value are an error on the unfiltered page.
    no_value_text: str = ""
    # Drawn in place of a missing bar, and named in the legend (e.g. "—", no cache data).
    null_text: str = ""
    null_legend: str = ""
    table: dict[str, Any] | None = None
    # Periods (keys of the x field) not wholly inside the data's days: {"days": n, "of": m}.
    partial: dict[str, dict[str, int]] = field(default_factory=dict)

    def spec(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "unit": self.unit,
            "rows": self.rows,
            "x": self.x,
            "series": self.series,
            "filters": self.filters,
            "xLabel": self.x_label,
            "emptyText": self.empty_text,
            "noValueText": self.no_value_text,
            "nullText": self.null_text,
            "nullLegend": self.null_legend,
            "table": self.table,
            "partial": self.partial,
        }


@dataclass
class Kpi:
    """A headline figure: a sum or ratio over the rows of one chart, under the same filters."""

    label: str
    explanation: str
    chart: str
    measure: dict[str, Any]
    unit: str

    def spec(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "chart": self.chart,
            "measure": self.measure,
            "unit": self.unit,
        }


@dataclass
class ReportData:
    period: str
    as_of: str
    kpis: list[Kpi]
    charts: list[Chart]
    # Filter choices: months [(value "YYYY-MM", label)], teams and platforms [(value, label)].
    months: list[tuple[str, str]] = field(default_factory=list)
    teams: list[tuple[str, str]] = field(default_factory=list)
    platforms: list[tuple[str, str]] = field(default_factory=list)
    coverage: str = ""
    # One sentence per stale source (its latest run failed, or it stopped loading days ago).
    stale_sources: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Coverage:
    """The days the data covers, first and last included."""

    first: date
    last: date

    def partial(self, start: date, end: date) -> dict[str, int] | None:
        """``{"days", "of"}`` when the period ``start``..``end`` is not wholly covered."""
        length = (end - start).days + 1
        covered = max(0, (min(end, self.last) - max(start, self.first)).days + 1)
        return None if covered == length else {"days": covered, "of": length}


def _num(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _colour(name: str, palette: dict[str, str], seen: dict[str, str]) -> str:
    if name in palette:
        return palette[name]
    if name not in seen:
        seen[name] = FALLBACK_COLOURS[len(seen) % len(FALLBACK_COLOURS)]
    return seen[name]


def _colours(names: Iterable[str], palette: dict[str, str]) -> dict[str, str]:
    extra: dict[str, str] = {}
    return {name: _colour(name, palette, extra) for name in sorted(set(names))}


def _month_label(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%b %Y")


def _week_month(iso: str) -> str:
    """The month a week (starting Monday ``iso``) belongs to for the time filter: the month of
    its Thursday, as ISO 8601 assigns weeks to years — the month that holds most of its days."""
    return (date.fromisoformat(iso) + timedelta(days=3)).isoformat()[:7]


def _end_of_month(start: date) -> date:
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _partial_months(periods: Iterable[str], coverage: Coverage | None) -> dict[str, dict[str, int]]:
    if coverage is None:
        return {}
    flags = {}
    for iso in set(periods):
        start = date.fromisoformat(iso)
        flag = coverage.partial(start, _end_of_month(start))
        if flag:
            flags[iso] = flag
    return flags


def _partial_weeks(periods: Iterable[str], coverage: Coverage | None) -> dict[str, dict[str, int]]:
    if coverage is None:
        return {}
    flags = {}
    for iso in set(periods):
        start = date.fromisoformat(iso)
        flag = coverage.partial(start, start + timedelta(days=6))
        if flag:
            flags[iso] = flag
    return flags


def data_coverage(quality: list[Row]) -> Coverage | None:
    """The days the data covers, from mart_data_quality (None when it is empty).

    First day: the earliest day with AI usage (the usage sources' activity dates) — spend starts
    there; GitHub's days can reach back before any usage was loaded, git's are measurement days.
    Last day: the day before ``as_of_date``, the day the warehouse describes: the day after the
    latest loaded activity (usage, pull-request updates, durability measurements), or the dbt
    var ``as_of_date`` when it is set (e.g. today on a nightly run, so the month in progress is
    partial) — but never before the latest usage day.
    """
    usage_days = [
        date.fromisoformat(str(row["activity_date"]))
        for row in quality
        if row["source_name"] not in OUTCOME_SOURCES and row.get("activity_date")
    ]
    all_days = [date.fromisoformat(str(row["activity_date"])) for row in quality]
    if not all_days:
        return None
    first = min(usage_days or all_days)
    as_of = [date.fromisoformat(str(row["as_of_date"])) for row in quality if row.get("as_of_date")]
    last = max(as_of) - timedelta(days=1) if as_of else max(all_days)
    last = max([last, *usage_days])
    return Coverage(first=first, last=last)


def team_bucket(team: str | None) -> str:
    """A mart's team value as the page shows it: unresolved identities and unassigned usage are
    buckets of their own, never a team."""
    if team is None or team.strip().lower() in UNRESOLVED_TEAM_VALUES:
        return UNRESOLVED
    if team.startswith("unassigned"):
        return UNASSIGNED
    return team


def _team_order(buckets: Iterable[str]) -> list[str]:
    special = [SUPPRESSED, UNRESOLVED, UNASSIGNED]
    present = set(buckets)
    return sorted(present - set(special)) + [name for name in special if name in present]


def _with_month(rows: list[Row], month: Callable[[str], str]) -> list[Row]:
    return [{**row, "month": month(str(row["period"]))} for row in rows]


def _by_month(iso: str) -> str:
    return iso[:7]


def efficiency_chart(months: list[Row], coverage: Coverage | None) -> Chart:
    rows = _with_month(months, _by_month)
    periods = sorted({str(row["period"]) for row in rows})
    return Chart(
        id="platform-efficiency",
        title="Cost per accepted outcome, by platform and month",
        definition=(
            "Total spend (usage + seats) ÷ accepted pull requests; a PR that used several "
            "platforms is split between them by cost share, so it counts once in total."
        ),
        caveat=(
            "Outcomes come from attribution (the attributed share in the table): usage is linked "
            "to a pull request by the platform's agent marker in the PR and the author's session "
            "in its development window (medium confidence) or by the window alone (low); the "
            "rest (exploration, abandoned work, unlinked sessions) still counts in spend. "
            "Months with no accepted outcome have no bar."
        ),
        kind="bar",
        unit="usd",
        rows=rows,
        x={"field": "period", "labels": {period: _month_label(period) for period in periods}},
        series={
            "field": "platform",
            "colours": _colours((str(row["platform"]) for row in rows), PLATFORM_COLOURS),
            "num": "total_spend_usd",
            "den": "accepted_outcomes",
        },
        filters={"month": "month", "team": None, "platform": "platform"},
        x_label="month",
        no_value_text=(
            "No pull request was accepted in this period yet: cost per accepted outcome is "
            "undefined."
        ),
        partial=_partial_months(periods, coverage),
        table={
            "by": ["platform"],
            "sort": {"num": "total_spend_usd", "desc": True},
            "columns": [
                {"label": "total spend", "num": "total_spend_usd", "unit": "usd"},
                {"label": "usage", "num": "usage_spend_usd", "unit": "usd"},
                {"label": "seats", "num": "seat_cost_usd", "unit": "usd"},
                {"label": "accepted", "num": "accepted_outcomes", "unit": "number"},
                {
                    "label": "$ / accepted",
                    "num": "total_spend_usd",
                    "den": "accepted_outcomes",
                    "unit": "usd",
                },
                {
                    "label": "durable share",
                    "num": "durable_outcomes",
                    "den": "accepted_outcomes",
                    "unit": "pct",
                },
                {
                    "label": "$ / durable",
                    "num": "total_spend_usd",
                    "den": "durable_outcomes",
                    "unit": "usd",
                },
                {
                    "label": "rework-adjusted $ / accepted",
                    "num": "rework_adjusted_cost_usd",
                    "den": "accepted_outcomes",
                    "unit": "usd",
                },
                {
                    "label": "attributed share",
                    "num": "attributed_spend_usd",
                    "den": "usage_spend_usd",
                    "unit": "pct",
                },
            ],
        },
    )


CLASSES = ("productive", "exploratory", "retry", "abandoned", "rework", "pending")
CLASS_DEFINITION = (
    "Each usage dollar lands in exactly one class: productive (its PR was accepted and kept), "
    "exploratory (no PR, not a retry), retry (re-asked or rejected), abandoned (its PR was "
    "closed unmerged), rework (fixing an earlier PR), pending (its PR is still open)."
)


def _spend_rows(spend: list[Row]) -> list[Row]:
    return [
        {**row, "team": team_bucket(row["team"]), "month": _week_month(str(row["period"]))}
        for row in spend
    ]


def spend_week_chart(rows: list[Row], coverage: Coverage | None) -> Chart:
    periods = sorted({str(row["period"]) for row in rows})
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
        rows=rows,
        x={"field": "period", "labels": {period: f"wk {period}" for period in periods}},
        series={
            "measures": [
                {"name": name, "colour": CLASS_COLOURS[name], "num": name} for name in CLASSES
            ]
        },
        filters={"month": "month", "team": "team", "platform": "platform"},
        x_label="week starting",
        partial=_partial_weeks(periods, coverage),
    )


def spend_team_chart(
    rows: list[Row], quality_rows: list[Row], project: ProjectVars
) -> tuple[Chart, list[str]]:
    """The team chart, and the team buckets in the order the page lists them."""
    order = _team_order(str(row["team"]) for row in rows)
    cohort = project.min_cohort_size
    labels = {SUPPRESSED: f"suppressed (teams under {cohort} people)"}
    hidden = ""
    unresolved_sessions = sum(
        _num(row.get("unresolved_identity_count"))
        for row in quality_rows
        if row["source_name"] not in OUTCOME_SOURCES
    )
    if UNRESOLVED not in order and unresolved_sessions and SUPPRESSED in order:
        # The mart sizes the unresolved group like a team: fewer than the cohort size of them
        # and their spend sits inside `suppressed`, out of sight of this chart.
        hidden = (
            f" The spend of unresolved identities ({unresolved_sessions:,.0f} sessions in data "
            f"quality below) is inside “suppressed”: the mart merges fewer than {cohort} of them "
            "with the small teams."
        )
    chart = Chart(
        id="spend-by-team",
        title="Spend classes by team (share of each team's usage spend)",
        definition=(
            "The same classes as above, as shares of each team's usage spend over the period, "
            "so teams of different size compare. Right of each bar: its share of all usage spend. "
            "Unresolved identities (people no roster entry or vendor address resolves) and "
            "unassigned usage (service keys, API actors: no person) are buckets of their own, "
            "not teams."
        ),
        caveat=(
            f"Teams with fewer people than the minimum cohort size ({cohort}) are merged into "
            "“suppressed”; there is no per-person view. A high retry or abandoned share points "
            "at missing context or unclear tasks, not at a person." + hidden
        ),
        kind="rows",
        unit="pct",
        rows=rows,
        x={
            "field": "team",
            "order": order,
            "labels": labels,
            "sublabel": {
                "num": "total",
                "den": "total",
                "shareOfAll": True,
                "unit": "pct",
                "suffix": " of spend",
            },
        },
        series={
            "measures": [
                {"name": name, "colour": CLASS_COLOURS[name], "num": name, "den": "total"}
                for name in CLASSES
            ]
        },
        filters={"month": "month", "team": "team", "platform": "platform"},
        x_label="team",
        table={
            "by": ["team"],
            "order": order,
            "labels": {"team": labels},
            "columns": [
                {"label": "usage spend", "num": "total", "unit": "usd"},
                {
                    "label": "share of usage spend (all teams)",
                    "num": "total",
                    "den": "total",
                    "shareOfAll": True,
                    "unit": "pct",
                },
                {"label": "productive", "num": "productive", "den": "total", "unit": "pct"},
                {"label": "retry", "num": "retry", "den": "total", "unit": "pct"},
                {"label": "abandoned", "num": "abandoned", "den": "total", "unit": "pct"},
            ],
        },
    )
    return chart, order


def _has_cache_data(row: Row, evidence: set[str]) -> bool:
    """Whether a platform-month's cache hit rate means something.

    Null is no cache data. Until mart_platform_efficiency says null for platforms that report no
    cache tokens, it says 0: a 0 counts as no cache data unless mart_cache_efficiency shows
    cache reads or writes for the platform (in the groups large enough to show).
    """
    rate = row["cache_hit_rate"]
    if rate is None:
        return False
    return bool(rate) or str(row["platform"]) in evidence


def cache_chart(
    months: list[Row], evidence: list[Row], savings: list[Row], coverage: Coverage | None
) -> Chart:
    with_cache = {
        str(row["platform"])
        for row in evidence
        if _num(row["cache_read_tokens"]) or _num(row["cache_write_tokens"])
    }
    rows = [
        {
            **row,
            "cache_hit_rate": row["cache_hit_rate"] if _has_cache_data(row, with_cache) else None,
        }
        for row in _with_month(months, _by_month)
    ]
    periods = sorted({str(row["period"]) for row in rows})
    totals = savings[0] if savings else {}
    groups = int(totals.get("groups") or 0)
    suppressed = int(totals.get("suppressed_groups") or 0)
    if groups and suppressed < groups:
        amplification = (
            _num(totals["cache_write_tokens"]) / _num(totals["cache_read_tokens"])
            if _num(totals["cache_read_tokens"])
            else 0.0
        )
        saved = _num(totals["saved_usd"])
        saved_text = f"${saved:,.0f}" if abs(saved) >= 100 else f"${saved:,.2f}"
        note = (
            f"Over every week and platform, in the platform × model × team × week groups large "
            f"enough to show ({groups - suppressed} of {groups}), caching saved {saved_text} "
            "against paying for the same tokens as uncached input, with "
            f"{amplification:.2f} tokens written per token read."
        )
    else:
        note = (
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
            "“—” marks a platform that reports no cache data (e.g. Copilot): unknown, not 0 %. "
            "A high hit rate with high write amplification can still cost more than it saves."
        ),
        kind="bar",
        unit="pct",
        rows=rows,
        x={"field": "period", "labels": {period: _month_label(period) for period in periods}},
        series={
            "field": "platform",
            "colours": _colours((str(row["platform"]) for row in rows), PLATFORM_COLOURS),
            "num": "cache_hit_rate",
        },
        filters={"month": "month", "team": None, "platform": "platform"},
        x_label="month",
        note=note,
        no_value_text="No platform reported cache data in this period.",
        null_text="—",
        null_legend="no cache data",
        partial=_partial_months(periods, coverage),
        table={"pivot": True, "corner": "platform"},
    )


def _ai_group(flag: Any) -> str:
    return "AI-assisted" if flag else "not AI-assisted"


def review_chart(review: list[Row], project: ProjectVars) -> Chart:
    rows = [
        {**row, "group": _ai_group(row["is_ai_assisted"]), "month": _by_month(str(row["period"]))}
        for row in review
    ]
    return Chart(
        id="review-drag",
        title="Review drag: AI-assisted vs other pull requests",
        definition=(
            "Average hours from ready-for-review to the first review, and from opening to merge "
            "(merged PRs), over every repository; months by the PR's creation."
        ),
        caveat=MARKERS_CAVEAT,
        kind="bar",
        unit="hours",
        rows=rows,
        x={
            "measures": [
                {"name": "to first review", "num": "first_review_hours", "den": "reviewed_weight"},
                {"name": "to merge", "num": "merge_hours", "den": "merge_weight"},
            ]
        },
        series={"field": "group", "colours": AI_COLOURS, "order": list(AI_COLOURS)},
        filters={"month": "month", "team": None, "platform": None},
        assumption=project.review_cost_assumption(),
        no_value_text="No pull request was reviewed or merged in this period.",
        table={
            "by": ["group"],
            "order": list(AI_COLOURS),
            "columns": [
                {"label": "pull requests", "num": "pull_requests", "unit": "count"},
                {
                    "label": "changed lines / PR",
                    "num": "changed_lines",
                    "den": "pull_requests",
                    "unit": "count",
                },
                {
                    "label": "review rounds / PR",
                    "num": "review_rounds",
                    "den": "pull_requests",
                    "unit": "number",
                },
                {
                    "label": "review cost / PR",
                    "num": "review_cost_usd",
                    "den": "pull_requests",
                    "unit": "usd",
                },
            ],
        },
    )


REWORK_PARTS = (
    ("AI cost", "ai_cost_usd", "#0072B2"),
    ("review cost", "review_cost_usd", "#E69F00"),
    ("repair cost", "repair_cost_usd", "#D55E00"),
)


def rework_chart(rework: list[Row], project: ProjectVars) -> Chart:
    rows = _with_month(rework, _by_month)
    platforms = {str(row["platform"]) for row in rows}
    # Platforms first, PRs without AI ("none") last: the comparison point.
    order = sorted(platforms - {"none"}) + (["none"] if "none" in platforms else [])
    return Chart(
        id="rework-adjusted-cost",
        title="Rework-adjusted cost per accepted pull request, by main platform",
        definition=(
            "Per accepted PR, side by side: attributed AI cost, review cost and repair cost (the "
            "AI and review cost of later PRs that changed its lines, by the share of lines they "
            "touched); their sum is the rework-adjusted cost. Each bar carries its value, so "
            "the AI part stays readable next to the larger review cost."
        ),
        caveat=(
            "Main platform = the platform with the largest attributed AI cost on the PR (“none” "
            f"without AI). Repair is only seen within the rework window "
            f"({project.rework_window_days} days) and in the repositories tokenworth mirrors."
        ),
        kind="bar",
        unit="usd",
        rows=rows,
        x={
            "field": "platform",
            "order": order,
            "sublabel": {
                "num": "ai_cost_usd",
                "den": "rework_adjusted_cost_usd",
                "unit": "pct",
                "prefix": "AI: ",
                "suffix": " of the total",
            },
        },
        series={
            "measures": [
                {"name": name, "colour": colour, "num": column, "den": "accepted_prs"}
                for name, column, colour in REWORK_PARTS
            ]
        },
        filters={"month": "month", "team": None, "platform": "platform"},
        x_label="main platform",
        assumption=project.review_cost_assumption(),
        table={
            "by": ["platform"],
            "order": order,
            "columns": [
                {"label": "accepted PRs", "num": "accepted_prs", "unit": "count"},
                *(
                    {"label": f"{name} / PR", "num": column, "den": "accepted_prs", "unit": "usd"}
                    for name, column, _ in REWORK_PARTS
                ),
                {
                    "label": "rework-adjusted / PR",
                    "num": "rework_adjusted_cost_usd",
                    "den": "accepted_prs",
                    "unit": "usd",
                },
                {
                    "label": "AI share",
                    "num": "ai_cost_usd",
                    "den": "rework_adjusted_cost_usd",
                    "unit": "pct",
                },
            ],
        },
    )


def durability_chart(durability: list[Row]) -> Chart:
    rows = [
        {
            **row,
            "group": _ai_group(row["is_ai_assisted"]),
            "horizon": int(row["horizon_days"]),
            "month": _by_month(str(row["period"])),
        }
        for row in durability
    ]
    horizons = sorted({row["horizon"] for row in rows})
    return Chart(
        id="durability",
        title="Durability: share of merged lines still in the code",
        definition=(
            "Effective lines added by merged PRs that git blame still attributes to them 7, 30 "
            "and 90 days after the merge, ÷ the lines they added (measured horizons only); "
            "months by merge."
        ),
        caveat=MARKERS_CAVEAT
        + " Horizons not reached yet are pending (see the table), never counted as lost.",
        kind="line",
        unit="pct",
        rows=rows,
        x={
            "field": "horizon",
            "order": horizons,
            "labels": {str(horizon): f"{horizon} days" for horizon in horizons},
        },
        series={
            "field": "group",
            "colours": AI_COLOURS,
            "order": list(AI_COLOURS),
            "num": "lines_surviving",
            "den": "effective_lines_added",
        },
        filters={"month": "month", "team": None, "platform": None},
        x_label="days after merge",
        no_value_text="No merged pull request has reached a measured horizon yet.",
        table={
            "by": ["group", "horizon"],
            "order": list(AI_COLOURS),
            "labels": {"horizon": {str(horizon): f"{horizon} days" for horizon in horizons}},
            "columns": [
                {"label": "measured PRs", "num": "measured_prs", "unit": "count"},
                {"label": "pending PRs", "num": "pending_prs", "unit": "count"},
                {
                    "label": "lines surviving",
                    "num": "lines_surviving",
                    "den": "effective_lines_added",
                    "unit": "pct",
                },
                {
                    "label": "durable PRs",
                    "num": "durable_prs",
                    "den": "measured_prs",
                    "unit": "pct",
                },
            ],
        },
    )


def _monday(iso: str) -> str:
    day = date.fromisoformat(iso)
    return (day - timedelta(days=day.weekday())).isoformat()


def _names(value: Any) -> set[str]:
    """A list column of mart_data_quality ('a; b' or 'a, b') as a set of names."""
    if value is None:
        return set()
    if isinstance(value, list | tuple):
        return {str(name).strip() for name in value if str(name).strip()}
    return {name.strip() for name in str(value).replace(",", ";").split(";") if name.strip()}


def quality_checks(columns: Iterable[str]) -> list[dict[str, Any]]:
    """The checks mart_data_quality counts: every ``<check>_count`` column but the record count.

    ``unresolved_identity_count`` and ``unpriced_model_count`` have sentences of their own; any
    other (a check added later, e.g. unassigned usage by kind) reads "<check>: n of m records".
    A ``<check>_names`` column, when present, lists what the check found (e.g. the model names
    of ``unpriced_model_names``).
    """
    present = set(columns)
    known = ("unresolved_identity_count", "unpriced_model_count")
    checks = []
    # The known checks first, in a fixed order; later ones after them, by name.
    for column in sorted(
        present,
        key=lambda name: (name not in known, known.index(name) if name in known else 0, name),
    ):
        if not column.endswith("_count") or column in QUALITY_NON_CHECKS:
            continue
        stem = column.removesuffix("_count")
        kind = stem if stem in ("unresolved_identity", "unpriced_model") else "generic"
        names = f"{stem}_names"
        checks.append(
            {
                "column": column,
                "kind": kind,
                "label": stem.replace("_", " "),
                "names": names if names in present else None,
            }
        )
    return checks


def quality_chart(quality: list[Row], coverage: Coverage | None) -> Chart:
    columns = list(quality[0]) if quality else []
    checks = quality_checks(columns)
    weekly: dict[tuple[str, str], Row] = {}
    sources: dict[str, dict[str, Any]] = {}
    for row in quality:
        source = str(row["source_name"])
        week = _monday(str(row["activity_date"]))
        cell = weekly.setdefault(
            (week, source),
            {
                "period": week,
                "month": _week_month(week),
                "source_name": source,
                # The platform filter keeps GitHub and git (not platforms) whatever it selects.
                "platform": None if source in OUTCOME_SOURCES else source,
                "record_count": 0.0,
                "spend_usd": None,
                "unattributed_spend_usd": None,
                **{check["column"]: 0.0 for check in checks},
                **{check["names"]: [] for check in checks if check["names"]},
            },
        )
        cell["record_count"] += _num(row["record_count"])
        for check in checks:
            cell[check["column"]] += _num(row[check["column"]])
            if check["names"]:
                cell[check["names"]] = sorted(
                    set(cell[check["names"]]) | _names(row[check["names"]])
                )
        for measure in ("spend_usd", "unattributed_spend_usd"):
            if row.get(measure) is not None:
                cell[measure] = _num(cell[measure]) + _num(row[measure])
        info = sources.setdefault(
            source,
            {
                "unit": list(OUTCOME_SOURCES.get(source, USAGE_RECORD)),
                "latest": None,
                "daysSince": None,
                "unresolvedPeople": None,
            },
        )
        latest = row.get("source_latest_activity_at")
        if latest is not None and (info["latest"] is None or str(latest) > info["latest"]):
            info["latest"] = str(latest)
        since = row.get("days_since_source_activity")
        if since is not None:
            info["daysSince"] = int(since)
        people = row.get("source_unresolved_person_count")
        if people is not None:
            info["unresolvedPeople"] = max(int(people), info["unresolvedPeople"] or 0)
    rows = sorted(weekly.values(), key=lambda row: (row["period"], row["source_name"]))
    spend_rows = [row for row in rows if row["spend_usd"] is not None]
    periods = sorted({row["period"] for row in spend_rows})
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
        rows=spend_rows,
        x={"field": "period", "labels": {period: f"wk {period}" for period in periods}},
        series={
            "field": "source_name",
            "colours": _colours((row["source_name"] for row in spend_rows), PLATFORM_COLOURS),
            "num": "unattributed_spend_usd",
            "den": "spend_usd",
        },
        filters={"month": "month", "team": None, "platform": "platform"},
        x_label="week starting",
        empty_text="No data for this period." if not rows else "No AI spend in this period.",
        no_value_text="No AI spend in this period.",
        partial=_partial_weeks(periods, coverage),
        table={"quality": True, "rows": rows, "checks": checks, "sources": sources},
    )


def _kpis(order: list[str], project: ProjectVars) -> list[Kpi]:
    efficiency = "platform-efficiency"
    kpis = [
        Kpi("total spend", "usage + seats", efficiency, {"num": "total_spend_usd"}, "usd"),
        Kpi(
            "accepted outcomes",
            "merged, not reverted PRs",
            efficiency,
            {"num": "accepted_outcomes"},
            "count",
        ),
        Kpi(
            "cost per accepted outcome",
            "total spend ÷ accepted",
            efficiency,
            {"num": "total_spend_usd", "den": "accepted_outcomes"},
            "usd",
        ),
        Kpi(
            "durable share",
            f"accepted PRs ≥ {project.durable_survival_threshold:.0%} lines at 30 days",
            efficiency,
            {"num": "durable_outcomes", "den": "accepted_outcomes"},
            "pct",
        ),
        Kpi(
            "productive share",
            "of usage spend",
            "spend-classification",
            {"num": "productive", "den": "total"},
            "pct",
        ),
        Kpi(
            "attributed share",
            "usage spend linked to a PR",
            efficiency,
            {"num": "attributed_spend_usd", "den": "usage_spend_usd"},
            "pct",
        ),
    ]
    for bucket, explanation in (
        (UNRESOLVED, "share of usage spend: people no roster entry resolves"),
        (UNASSIGNED, "share of usage spend: service keys, API actors"),
    ):
        if bucket in order:
            kpis.append(
                Kpi(
                    bucket,
                    explanation,
                    "spend-classification",
                    {"num": "total", "where": {"team": bucket}, "den": "total", "shareOfAll": True},
                    "pct",
                )
            )
    return kpis


def stale_source_sentences(rows: list[dict[str, Any]]) -> list[str]:
    """A sentence per stale source: what its numbers lack, and why."""
    sentences = []
    for row in rows:
        if not row.get("is_stale"):
            continue
        last = row.get("last_loaded_date")
        loaded = f"last loaded {last}" if last else "never loaded"
        behind = row.get("days_behind")
        lag = f", {behind} day{'s' if behind != 1 else ''} behind" if behind else ""
        status = row.get("latest_status")
        why = f"; latest run {status}: {row['latest_message']}" if row.get("latest_message") else ""
        sentences.append(f"{row['source_name']}: {loaded}{lag}{why}"[:400])
    return sentences


def collect(read: MartReader, project: ProjectVars) -> ReportData:
    """Read every mart the report uses and build its charts."""
    months = marts.platform_months(read)
    quality = marts.data_quality(read)
    coverage = data_coverage(quality)
    spend = _spend_rows(marts.spend_classes(read))
    team_chart, order = spend_team_chart(spend, quality, project)
    charts = [
        efficiency_chart(months, coverage),
        spend_week_chart(spend, coverage),
        team_chart,
        cache_chart(
            marts.cache_by_month(read),
            marts.cache_token_platforms(read),
            marts.cache_savings(read),
            coverage,
        ),
        review_chart(marts.review_drag(read), project),
        rework_chart(marts.rework_by_platform(read), project),
        durability_chart(marts.durability(read)),
        quality_chart(quality, coverage),
    ]
    month_keys = sorted({str(row["month"]) for chart in charts for row in chart.rows})
    if coverage:
        # Every month the data covers is selectable, even one without rows in any chart.
        day = coverage.first.replace(day=1)
        while day <= coverage.last:
            month_keys.append(day.isoformat()[:7])
            day = _end_of_month(day) + timedelta(days=1)
        month_keys = sorted(set(month_keys))
    platforms = sorted(
        {
            str(row["platform"])
            for chart in charts
            if chart.filters.get("platform")
            for row in chart.rows
            if row.get("platform") not in (None, "none")
        }
    )
    periods = sorted(str(row["period"]) for row in months)
    period = (
        "no data yet"
        if not periods
        else _month_label(periods[0])
        if periods[0] == periods[-1]
        else f"{_month_label(periods[0])} – {_month_label(periods[-1])}"
    )
    as_of = max((str(row["as_of_date"]) for row in quality if row.get("as_of_date")), default="–")
    labels = team_chart.x["labels"]
    return ReportData(
        stale_sources=stale_source_sentences(marts.source_freshness(read)),
        period=period,
        as_of=as_of,
        kpis=_kpis(order, project),
        charts=charts,
        months=[(key, _month_label(f"{key}-01")) for key in month_keys],
        teams=[(team, labels.get(team, team)) for team in order],
        platforms=[(platform, platform) for platform in platforms],
        coverage=(
            f"data covers {coverage.first.isoformat()} to {coverage.last.isoformat()}"
            if coverage
            else "no data loaded yet"
        ),
    )
