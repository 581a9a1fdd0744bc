"""GitHub Copilot (REST) → ``raw_copilot``.

Quirks handled here: the usage-metrics report is not data but signed *download links* to NDJSON
files (fetched without the GitHub credential, parsed line by line, several files concatenated);
a report that is not ready yet answers 204; seats paginate by ``Link`` header and are a
snapshot of today; AI-credit billing is in dollars (1 credit = $0.01) under ``/organizations/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import dlt
import pyarrow as pa

from orchestration.defs.ingest.arrow import (
    BIGINT,
    BOOL,
    DATE,
    DLT_DECIMAL,
    TEXT,
    USD,
    arrow_schema,
    json_text,
    json_text_columns_expected,
    key_field,
    snake_case,
)
from orchestration.defs.ingest.common import (
    LoggedNotes,
    SourceNotes,
    archived_per,
    columns,
    first_per_key,
    row_key,
    today_utc,
    usd,
    yields_lists,
    yields_tables,
)
from orchestration.lib.http import HttpClient, Log, UnavailableError, require

VENDOR = "GitHub Copilot"
# What GitHub answers for a product the organisation does not have (no licence, policy off,
# enterprise-managed billing): not a failure of the source.
NOT_AVAILABLE_STATUSES = (403, 404, 422)
USERS_REPORT = "copilot/metrics/reports/users-1-day"
# Nested arrays of the per-user record stay whole (JSON) rather than becoming child tables.
_JSON_FIELDS = (
    "totals_by_ide",
    "totals_by_feature",
    "totals_by_language_feature",
    "totals_by_language_model",
    "totals_by_model_feature",
    "totals_by_cli",
    "ai_adoption_phase",
)


@dlt.source(name="copilot")
def copilot_source(
    client: HttpClient,
    days: list[date],
    org: str,
    log: Log,
    snapshot_day: date | None = None,
    notes: SourceNotes | None = None,
) -> Any:
    """Copilot per-user daily metrics, seats and AI-credit usage for ``days``.

    An organisation without Copilot, with the usage-metrics policy off, or billed through an
    enterprise answers 403, 404 or 422 on some of these endpoints: that product is noted as not
    available (one warning, its table stays empty) and the others still load.

    Args:
        client: an authenticated GitHub REST client.
        days: UTC days to load (partition plus lookback for the reports' ~2-day lag).
        org: the organisation login.
        log: where to say that a day's report is not available yet.
        snapshot_day: key of the seats snapshot (defaults to today, UTC).
        notes: where products the organisation lacks are reported.
    """
    snapshot = snapshot_day or today_utc()
    noted = notes or LoggedNotes(log)

    @dlt.resource(
        name="user_day_metrics",
        **archived_per(
            "day",
            ("day", "user_id"),
            columns={
                **columns(decimal=("ai_credits_used",), text=("organization_id", "enterprise_id")),
                **{name: {"data_type": "json"} for name in _JSON_FIELDS},
            },
        ),
    )
    @yields_tables(_SCHEMAS["user_day_metrics"], VENDOR, USERS_REPORT)
    def user_day_metrics() -> Iterator[dict[str, Any]]:
        """Per user per day activity from the users-1-day report (NDJSON downloads)."""
        for day in days:
            try:
                status, _, body = client.request(
                    "GET",
                    f"/orgs/{org}/copilot/metrics/reports/users-1-day",
                    endpoint=USERS_REPORT,
                    params={"day": day.isoformat()},
                    allow_statuses=(204,),
                    unavailable=NOT_AVAILABLE_STATUSES,
                )
            except UnavailableError as error:
                noted.product_not_available(
                    "usage_metrics", _not_available(USERS_REPORT, error.status)
                )
                return
            if status == 204 or body is None:
                log.info(f"{VENDOR}: users-1-day report for {day} is not available yet (204)")
                continue
            for link in require(body, "download_links", VENDOR, USERS_REPORT):
                # Signed URL: no Authorization header, and never logged (it carries a signature).
                _, _, records = client.request(
                    "GET",
                    link,
                    endpoint=USERS_REPORT + " download",
                    parse="ndjson",
                    authenticated=False,
                )
                for record in records or []:
                    require(record, "user_id", VENDOR, USERS_REPORT)
                    require(record, "user_login", VENDOR, USERS_REPORT)
                    record_day = require(record, "day", VENDOR, USERS_REPORT)
                    yield {
                        **record,
                        **{name: json_text(record.get(name)) for name in _JSON_FIELDS},
                        "day": date.fromisoformat(str(record_day)[:10]),
                    }

    @dlt.resource(
        name="seats",
        **archived_per(
            "snapshot_date",
            ("snapshot_date", "assignee_key"),
            columns=columns(
                text=("pending_cancellation_date", "last_activity_editor", "plan_type"),
                timestamp=("last_activity_at",),
                json=("assigning_team", "organization"),
            ),
        ),
    )
    @yields_lists
    def seats() -> Iterator[dict[str, Any]]:
        """Seat assignments with last activity, snapshotted by date (Link-header pagination)."""
        yield from first_per_key(_seats(client, org, snapshot, noted), ("assignee_key",))

    @dlt.resource(
        name="ai_credit_usage",
        **archived_per(
            "usage_date",
            ("row_key",),
            columns={
                "gross_amount": usd(),
                "net_amount": usd(),
                "discount_amount": usd(),
                "price_per_unit": usd(),
            },
        ),
    )
    @yields_tables(_SCHEMAS["ai_credit_usage"], VENDOR, "settings/billing/ai_credit/usage")
    def ai_credit_usage() -> Iterator[dict[str, Any]]:
        """AI-credit usage per day by product, SKU and model, in dollars."""
        endpoint = "settings/billing/ai_credit/usage"
        for day in days:
            try:
                body = client.get_json(
                    f"/organizations/{org}/settings/billing/ai_credit/usage",
                    endpoint=endpoint,
                    params={"year": day.year, "month": day.month, "day": day.day},
                    decimals=True,
                    unavailable=NOT_AVAILABLE_STATUSES,
                )
            except UnavailableError as error:
                noted.product_not_available(
                    "ai_credit_billing", _not_available(endpoint, error.status)
                )
                return
            for item in require(body, "usageItems", VENDOR, endpoint):
                require(item, "netAmount", VENDOR, endpoint)
                yield {
                    "row_key": row_key(
                        day,
                        item.get("product"),
                        item.get("sku"),
                        item.get("model"),
                        item.get("unitType"),
                        item.get("user"),
                    ),
                    "usage_date": day,
                    **{snake_case(name): value for name, value in item.items()},
                }

    return [user_day_metrics, seats, ai_credit_usage]


# The columns and types of the tables as warehouses hold them (dict rows created them; JSON
# columns arrive as JSON text). A field the report adds loads too, with an inferred type.
def _not_available(endpoint: str, status: int) -> str:
    return (
        f"{VENDOR}: {endpoint} answered {status} — the organisation has no Copilot licence, "
        "the Copilot usage-metrics policy is off, billing is managed by an enterprise, or the "
        "token lacks the permission; the table stays empty and the other Copilot data loads"
    )


def _seats(
    client: HttpClient, org: str, snapshot: date, notes: SourceNotes
) -> Iterator[dict[str, Any]]:
    """Seats of GET /orgs/{org}/copilot/billing/seats, page by page (a seat may repeat)."""
    endpoint = "copilot/billing/seats"
    per_page = 100
    pages = client.paginate_link_header(
        f"/orgs/{org}/copilot/billing/seats",
        endpoint=endpoint,
        params={"per_page": per_page},
        items_key="seats",
        limit=per_page,
        unavailable=NOT_AVAILABLE_STATUSES,
    )
    try:
        first = next(pages, None)
    except UnavailableError as error:
        notes.product_not_available("seats", _not_available(endpoint, error.status))
        return
    for page in (first, *pages) if first is not None else ():
        total = page.get("total_seats")
        for seat in require(page, "seats", VENDOR, endpoint):
            assignee = require(seat, "assignee", VENDOR, endpoint)
            ident = assignee.get("id")
            if ident is None:
                require(assignee, "id", VENDOR, endpoint + " assignee")
            yield {
                "snapshot_date": snapshot,
                "assignee_key": f"{assignee.get('type') or 'User'}:{ident}",
                "assignee_login": assignee.get("login") or assignee.get("slug"),
                "total_seats": total,
                **seat,
            }


_SCHEMAS: dict[str, pa.Schema] = {
    "user_day_metrics": arrow_schema(
        key_field("day", DATE), key_field("user_id", BIGINT), ("user_login", TEXT),
        ("organization_id", TEXT), ("enterprise_id", TEXT), ("ai_credits_used", USD),
        *((name, TEXT) for name in _JSON_FIELDS),
        *((name, BIGINT) for name in (
            "code_generation_activity_count", "code_acceptance_activity_count",
            "loc_suggested_to_add_sum", "loc_suggested_to_delete_sum", "loc_added_sum",
            "loc_deleted_sum", "user_initiated_interaction_count", "entity_id_partition",
        )),
        *((f"used_{name}", BOOL) for name in (
            "agent", "chat", "cli", "copilot_code_review_active", "copilot_code_review_passive",
        )),
        ("etl_id", TEXT), ("day_partition", TEXT),
    ),
    "ai_credit_usage": arrow_schema(
        key_field("row_key"), key_field("usage_date", DATE), ("product", TEXT), ("sku", TEXT),
        ("model", TEXT), ("unit_type", TEXT), ("price_per_unit", USD),
        ("gross_quantity", DLT_DECIMAL), ("gross_amount", USD), ("discount_amount", USD),
        ("net_quantity", DLT_DECIMAL), ("net_amount", USD),
        # discount_quantity stays inferred, as dict rows had it: BIGINT where the first values
        # were whole (the sandbox's 0), DECIMAL(38,9) where they were not (GitHub's observed
        # 2.97). Declared BIGINT, a fractional value would fail the source.
    ),
}  # fmt: skip
json_text_columns_expected("user_day_metrics")
