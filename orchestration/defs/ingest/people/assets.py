"""``raw_people.roster``: the optional people file (``TOKENWORTH_PEOPLE_FILE``).

A CSV with columns ``person_id, name, team, emails, github_logins``; ``emails`` and
``github_logins`` hold one or more values separated by ``;``. When it is given, identity
resolution and teams come from it (``dim_people``); without it, people are matched by email across
vendors and GitHub, and have no team. The roster is configuration, not history, so each run
replaces the table with the file as it is now.
"""

import csv
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import dlt

from orchestration.defs.ingest.common import WAREHOUSE_POOL, completed_without_data
from orchestration.defs.partitions import daily_partitions
from orchestration.defs.resources import WarehouseResource

ROSTER = dg.AssetKey(["raw_people", "roster"])
COLUMNS = ("person_id", "name", "team", "emails", "github_logins")


class RosterError(ValueError):
    """The people file is malformed; the message names the file, the row and the column."""


class PeopleFileResource(dg.ConfigurableResource):
    """Where the roster is: ``TOKENWORTH_PEOPLE_FILE`` (empty: no roster)."""

    path: str = ""


def read_roster(path: Path) -> list[dict[str, str]]:
    """Rows of the roster, validated; raises :class:`RosterError` naming what to fix."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise RosterError(
                f"{path}: missing column(s) {', '.join(missing)}; the header must be "
                f"{','.join(COLUMNS)} (TOKENWORTH_PEOPLE_FILE)"
            )
        rows = []
        seen: dict[str, int] = {}
        for line, row in enumerate(reader, start=2):
            person_id = (row.get("person_id") or "").strip()
            if not person_id:
                raise RosterError(f"{path}, row {line}: person_id is empty")
            if person_id in seen:
                raise RosterError(
                    f"{path}, row {line}: person_id {person_id!r} repeats row {seen[person_id]}"
                )
            seen[person_id] = line
            if (
                not (row.get("emails") or "").strip()
                and not (row.get("github_logins") or "").strip()
            ):
                raise RosterError(
                    f"{path}, row {line}: person {person_id!r} has neither emails nor github_logins"
                )
            rows.append({column: (row.get(column) or "").strip() for column in COLUMNS})
        return rows


@dg.asset(
    key=ROSTER,
    group_name="ingest_people",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    kinds={"dlt", "csv"},
    output_required=False,
    description="The people/teams roster from TOKENWORTH_PEOPLE_FILE, when one is configured.",
)
def raw_people_roster(
    context: dg.AssetExecutionContext, people: PeopleFileResource, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    if not people.path:
        reason = "people roster: none — set TOKENWORTH_PEOPLE_FILE to give teams and identities"
        yield from completed_without_data(context, reason, expected=True)
        return
    path = Path(people.path).expanduser()
    if not path.exists():
        raise dg.Failure(
            description=f"TOKENWORTH_PEOPLE_FILE points to {path}, which does not exist"
        )
    try:
        rows = read_roster(path)
    except RosterError as error:
        raise dg.Failure(description=str(error)) from None
    warehouse.pipeline("people").run(
        dlt.resource(rows, name="roster", primary_key="person_id", write_disposition="replace")
    )
    yield dg.MaterializeResult(metadata={"people": len(rows), "path": str(path)})
