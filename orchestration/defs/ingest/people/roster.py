"""``raw_people.roster``: the optional people file (``TOKENWORTH_PEOPLE_FILE``).

A CSV with columns ``person_id, name, team, emails, github_logins``; ``emails`` and
``github_logins`` hold one or more values separated by ``;``. When it is given, identity
resolution and teams come from it (``dim_people``); without it, people are matched by email across
vendors and GitHub, and have no team. The roster is configuration, not history, so each run
replaces the table with the file as it is now.
"""

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import dlt

from orchestration.defs.ingest.sources import WAREHOUSE_POOL
from orchestration.defs.ingest.status import DISABLED, NOT_CONFIGURED, SourceRun
from orchestration.defs.partitions import window_days
from orchestration.defs.resources import PeopleFileResource, SourcesResource, WarehouseResource
from orchestration.lib import settings

SOURCE = "people"
ROSTER = dg.AssetKey(["raw_people", "roster"])
COLUMNS = ("person_id", "name", "team", "emails", "github_logins")
# Deliberately loose (real addresses are varied): one @, something on each side, no spaces.
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+$")


class RosterError(ValueError):
    """The people file is malformed; the message names the file, the row and the column."""


def _text(path: Path) -> str:
    """The file as text: UTF-8, with or without a byte-order mark (Excel writes one)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise RosterError(
            f"{path}, row {line}: not UTF-8 (byte 0x{data[error.start]:02x}); save the file as "
            "UTF-8 (TOKENWORTH_PEOPLE_FILE)"
        ) from None


def read_roster(path: Path) -> list[dict[str, str]]:
    """Rows of the roster, validated; raises :class:`RosterError` naming what to fix."""
    reader = csv.DictReader(io.StringIO(_text(path), newline=""))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RosterError(
            f"{path}: missing column(s) {', '.join(missing)}; the header must be "
            f"{','.join(COLUMNS)} (TOKENWORTH_PEOPLE_FILE)"
        )
    rows = []
    seen: dict[str, int] = {}
    emails_seen: dict[str, tuple[int, str]] = {}
    for line, row in enumerate(reader, start=2):
        person_id = (row.get("person_id") or "").strip()
        if not person_id:
            raise RosterError(f"{path}, row {line}: person_id is empty")
        if person_id in seen:
            raise RosterError(
                f"{path}, row {line}: person_id {person_id!r} repeats row {seen[person_id]}"
            )
        seen[person_id] = line
        if not (row.get("emails") or "").strip() and not (row.get("github_logins") or "").strip():
            raise RosterError(
                f"{path}, row {line}: person {person_id!r} has neither emails nor github_logins"
            )
        for email in (e.strip() for e in (row.get("emails") or "").split(";") if e.strip()):
            if not _EMAIL.match(email):
                raise RosterError(
                    f"{path}, row {line}: emails holds {email!r}, which is not an email address "
                    "(separate several with ';')"
                )
            key = email.lower()
            if key in emails_seen and emails_seen[key][1] != person_id:
                first_line, first_person = emails_seen[key]
                raise RosterError(
                    f"{path}, row {line}: email {email!r} of {person_id!r} is also on row "
                    f"{first_line} ({first_person!r}); an address belongs to one person"
                )
            emails_seen[key] = (line, person_id)
        rows.append({column: (row.get(column) or "").strip() for column in COLUMNS})
    return rows


def roster_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """``raw_people.roster`` from ``TOKENWORTH_PEOPLE_FILE``, when one is configured."""

    @dg.multi_asset(
        name="raw_people",
        specs=[
            dg.AssetSpec(
                ROSTER,
                group_name="ingest_people",
                kinds={"dlt", "csv"},
                skippable=True,
                description="The people/teams roster from TOKENWORTH_PEOPLE_FILE, when one is "
                "configured.",
            )
        ],
        partitions_def=partitions,
        # The roster is the file as it is now: one load for any range of days.
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
    )
    def raw_people_roster(
        context: dg.AssetExecutionContext,
        people: PeopleFileResource,
        warehouse: WarehouseResource,
        sources: SourcesResource,
    ) -> Iterator[dg.MaterializeResult]:
        run = SourceRun.start(context, SOURCE, window_days(context, 0))
        if not sources.is_enabled(SOURCE):
            message = f"people roster: switched off ({settings.TOKENWORTH_SOURCES})"
            run.finish_skipped(warehouse, DISABLED, message, context.log)
            return
        if not people.path:
            message = (
                "people roster: none — set TOKENWORTH_PEOPLE_FILE to give teams and identities"
            )
            run.finish_skipped(warehouse, NOT_CONFIGURED, message, context.log, expected=True)
            return
        path = Path(people.path).expanduser()
        try:
            if not path.is_file():
                raise RosterError(
                    f"TOKENWORTH_PEOPLE_FILE points to {path}, which "
                    + ("is not a file" if path.exists() else "does not exist")
                )
            rows = read_roster(path)
        except RosterError as error:
            run.finish_failed(warehouse, str(error), context.log)
            raise dg.Failure(description=str(error)) from None
        warehouse.pipeline(SOURCE).run(
            dlt.resource(rows, name="roster", primary_key="person_id", write_disposition="replace")
        )
        run.finish_loaded(warehouse, context.log)
        yield dg.MaterializeResult(
            asset_key=ROSTER, metadata={"people": len(rows), "path": str(path)}
        )

    return raw_people_roster
