"""One URL configures the warehouse for both dlt (destination) and dbt (profile variables).

``TOKENWORTH_WAREHOUSE_URL`` is ``duckdb:///<path>`` (default
``duckdb:///$TOKENWORTH_HOME/warehouse.duckdb``), ``postgresql://user:pass@host:port/db`` or
``spark:///<lake path>`` / ``spark:s3://bucket/prefix`` (also ``gs://``, ``abfss://``).

On Spark, dlt loads (merges, day replacements, its state) into a landing DuckDB file in
``$TOKENWORTH_HOME`` exactly as on DuckDB, so every idempotency guarantee is the same; before
each dbt build :mod:`orchestration.lib.lake` publishes the raw tables that changed as Parquet
under ``<lake>/raw/<dataset>/<table>/`` (``day=…`` partitions for daily tables), which dbt on
Spark reads as external tables. dlt's own ``filesystem`` destination cannot be the target: for
plain Parquet it turns ``merge`` into ``append`` (only Delta/Iceberg tables merge), which would
load a re-read day twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from orchestration.lib import settings

_DUCKDB_PREFIX = "duckdb:///"
_SPARK_PREFIX = "spark:"
_SPARK_LOCAL_PREFIX = "spark:///"
# Object stores the lake may live in (dlt's filesystem support: s3fs, gcsfs, adlfs).
_LAKE_SCHEMES = ("s3", "gs", "gcs", "abfss", "az", "file")
LANDING_FILE = "spark-landing.duckdb"
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2")


class WarehouseConfigError(ValueError):
    """TOKENWORTH_WAREHOUSE_URL cannot be used; the message never contains the password."""


class WarehouseUnreachableError(RuntimeError):
    """The configured warehouse cannot be opened for writing; one line says why."""


@dataclass(frozen=True)
class Warehouse:
    """A parsed warehouse URL. ``repr`` hides the password so it is safe to log."""

    kind: str  # "duckdb" | "postgres" | "spark"
    # DuckDB: the warehouse file. Spark: the landing file dlt loads into (in TOKENWORTH_HOME).
    duckdb_path: Path | None = None
    # Spark: where the Parquet raw layer (and, for a local lake, Spark's tables) live.
    lake: str = ""
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = field(default="", repr=False)
    database: str = "postgres"

    @property
    def display(self) -> str:
        """A description for logs (never includes the password)."""
        if self.kind == "duckdb":
            return f"duckdb:///{self.duckdb_path}"
        if self.kind == "spark":
            return f"spark:{self.lake}" if "://" in self.lake else f"spark:///{self.lake}"
        return f"postgresql://{self.user}:***@{self.host}:{self.port}/{self.database}"

    def dlt_destination(self) -> Any:
        """The dlt destination object for this warehouse."""
        import dlt  # local import: dlt is heavy and only needed when loading

        if self.kind in ("duckdb", "spark"):
            assert self.duckdb_path is not None
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
            # Parquet, not dlt's default INSERT … VALUES: DuckDB parses a VALUES statement
            # per few rows (~1,000 rows/s), but reads parquet columnar. The columns and their
            # types come from the dlt schema either way, so the raw tables are the same.
            return dlt.destinations.duckdb(
                credentials=str(self.duckdb_path), preferred_loader_file_format="parquet"
            )
        return dlt.destinations.postgres(
            credentials={
                "host": self.host,
                "port": self.port,
                "username": self.user,
                "password": self.password,
                "database": self.database,
            }
        )

    def dbt_env(self) -> dict[str, str]:
        """The variables ``dbt_project/profiles.yml`` reads."""
        if self.kind == "duckdb":
            return {
                "TOKENWORTH_DBT_TARGET": "duckdb",
                "TOKENWORTH_DUCKDB_PATH": str(self.duckdb_path),
            }
        if self.kind == "spark":
            return {
                "TOKENWORTH_DBT_TARGET": "spark",
                "TOKENWORTH_SPARK_LAKE": self.lake,
                # A local Spark session keeps its tables and its metastore beside the raw files.
                "TOKENWORTH_SPARK_WAREHOUSE_DIR": f"{self.lake.rstrip('/')}/warehouse",
                "TOKENWORTH_SPARK_METASTORE_DIR": str(self.local_lake / "metastore")
                if self.local_lake
                else str((self.duckdb_path or Path(".")).parent / "spark-metastore"),
            }
        return {
            "TOKENWORTH_DBT_TARGET": "postgres",
            "TOKENWORTH_PG_HOST": self.host,
            "TOKENWORTH_PG_PORT": str(self.port),
            "TOKENWORTH_PG_USER": self.user,
            "TOKENWORTH_PG_PASSWORD": self.password,
            "TOKENWORTH_PG_DATABASE": self.database,
        }

    @property
    def local_lake(self) -> Path | None:
        """The lake as a local directory, or None when it is in an object store."""
        if self.kind != "spark" or "://" in self.lake:
            return None
        return Path(self.lake)

    def check_writable(self) -> None:
        """Open the warehouse for writing once, so a run fails in one line before any work.

        Raises:
            WarehouseUnreachableError: PostgreSQL refuses the connection, or another process
                holds the DuckDB file (DuckDB allows one writing process per file).
        """
        if self.kind in ("duckdb", "spark"):
            import duckdb

            assert self.duckdb_path is not None
            try:
                self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
                if self.local_lake is not None:
                    self.local_lake.mkdir(parents=True, exist_ok=True)
                duckdb.connect(str(self.duckdb_path)).close()
            except (duckdb.Error, OSError) as error:
                reason = str(error).strip().splitlines()[0]
                raise WarehouseUnreachableError(
                    f"cannot open the warehouse {self.display} for writing: {reason} — close the "
                    "other process using it (a DuckDB file takes one writer at a time), or set "
                    f"{settings.TOKENWORTH_WAREHOUSE_URL}"
                ) from None
            return
        import psycopg2

        try:
            psycopg2.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=self.database,
                connect_timeout=10,
            ).close()
        except psycopg2.Error as error:
            reason = (str(error).strip().splitlines() or ["no answer"])[0]
            if self.password:
                reason = reason.replace(self.password, "***")
            raise WarehouseUnreachableError(
                f"cannot reach the warehouse {self.display}: {reason} — is PostgreSQL running and "
                f"is {settings.TOKENWORTH_WAREHOUSE_URL} right?"
            ) from None

    @contextmanager
    def sql_connection(self) -> Iterator[Any]:
        """A read-only DB-API connection (DuckDB or psycopg2), closed on exit.

        Raises:
            WarehouseConfigError: on Spark, whose tables are read through Spark, not here.
        """
        if self.kind == "spark":
            raise WarehouseConfigError(
                f"{self.display} is read through Spark: query its tables from a Spark session"
            )
        if self.kind == "duckdb":
            import duckdb

            connection = duckdb.connect(str(self.duckdb_path), read_only=True)
        else:
            import psycopg2  # installed with dbt-postgres

            connection = psycopg2.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=self.database,
            )
            connection.set_session(readonly=True, autocommit=True)
        try:
            yield connection
        finally:
            connection.close()


def default_url(home: Path) -> str:
    return f"{_DUCKDB_PREFIX}{home / 'warehouse.duckdb'}"


def parse_warehouse_url(url: str, home: Path | None = None) -> Warehouse:
    """Parse a warehouse URL; a relative DuckDB path is relative to the working directory.

    Raises:
        WarehouseConfigError: for an unsupported scheme or a malformed URL.
    """
    url = url.strip()
    if not url:
        url = default_url(home or settings.tokenworth_home())
    if url.startswith("duckdb:"):
        if not url.startswith(_DUCKDB_PREFIX) or len(url) == len(_DUCKDB_PREFIX):
            raise WarehouseConfigError(
                f"{settings.TOKENWORTH_WAREHOUSE_URL} must look like duckdb:///path/to/file.duckdb"
                f" (got {url!r})"
            )
        # duckdb:///rel/path is relative, duckdb:////abs/path absolute (SQLAlchemy's rule).
        path = Path(unquote(url[len(_DUCKDB_PREFIX) :])).expanduser()
        return Warehouse(kind="duckdb", duckdb_path=path.resolve())
    if url.startswith(_SPARK_PREFIX):
        return _parse_spark(url, home)
    parts = urlsplit(url)
    if parts.scheme in _POSTGRES_SCHEMES:
        database = parts.path.lstrip("/")
        if not parts.hostname or not database:
            raise WarehouseConfigError(
                f"{settings.TOKENWORTH_WAREHOUSE_URL} must look like "
                "postgresql://user:password@host:port/database (host and database are required)"
            )
        try:
            port = parts.port or 5432
        except ValueError:
            raise WarehouseConfigError(
                f"{settings.TOKENWORTH_WAREHOUSE_URL} has an invalid port"
            ) from None
        return Warehouse(
            kind="postgres",
            host=parts.hostname,
            port=port,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            database=unquote(database),
        )
    # Never echo the URL: it may contain a password.
    raise WarehouseConfigError(
        f"{settings.TOKENWORTH_WAREHOUSE_URL} has unsupported scheme {parts.scheme!r}: "
        "use duckdb:///path, postgresql://user:pass@host:port/db or spark:///lake/path"
    )


def _parse_spark(url: str, home: Path | None) -> Warehouse:
    """``spark:///<path>`` (relative; ``spark:////abs`` absolute, as for DuckDB) or
    ``spark:<scheme>://bucket/prefix`` for a lake in an object store."""
    form = (
        f"{settings.TOKENWORTH_WAREHOUSE_URL} must look like spark:///path/to/lake or "
        f"spark:s3://bucket/prefix (s3, gs, abfss)"
    )
    landing = (home or settings.tokenworth_home(create=False)) / LANDING_FILE
    if url.startswith(_SPARK_LOCAL_PREFIX):
        path = unquote(url[len(_SPARK_LOCAL_PREFIX) :])
        if not path.strip("/"):
            raise WarehouseConfigError(f"{form} (the lake path is empty)")
        lake = str(Path(path).expanduser().resolve())
        return Warehouse(kind="spark", duckdb_path=landing.resolve(), lake=lake)
    remote = url[len(_SPARK_PREFIX) :]
    scheme, sep, rest = remote.partition("://")
    if not sep or scheme not in _LAKE_SCHEMES or not rest.strip("/"):
        # Never echo the URL: an object-store URL may carry a key.
        raise WarehouseConfigError(form)
    if scheme == "file":
        lake = str(Path(unquote(rest)).expanduser().resolve())
    else:
        lake = f"{scheme}://{rest.rstrip('/')}"
    return Warehouse(kind="spark", duckdb_path=landing.resolve(), lake=lake)


def warehouse_from_env() -> Warehouse:
    """The warehouse configured by the environment (the documented default when unset)."""
    return parse_warehouse_url(settings.env(settings.TOKENWORTH_WAREHOUSE_URL))
