"""Test harness: a fresh migrated database per xdist worker, a rolled-back transaction per test.

`TICKETRY_DATABASE_URL` chooses the backend: unset or sqlite gives a SQLite file per worker;
a PostgreSQL URL names the server, on which each worker creates (and drops) its own database.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="ticketry-tests-"))
# Settings every test process shares; set before anything reads them.
os.environ.setdefault("TICKETRY_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ["TICKETRY_VAR_DIR"] = str(_TMP / "var")
os.environ["TICKETRY_STORAGE_PATH"] = str(_TMP / "attachments")
# Tests share one app per worker and reuse user ids across rolled-back tests: rate limiting is
# off unless a test builds an app with it on (tests/api/test_rate_limits.py).
os.environ.setdefault("TICKETRY_RATE_LIMIT_ENABLED", "false")
os.environ["TICKETRY_ARGON2_TIME_COST"] = "1"
os.environ["TICKETRY_ARGON2_MEMORY_COST"] = "1024"

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Connection, event  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from tests.databases import fresh_database_url  # noqa: E402
from ticketry.api.app import create_app  # noqa: E402
from ticketry.config import Settings, get_settings  # noqa: E402
from ticketry.db import Database  # noqa: E402
from ticketry.domain.queues.config import queue_configs  # noqa: E402
from ticketry.domain.queues.service import install_presets  # noqa: E402
from ticketry.migrations import upgrade_to_head  # noqa: E402


def _base_url() -> str:
    return os.environ.get("TICKETRY_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""


@pytest.fixture(scope="session")
def database_url(worker_id: str) -> Iterator[str]:
    with fresh_database_url(_base_url(), sqlite_file=_TMP / f"test-{worker_id}.db",
                            prefix=f"ticketry_test_{worker_id}") as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    os.environ["TICKETRY_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(scope="session")
def migrated_database(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url, pool_size=2, max_overflow=2)
    upgrade_to_head(database.engine)
    with database.unit_of_work() as session:
        install_presets(session)
    yield database
    database.dispose()


class BoundDatabase(Database):
    """Every session of the app joins the test's outer transaction through a savepoint."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.engine = connection.engine
        self.is_sqlite = connection.dialect.name == "sqlite"

    def session(self, *, write: bool = False) -> Session:
        return Session(bind=self.connection, join_transaction_mode="create_savepoint",
                       expire_on_commit=False, autoflush=False)

    def dispose(self) -> None:
        pass


@pytest.fixture
def connection(migrated_database: Database) -> Iterator[Connection]:
    with migrated_database.engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()
    queue_configs.clear()


@pytest.fixture
def db(connection: Connection) -> BoundDatabase:
    return BoundDatabase(connection)


@pytest.fixture
def session(db: BoundDatabase) -> Iterator[Session]:
    """A session for arranging data and checking results, inside the test's transaction."""
    s = db.session()
    yield s
    s.close()


class SwitchableDatabase(Database):
    """The database of the app the tests share: each test points it at its own transaction
    (building the app's routes costs ~0.1 s, too much to repeat for every test)."""

    def __init__(self, template: Database) -> None:
        self.engine = template.engine
        self.is_sqlite = template.is_sqlite
        self.target: Database | None = None

    def session(self, *, write: bool = False) -> Session:
        assert self.target is not None, "no test database bound"
        return self.target.session(write=write)

    def dispose(self) -> None:
        pass


@pytest.fixture(scope="session")
def shared_app(settings: Settings, migrated_database: Database):  # type: ignore[no-untyped-def]
    database = SwitchableDatabase(migrated_database)
    return create_app(settings, database), database


@pytest.fixture
def app(shared_app, db: BoundDatabase):  # type: ignore[no-untyped-def]
    """The app, bound to this test's rolled-back transaction."""
    shared, database = shared_app
    database.target = db
    yield shared
    database.target = None


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        self.count = 0
        self.statements = []
        yield self


@pytest.fixture
def statements(connection: Connection) -> Iterator[StatementCounter]:
    counter = StatementCounter()

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            counter.count += 1
            counter.statements.append(statement)

    event.listen(connection, "before_cursor_execute", before)
    yield counter
    event.remove(connection, "before_cursor_execute", before)
