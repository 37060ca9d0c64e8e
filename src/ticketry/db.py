"""Engine, session factory, declarative base and the unit-of-work boundary."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import chain
from operator import itemgetter
from typing import Any, cast

import orjson
from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.schema import CallableColumnDefault, Column, ScalarElementColumnDefault
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return _as_utc(value)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            # PostgreSQL returns aware datetimes, in UTC already on our connections (their
            # TimeZone is UTC, see create_db_engine): read without TypeDecorator's wrapping.
            return _as_utc
        # SQLite returns the stored text: parsed straight to an aware datetime in one call
        # (0.15 µs), where parsing it naive, then `replace(tzinfo=...)`, took 1.9 µs: a tenth
        # of a ticket list's time (a dozen timestamps per ticket). Text in any other form goes
        # the general way.
        general = super().result_processor(dialect, coltype)
        assert general is not None  # this type processes every result value

        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            try:
                return _from_utc_text(value + "+00:00")
            except ValueError:
                return general(value)

        return process


_from_utc_text = datetime.fromisoformat


def _as_utc(value: datetime | None) -> datetime | None:
    """The value in UTC: kept as it is when it already is, naive values taken as UTC."""
    if value is None or value.tzinfo is UTC:
        return value
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


# JSON everywhere, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def normalize_database_url(raw: str) -> URL:
    """Accept plain and driver-qualified URLs; always use this service's own sync drivers."""
    url = make_url(raw)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database backend {backend!r}: use sqlite or postgresql")


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _json_dumps(value: Any) -> str:
    """JSON columns through orjson (several times faster than the standard library). Non-string
    keys are written as strings, as `json.dumps` does."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_db_engine(raw_url: str, *, pool_size: int = 20, max_overflow: int = 20) -> Engine:
    url = normalize_database_url(raw_url)
    if is_sqlite(url):
        database = url.database or ""
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=max_overflow,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
        )
        _configure_sqlite(engine)
        return engine
    # A bounded connect: a request's first statement may run on the event loop, and an
    # unreachable server must not hold it (libpq waits forever by default).
    connect_args: dict[str, Any] = {} if "connect_timeout" in url.query else {"connect_timeout": 10}
    if "options" not in url.query:
        # Sessions in UTC: timestamps come back in the zone the service uses, so reading them
        # needs no conversion (psycopg gives datetime.UTC for it), whatever the server's zone.
        connect_args["options"] = "-c TimeZone=UTC"
    return create_engine(
        url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=False,
        connect_args=connect_args,
        json_serializer=_json_dumps, json_deserializer=orjson.loads,
    )


_BEGIN = {"DEFERRED": "BEGIN DEFERRED", "IMMEDIATE": "BEGIN IMMEDIATE"}


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy own transaction boundaries (pysqlite's implicit BEGIN is wrong for us).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Statement journals (and sorts) in memory: a ticket INSERT touches some forty pages
        # (its indexes, the search index), and their undo copies spilled to a temporary file
        # cost a third of a create's writes.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction that starts as a read ignores busy_timeout on upgrade, so writers
        # take the lock up front.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        # Straight to the driver: through SQLAlchemy's execution path it costs more than the
        # statement (every request begins a transaction).
        conn.connection.driver_connection.execute(_BEGIN[mode])


class Database:
    """One engine and its session factory; the app, the CLI and the tests each own one."""

    def __init__(self, raw_url: str, *, pool_size: int = 20, max_overflow: int = 20) -> None:
        self.engine = create_db_engine(raw_url, pool_size=pool_size, max_overflow=max_overflow)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._write_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        )
        self._write_sessions = sessionmaker(
            self._write_engine, expire_on_commit=False, autoflush=False
        )

    def session(self, *, write: bool = False) -> Session:
        return (self._write_sessions if write else self._sessions)()

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """The transaction boundary: commit on success, roll back on any error."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException as exc:
            # Errors that must keep their writes (see DomainError.keeps_changes) commit.
            if getattr(exc, "keeps_changes", False):
                session.commit()
            else:
                session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


# Rows per multi-row INSERT on SQLite: its statements take at most 32 766 parameters.
_SQLITE_MAX_PARAMETERS = 32_000
_SQLITE_MAX_ROWS = 500


def insert_rows(session: Session, entity: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT many rows of one mapped class, given by attribute name, that share their keys:
    for bulk writes (imports). Columns left out get their Python-side defaults, as with the ORM.

    Each value is converted for the driver by its column's own type (the same bind processing
    SQLAlchemy applies), but an object seen again in the same column is converted once: the
    rows of a batch share most of their values (the timestamp, the queue, the actor). Through
    SQLAlchemy's bulk INSERT every value of every row goes through its machinery, which cost
    ~100 µs per ticket row, twice what SQLite took to store it.

    SQLite gets multi-row INSERTs: executed row by row, the FTS5 index behind the tickets'
    trigger flushes on every statement. PostgreSQL gets COPY (triggers fire as for INSERT):
    psycopg would parse each long multi-row statement with a regular expression, and executes
    an executemany row by row, a round trip each."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    mapper = inspect(entity)
    table = cast(Table, mapper.local_table)
    keys = list(rows[0])
    targets = [mapper.columns[key] for key in keys]
    given = set(targets)
    defaults = [column for column in table.columns
                if column not in given and column.default is not None]
    # Rows to columns in C (itemgetter, zip): a column at a time, each type's processor is
    # looked up once.
    values_of = itemgetter(*keys) if len(keys) > 1 else (lambda row: (row[keys[0]],))
    columns: list[list[Any]] = [
        _bind_values(column, list(values), dialect) for column, values in
        zip(targets, zip(*map(values_of, rows), strict=True), strict=True)]
    for column in defaults:
        columns.append(_bind_values(column, _default_values(column, len(rows)), dialect))
    # Names from the table's metadata, quoted by the dialect; every value is a bound parameter.
    preparer = dialect.identifier_preparer
    target = (f"{preparer.format_table(table)} ("
            + ", ".join(preparer.quote(column.name) for column in (*targets, *defaults)) + ")")
    records = list(zip(*columns, strict=True))
    if dialect.name == "sqlite":
        width = len(columns)
        per_statement = max(1, min(_SQLITE_MAX_ROWS, _SQLITE_MAX_PARAMETERS // width))
        one = "(" + ", ".join("?" * width) + ")"
        for start in range(0, len(records), per_statement):
            chunk = records[start:start + per_statement]
            connection.exec_driver_sql(f"INSERT INTO {target} VALUES "  # noqa: S608
                                       + ", ".join([one] * len(chunk)),
                                       tuple(chain.from_iterable(chunk)))
        return
    copy = f"COPY {target} FROM STDIN"
    driver = connection.connection.driver_connection
    assert driver is not None
    dbapi_error = dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(copy) as stream:
            for record in records:
                stream.write_row(record)
    except dbapi_error as exc:
        # The same exception SQLAlchemy raises for a failing statement (IntegrityError, ...).
        raise DBAPIError.instance(copy, None, exc, dbapi_error, dialect=dialect) from exc


def _bind_values(column: Column[Any], values: list[Any], dialect: Dialect) -> list[Any]:
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return values
    # Convert each distinct object once (by identity: dicts and lists are not hashable).
    last: Any = object()
    out: Any = None
    converted = []
    for value in values:
        if value is not last:
            last, out = value, process(value)
        converted.append(out)
    return converted


def _default_values(column: Column[Any], count: int) -> list[Any]:
    default = column.default
    if isinstance(default, ScalarElementColumnDefault):
        return [default.arg] * count
    if isinstance(default, CallableColumnDefault):
        # SQLAlchemy wraps a default that takes no arguments into one taking a context.
        make = cast(Any, default.arg)
        return [make(None) for _ in range(count)]
    raise NotImplementedError(f"insert_rows cannot compute the default of {column}")


def reserve_ids(session: Session, entity: type[Base], count: int) -> list[int]:
    """Primary keys for `count` rows a bulk write inserts with explicit ids, so that it needs no
    RETURNING to write their dependent rows. PostgreSQL takes them from the column's sequence;
    on SQLite they follow the largest id, which is safe because a writing transaction holds the
    database's single write lock from its first statement (BEGIN IMMEDIATE); a transaction that
    does not would fail on the primary key, never overwrite a row."""
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "sqlite":
        last = session.execute(select(func.max(inspect(entity).columns['id']))).scalar() or 0
        return list(range(last + 1, last + 1 + count))
    return list(session.execute(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
             "FROM generate_series(1, :count)"),
        {"table": cast(Table, inspect(entity).local_table).name, "count": count}).scalars())
