"""The raw layer as Parquet files a Spark cluster reads (``TOKENWORTH_WAREHOUSE_URL=spark:…``).

dlt loads into a landing DuckDB file (``$TOKENWORTH_HOME/spark-landing.duckdb``) with the same
merges and day replacements as on DuckDB. :func:`publish` then copies each raw table that changed
to ``<lake>/raw/<dataset>/<table>/``:

* a daily table (dlt replaces its rows per day: its merge key is one ``date`` column) as one
  file per day, ``<day column>=<YYYY-MM-DD>/part-0.parquet``; only the days whose rows changed
  (a digest of each day's rows, kept in the catalog) are written again, so a night writes the
  days it re-read, not the history;
* any other table (users, pull requests, dlt's ``_dlt_loads``) as one ``part-0.parquet``.

Every file keeps all the table's columns (the day column too), so readers need no partition
discovery. ``<lake>/raw/_tokenworth_tables/catalog.parquet`` lists the published tables; dbt's
``on-run-start`` (macro ``register_raw_sources``) creates one external Spark table per row. The
catalog is written last: a publish that stops half-way is redone whole by the next one, and a
publish with nothing changed writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_DIR = "raw/_tokenworth_tables"
CATALOG_FILE = "catalog.parquet"
PART_FILE = "part-0.parquet"
# dlt's own bookkeeping that dbt reads (source freshness); the other _dlt tables stay behind.
_DLT_TABLES_PUBLISHED = ("_dlt_loads",)


@dataclass(frozen=True)
class Published:
    """What one :func:`publish` wrote: tables and day files written, tables unchanged."""

    tables_written: int
    day_files_written: int
    tables_unchanged: int


def _filesystem(lake: str) -> tuple[Any, str]:
    """A pyarrow filesystem and the lake's root path in it (local or dlt's fsspec clients)."""
    from pyarrow import fs

    if "://" not in lake:
        return fs.LocalFileSystem(), lake
    # Object stores through dlt's filesystem support: credentials from dlt's configuration
    # (DESTINATION__FILESYSTEM__CREDENTIALS__…, or the cloud SDK's default chain).
    from dlt.common.configuration import resolve_configuration
    from dlt.common.storages import FilesystemConfiguration
    from dlt.common.storages.fsspec_filesystem import fsspec_from_config

    config = resolve_configuration(
        FilesystemConfiguration(bucket_url=lake), sections=("destination", "filesystem")
    )
    filesystem, root = fsspec_from_config(config)
    return fs.PyFileSystem(fs.FSSpecHandler(filesystem)), root


def _daily_columns(con: Any, dataset: str) -> dict[str, str]:
    """Table -> its day column, from dlt's stored schema: the single ``merge_key`` column of
    type ``date`` (the tables dlt replaces per day), or the ``partition`` one (the archived
    tables, appended as versions of their days)."""
    try:
        ((schema,),) = con.execute(
            f'select schema from "{dataset}"."_dlt_version" order by inserted_at desc limit 1'
        ).fetchall()
    except Exception:  # a dataset without dlt's tables (none here; be lenient)
        return {}
    daily: dict[str, str] = {}
    for name, table in json.loads(schema).get("tables", {}).items():
        keys = [
            (column, hints.get("data_type"))
            for column, hints in table.get("columns", {}).items()
            if hints.get("merge_key") or hints.get("partition")
        ]
        if len(keys) == 1 and keys[0][1] == "date":
            daily[name] = keys[0][0]
    return daily


def _read_catalog(filesystem: Any, root: str) -> dict[tuple[str, str], dict[str, Any]]:
    import pyarrow.parquet as pq

    path = posixpath.join(root, CATALOG_DIR, CATALOG_FILE)
    if filesystem.get_file_info(path).type.name == "NotFound":
        return {}
    rows = pq.read_table(path, filesystem=filesystem).to_pylist()
    return {(row["dataset"], row["table_name"]): row for row in rows}


def _write(filesystem: Any, path: str, table: Any) -> None:
    """Write ``table`` to ``path`` through a temporary name, so a reader never sees half a file."""
    import pyarrow.parquet as pq

    filesystem.create_dir(posixpath.dirname(path), recursive=True)
    partial = path + ".partial"
    pq.write_table(table, partial, filesystem=filesystem)
    filesystem.move(partial, path)


def _delete_dir(filesystem: Any, path: str) -> None:
    if filesystem.get_file_info(path).type.name != "NotFound":
        filesystem.delete_dir(path)


def publish(landing: Path, lake: str) -> Published:
    """Copy the landing file's raw tables that changed to ``lake`` as Parquet (see the module).

    Raises:
        FileNotFoundError: no landing file (nothing was extracted yet); names the file.
    """
    import duckdb
    import pyarrow as pa

    if not landing.exists():
        raise FileNotFoundError(
            f"no raw data to publish: {landing} does not exist — run the extraction first "
            "(tokenworth run) before building on Spark"
        )
    filesystem, root = _filesystem(lake)
    old = _read_catalog(filesystem, root)
    catalog: list[dict[str, Any]] = []
    written = day_files = unchanged = 0
    con = duckdb.connect(str(landing), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw\\_%' escape '\\' and table_type = 'BASE TABLE' "
            # dlt's staging datasets of a merge (raw_<source>_staging) are not the raw layer.
            "and table_schema not like '%\\_staging' escape '\\' "
            "order by 1, 2"
        ).fetchall()
        daily_by_dataset: dict[str, dict[str, str]] = {}
        for dataset, name in tables:
            if name.startswith("_dlt") and name not in _DLT_TABLES_PUBLISHED:
                continue
            if dataset not in daily_by_dataset:
                daily_by_dataset[dataset] = _daily_columns(con, dataset)
            day_column = daily_by_dataset[dataset].get(name, "")
            relation = f'"{dataset}"."{name}"'
            signature = json.dumps(
                con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [dataset, name],
                ).fetchall()
            )
            location = posixpath.join(root, "raw", dataset, name)
            before = old.get((dataset, name))
            same_shape = (
                before is not None
                and before["columns"] == signature
                and before["day_column"] == day_column
            )
            if day_column:
                digests = {
                    str(day): f"{rows}:{digest}"
                    for day, rows, digest in con.execute(
                        f'select "{day_column}", count(*), sum(hash(t)) from {relation} as t '
                        "group by 1"
                    ).fetchall()
                }
                previous = json.loads(before["digests"]) if same_shape and before else {}
                if not same_shape:
                    _delete_dir(filesystem, location)
                changed = sorted(d for d, v in digests.items() if previous.get(d) != v)
                for day in sorted(set(previous) - set(digests)):
                    _delete_dir(filesystem, posixpath.join(location, f"{day_column}={day}"))
                for day in changed:
                    rows = con.sql(
                        f'select * from {relation} where "{day_column}" = cast($day as date)',
                        params={"day": day},
                    ).to_arrow_table()
                    _write(
                        filesystem, posixpath.join(location, f"{day_column}={day}", PART_FILE), rows
                    )
                day_files += len(changed)
                state = json.dumps(digests, sort_keys=True)
                changed_any = bool(changed) or not same_shape or set(previous) != set(digests)
            else:
                ((rows_count, digest),) = con.execute(
                    f"select count(*), sum(hash(t)) from {relation} as t"
                ).fetchall()
                state = f"{rows_count}:{digest}"
                changed_any = not same_shape or before is None or before["digests"] != state
                if changed_any:
                    _delete_dir(filesystem, location)
                    _write(
                        filesystem,
                        posixpath.join(location, PART_FILE),
                        con.sql(f"select * from {relation}").to_arrow_table(),
                    )
            written += changed_any
            unchanged += not changed_any
            catalog.append(
                {
                    "dataset": dataset,
                    "table_name": name,
                    # As Spark names it: the lake's URL, or the local path.
                    "location": posixpath.join(lake.rstrip("/"), "raw", dataset, name),
                    "day_column": day_column,
                    "columns": signature,
                    # What dbt compares with the registered table's property to re-create it.
                    "columns_digest": hashlib.sha1(
                        f"{day_column}|{signature}".encode()
                    ).hexdigest()[:16],
                    "digests": state,
                }
            )
    finally:
        con.close()
    _write(
        filesystem,
        posixpath.join(root, CATALOG_DIR, CATALOG_FILE),
        pa.Table.from_pylist(
            catalog,
            schema=pa.schema(
                [
                    (column, pa.string())
                    for column in (
                        "dataset",
                        "table_name",
                        "location",
                        "day_column",
                        "columns",
                        "columns_digest",
                        "digests",
                    )
                ]
            ),
        ),
    )
    return Published(written, day_files, unchanged)
