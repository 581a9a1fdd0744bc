"""Raw tables of any size for ``tokenworth bench --synthetic``, written straight into DuckDB.

Why not the sandbox generator at full size: it builds every request, session and pull request as
a Python object and writes real git history. The ``demo`` profile (150 engineers, 45 days) takes
about 4 s and 131,000 request objects; a 2,000-engineer year would take 7 minutes and ~15 GB of
objects before any git work, and a 10,000-engineer year does not fit in this machine's memory.

So the vectorised path keeps the generator's distributions by *tiling* its output:

1. **Template**: the sandbox generator's world for a profile (``demo`` by default) is extracted
   once by the real pipeline (``tokenworth run`` of every ingest group against the sandbox
   server) and the raw warehouse is cached under the bench work directory, keyed by the code of
   ``sandbox/``. Its tables are exactly what dlt writes: same schemas, types, ``_dlt`` columns.
2. **Tiles**: the output holds ``shards`` copies of the template's organisation (engineers ×
   shards) and ``copies`` consecutive copies of its period (days) ending with the template's
   own (the earlier ones moved back in time, so nothing is dated after the template's last day
   and dbt's ``not_after_run`` tests hold), each written by one
   ``INSERT … SELECT`` from the template. Every identifier is rewritten consistently in every
   table and every free text that carries it, so joins within a tile hold and tiles never
   collide: people (e-mails, GitHub logins, vendor user and key ids, numeric user ids) and
   repositories per shard; sessions (UUIDs), commits (SHA-1s), GitHub node ids, pull-request
   numbers and row keys per tile. Dates and epoch columns move by whole template periods. Bots
   (``[bot]`` logins) and the models' catalogue are shared, as in a real organisation.
3. **Trim**: each copy takes the template's rows of its period's days (not the extraction's
   lookback day before it), the earliest copy only from the first requested day (pull-request
   children go with their pull request), so ``--days`` is exact and the history ends on the
   template's last day; engineers are the template's people × shards.

Per engineer-day the result has the template's distributions (sessions, requests, PRs, reviews,
reverts, telemetry share) by construction; what tiling cannot give is variety across shards
(each shard repeats the same people's behaviour) and links across tile seams (a session or PR
never spans two copies of the period). Both are irrelevant to the transforms' cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# Tables holding one snapshot of the organisation, not days: copied per shard, not per period.
SNAPSHOT_TABLES = frozenset(
    {
        "raw_anthropic.users",
        "raw_anthropic.api_keys",
        "raw_openai.users",
        "raw_cursor.members",
        "raw_cursor.spend",
        "raw_copilot.seats",
        "raw_people.roster",
    }
)
# The pipeline's own run record: copied once, its days widened to the synthetic history.
RUN_RECORD = "raw_tokenworth.source_runs"
# The archive's ledger: one row per (source, table, day, load) for the whole organisation, so it
# is copied per period (not per shard), its counts and amounts summed over the shards' rows.
LEDGER = "raw_tokenworth.day_versions"
LEDGER_SUMS = frozenset(
    {
        "row_count",
        "cost_amount",
        "token_count",
        "vendor_total",
        "duplicate_row_count",
        "quarantined_row_count",
        "previous_row_count",
        "previous_cost_amount",
    }
)
# Children of a pull request: trimmed with it.
PR_CHILDREN = (
    "pull_request_commits",
    "pull_request_files",
    "pull_request_labels",
    "pull_request_review_threads",
    "pull_request_reviews",
    "pull_request_timeline_events",
)
# BIGINT columns holding a GitHub/Copilot/Cursor person's numeric id: offset per shard.
PERSON_NUMBERS = frozenset({"user_id", "assignee__id", "author_database_id"})
PERSON_NUMBER_STRIDE = 10_000_000
# BIGINT columns holding a pull-request number: number × 100 + period copy (text refs alike).
PR_NUMBERS = frozenset({"number", "pr_number", "source_number", "original_number", "later_number"})
# Epoch columns of day tables: (name, units per day).
EPOCH_COLUMNS = {
    "timestamp": 86_400_000,
    "date": 86_400_000,
    "start_time": 86_400,
    "end_time": 86_400,
}
# Text columns holding an ISO day.
TEXT_DAY_COLUMNS = frozenset({"day", "day_partition"})
# Row keys (dlt primary keys built from several fields): made unique per tile by a suffix.
ROW_KEYS = frozenset(
    {"row_key", "event_key", "_dlt_id", "assignee_key", "record_key", "point_key", "request_id"}
)
# People's names, in the tables that hold them (not labels' or API keys' names): " S3" per shard.
PERSON_NAMES = frozenset(
    {
        "raw_people.roster.name",
        "raw_anthropic.users.name",
        "raw_openai.users.name",
        "raw_cursor.members.name",
        "raw_cursor.spend.name",
        "raw_github.pull_request_commits.author_name",
        "raw_github.pull_request_commits.committer_name",
    }
)
# Text columns naming one person by an opaque id: suffixed per shard.
PERSON_TEXT = frozenset({"user_account_uuid", "person_id"})


@dataclass(frozen=True)
class Tiling:
    """How many tiles: ``shards`` organisations × ``copies`` periods of ``period_days``, the
    last copy being the template's own period (``first_day`` is the template's first day)."""

    shards: int
    copies: int
    period_days: int
    first_day: date
    days: int

    @property
    def last_day(self) -> date:
        """The history's last day: the template's."""
        return self.first_day + timedelta(days=self.period_days - 1)

    @property
    def history_first_day(self) -> date:
        return self.last_day - timedelta(days=self.days - 1)


def plan(
    template_people: int, template_days: int, first_day: date, engineers: int, days: int
) -> Tiling:
    """The tiling giving at least ``engineers`` people over exactly ``days`` days."""
    if engineers < 1 or days < 1:
        raise ValueError("--engineers and --days must be at least 1")
    return Tiling(
        shards=math.ceil(engineers / template_people),
        copies=math.ceil(days / template_days),
        period_days=template_days,
        first_day=first_day,
        days=days,
    )


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# Rewrites of text, per shard (people, repositories) and per tile (sessions, commits, node ids).
# "§" in a replacement stands for the shard's suffix ("s3"), "¤" for the tile's six hex digits.
SHARD_RULES = (
    # e-mail local parts (bots' noreply addresses have a bracket and stay shared)
    (r"([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+\.[A-Za-z0-9.-]+)", r"\1.§@\2"),
    # repositories, also in URLs and references
    (r"\bacme/([A-Za-z0-9._-]+)", r"acme/\1-§"),
    # GitHub's repository node ids: a shard's repositories are other repositories (the
    # warehouse keys repositories, and their renames, by this id)
    (r"\bR_([A-Za-z0-9]+)", r"R_\1§"),
    # vendor ids of people, keys, workspaces, projects
    (r"\b(user|apikey|wrkspc|proj|key)([_-])([A-Za-z0-9]{16,})\b", r"\1\2\3§"),
    (r"\bclaude_code_key_([A-Za-z0-9_.-]+)", r"claude_code_key_\1_§"),
    # the tiny template's CI bot key, a Claude Code API actor (sandbox api_actors): each copy of
    # the organisation has its own (the Claude Code report's rows are keyed by the actor)
    (r"\bgithub-actions-claude\b", r"github-actions-claude-§"),
)
TILE_RULES = (
    # session and conversation ids (UUIDs), commits (SHA-1), GitHub node ids
    (r"\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{6})[0-9a-f]{6}\b", r"\1¤"),
    (r"\b([0-9a-f]{34})[0-9a-f]{6}\b", r"\1¤"),
    (r"\b(PR|PRR|PRRT|EV)_([A-Za-z0-9]+)", r"\1_\2x¤"),
)


def _chain(expr: str, rules: tuple[tuple[str, str], ...]) -> str:
    for pattern, replacement in rules:
        expr = f"regexp_replace({expr}, {_sql_text(pattern)}, {_sql_text(replacement)}, 'g')"
    return expr


NUMBER_REF = r"(#|/pull/|/pulls/)([0-9]+)\b"


def _matches(con: Any, source: str, columns: list[tuple[str, str]]) -> dict[str, set[str]]:
    """Which rule groups can change each text column: the ones some template value matches (a
    rule nothing matches is left out of the SQL; the otel tables' many text columns are mostly
    enumerations)."""
    groups = {"shard": SHARD_RULES, "tile": TILE_RULES, "number": ((NUMBER_REF, ""),)}
    texts = [c for c, k in columns if k.upper() in ("VARCHAR", "JSON")]
    if not texts:
        return {}
    selects = [
        "coalesce(bool_or("
        + " or ".join(
            f'regexp_matches(cast("{c}" as varchar), {_sql_text(pattern)})' for pattern, _ in rules
        )
        + "), false)"
        for c in texts
        for rules in groups.values()
    ]
    row = con.execute(f"select {', '.join(selects)} from {source}").fetchone() or ()
    flags = iter(row)
    return {c: {g for g in groups if next(flags)} for c in texts}


def _expression(
    column: str,
    kind: str,
    table: str,
    tiling: Tiling,
    day_table: bool,
    groups: set[str] | None = None,
    bots: tuple[str, ...] = (),
) -> str:
    """The SELECT expression writing ``column`` of every tile: ``t`` is the tile (shard, copy,
    tile number, shift in days, suffixes), ``r`` the template's row; ``groups`` the text rule
    groups that can change it (default: every one)."""
    groups = {"shard", "tile", "number"} if groups is None else groups
    ident = f'r."{column}"'
    kind = kind.upper()
    if kind == "DATE":
        return f"{ident} + cast(t.shift as integer)" if day_table else ident
    if kind.startswith("TIMESTAMP"):
        return f"{ident} + to_days(cast(t.shift as integer))" if day_table else ident
    if kind in ("BIGINT", "INTEGER", "HUGEINT"):
        if column in PR_NUMBERS and tiling.copies > 1:
            return f"{ident} * 100 + t.copy"
        if column in PERSON_NUMBERS:
            return f"{ident} + t.shard * {PERSON_NUMBER_STRIDE}"
        if column in EPOCH_COLUMNS and day_table:
            return f"{ident} + t.shift * {EPOCH_COLUMNS[column]}"
        return ident
    if kind not in ("VARCHAR", "JSON"):
        return ident
    expr = ident
    if column in TEXT_DAY_COLUMNS and day_table:
        shifted = f"try_cast({expr} as date) + cast(t.shift as integer)"
        expr = f"coalesce(strftime({shifted}, '%Y-%m-%d'), {expr})"
    if "shard" in groups:
        shard_rewrite = f"replace({_chain(expr, SHARD_RULES)}, '§', t.s)"
        expr = f"case when t.shard > 0 then {shard_rewrite} else {expr} end"
    if "tile" in groups:
        tile_rewrite = f"replace({_chain(expr, TILE_RULES)}, '¤', t.hex6)"
        expr = f"case when t.tile > 0 then {tile_rewrite} else {expr} end"
    if tiling.copies > 1 and "number" in groups:
        # "#119", "/pull/119": the number as PR_NUMBERS writes it (number × 100 + copy).
        expr = (
            f"replace(regexp_replace({expr}, '(#|/pull/|/pulls/)([0-9]+)\\b', '\\1\\2¦', 'g'), "
            "'¦', t.cc)"
        )
    if "login" in column:
        # GitHub logins (lists in the roster); bots and agents are shared by every shard.
        shared = ", ".join(_sql_text(b) for b in bots) or "null"
        expr = (
            f"case when t.shard = 0 or {ident} like '%[bot]%' or {ident} in ({shared}) "
            f"then {expr} else "
            f"replace(regexp_replace({expr}, '([A-Za-z0-9_.-]+)', '\\1-§', 'g'), '§', t.s) end"
        )
    if f"{table}.{column}" in PERSON_NAMES:
        expr = f"case when t.shard > 0 then {expr} || ' ' || upper(t.s) else {expr} end"
    if column in PERSON_TEXT:
        expr = f"case when t.shard > 0 then {expr} || t.s else {expr} end"
    if column in ROW_KEYS and table != "raw_people.roster":
        expr = f"case when t.tile > 0 then {expr} || t.key else {expr} end"
    if kind == "JSON":
        expr = f"cast({expr} as json)"
    return expr


def _tables(con: Any, catalog: str = "tpl") -> list[tuple[str, str]]:
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_catalog = '{catalog}' and table_schema like 'raw\\_%' escape '\\' "
        "and table_schema not like '%\\_staging' escape '\\' order by 1, 2"
    ).fetchall()


def _columns(con: Any, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = 'tpl' and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()


def main_day(columns: list[tuple[str, str]]) -> str | None:
    """The row's day as SQL: its first DATE column, else its first timestamp, else its text day."""
    for kind in ("DATE", "TIMESTAMP"):
        for name, data_type in columns:
            if data_type.upper().startswith(kind) and name != "measured_as_of":
                return f'cast({{r}}"{name}" as date)'
    for name, _ in columns:
        if name in TEXT_DAY_COLUMNS:
            return f'try_cast({{r}}"{name}" as date)'
    return None


def write(
    template: Path,
    out: Path,
    tiling: Tiling,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> dict[str, int]:
    """Write the tiled raw tables into a new DuckDB file ``out``; row count per table."""
    import duckdb

    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    con = duckdb.connect(str(out))
    if threads:
        con.execute(f"set threads = {threads}")
    if memory_limit:
        con.execute(f"set memory_limit = '{memory_limit}'")
    con.execute("set preserve_insertion_order = false")
    con.execute(f"attach {_sql_text(str(template))} as tpl (read_only)")
    # One row per tile: every table is written by one INSERT … SELECT over template × tiles.
    con.execute(
        f"""
        create temp table tiles as
        select shard, copy, shard * {tiling.copies} + copy as tile,
               (copy - {tiling.copies - 1}) * {tiling.period_days} as shift,
               least({tiling.period_days},
                     {tiling.days} - ({tiling.copies - 1} - copy) * {tiling.period_days}) as span,
               's' || shard as s, lpad(lower(hex(shard * {tiling.copies} + copy)), 6, '0') as hex6,
               lpad(cast(copy as varchar), 2, '0') as cc, '~' || shard || '.' || copy as key
        from range({tiling.shards}) as shards(shard), range({tiling.copies}) as copies(copy)
        """
    )
    # Bots and agents (dependabot, copilot-swe-agent) are the same accounts in every shard.
    bots = tuple(
        row[0]
        for row in con.execute(
            "select author_login from tpl.raw_github.pull_requests where author_type = 'Bot' "
            "union select author_login from tpl.raw_github.pull_request_reviews "
            "where author_type = 'Bot' order by 1"
        ).fetchall()
        if row[0]
    )
    counts: dict[str, int] = {}
    try:
        for schema, table in _tables(con):
            name = f"{schema}.{table}"
            columns = _columns(con, schema, table)
            con.execute(f'create schema if not exists "{schema}"')
            target = f'"{schema}"."{table}"'
            source = f'tpl."{schema}"."{table}"'
            con.execute(f"create table {target} as select * from {source} limit 0")
            if table.startswith("_dlt") or name == RUN_RECORD:
                con.execute(f"insert into {target} select * from {source}")
                continue
            day_table = name not in SNAPSHOT_TABLES
            # (git measurements are dated by when they were measured: kept with their PRs)
            day = main_day(columns) if day_table and schema != "raw_git" else None
            # Each copy takes the template's rows of its period's days (the extraction's
            # lookback day before it is left out), the earliest one from the first requested day.
            where = "where t.copy = 0" if not day_table else ""
            if day:
                row_day, first = day.format(r="r."), f"date '{tiling.first_day}'"
                period = tiling.period_days
                where = (
                    f"where coalesce({row_day} >= {first} + cast({period} - t.span as integer) "
                    f"and {row_day} < {first} + {period}, true)"
                )
            matches = _matches(con, source, columns)
            exprs = ", ".join(
                (
                    f'r."{c}" * {tiling.shards}'
                    if name == LEDGER and c in LEDGER_SUMS
                    else _expression(c, k, name, tiling, day_table, matches.get(c), bots)
                )
                + f' as "{c}"'
                for c, k in columns
            )
            if name == LEDGER:
                where = f"{where or 'where true'} and t.shard = 0"
            con.execute(
                f"insert into {target} select {exprs} from {source} as r, tiles as t {where}"
            )
        # Pull-request children go with their pull request.
        for child in PR_CHILDREN:
            con.execute(
                f"delete from raw_github.{child} where pull_request_id not in "
                "(select id from raw_github.pull_requests)"
            )
        con.execute(
            f"update {RUN_RECORD} set first_day = ?, last_day = ?",
            [tiling.history_first_day, tiling.last_day],
        )
        for schema, table in _tables(con, out.stem):
            if not table.startswith("_dlt"):
                row = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
                counts[f"{schema}.{table}"] = int(row[0]) if row else 0
        con.execute("detach tpl")
        con.execute("checkpoint")
    finally:
        con.close()
    return counts
