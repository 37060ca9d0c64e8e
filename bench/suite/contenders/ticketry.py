"""Ticketry as a contender: the real schema (migrations, queue presets), tickets bulk-inserted by
bench/ticket_data.py, three comments per ticket (a few rare words among them, for search), an
agent who logs in through the real login, served by `ticketry serve --no-worker`.

Deliberate difference from production settings: rate limiting is off
(TICKETRY_RATE_LIMIT_ENABLED=false), since 32 connections of one agent would otherwise measure
the 429 path. Everything else (authentication, permission checks, history, SLA, notifications)
stays on.

The seeded database is kept under the work directory (SQLite: a file; PostgreSQL: the database
bench_ticketry_<size>); each `prepare` hands out a fresh copy of it (a file copy, or CREATE
DATABASE ... TEMPLATE), so tickets created by one run never inflate the next."""

from __future__ import annotations

import json
import os
import random
import secrets
import sqlite3
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contender import Prepared, RequestSpec

ROOT = Path(__file__).resolve().parents[3]
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
AGENT = "agent0"
PASSWORD = "bench-agent-password"
# Made-up words, each put in one comment of about 1 % of the tickets: a search finds a page
# of tickets out of many, as a real query for a rare term would.
RARE_WORDS = ("quokka", "zeppelin", "marzipan", "obsidian", "tangerine", "walrus", "juniper",
              "kazoo", "lantern", "nebula")
SAMPLE_IDS = 2000


def _log(message: str) -> None:
    print(f"  [ticketry] {message}", flush=True)


class Ticketry:
    name = "ticketry"
    operations = ("get", "list", "create", "comment", "search", "dashboard")
    notes = ("rate limiting off (TICKETRY_RATE_LIMIT_ENABLED=false), a deliberate difference "
             "from its defaults: one agent at 32 connections would otherwise measure 429 "
             "answers; authentication, permission checks and history on; production settings "
             "(a JSON log line per request); the embedded worker off (`serve --no-worker`), so "
             "notification and webhook jobs are queued, not delivered; a bearer token from "
             "the real login; 40 agents in 8 teams and 200 requesters (bench/ticket_data.py), "
             "3 comments per ticket.")

    def prepare(self, *, backend: str, size: int, workdir: Path) -> Prepared:
        home = workdir / "ticketry"
        home.mkdir(parents=True, exist_ok=True)
        secret = _secret(home)
        # Password hashing and login read the settings; keep them off the repository's var/.
        os.environ["TICKETRY_VAR_DIR"] = str(home / "var")
        os.environ["TICKETRY_SECRET_KEY"] = secret
        from ticketry.config import get_settings
        get_settings.cache_clear()

        if backend == "sqlite":
            seed_url = f"sqlite:///{home / f'seed-{size}.db'}"
            run_url = f"sqlite:///{home / f'run-{size}.db'}"
        elif backend == "postgresql":
            seed_url = _pg_url(f"bench_ticketry_{size}")
            run_url = _pg_url(f"bench_ticketry_{size}_run")
        else:
            raise ValueError(f"unknown backend {backend!r}")
        marker = home / f"seed-{backend}-{size}.json"
        seeded = _load_marker(marker) if _database_exists(seed_url) else None
        if seeded is None:
            _drop_database(seed_url)
            started = time.perf_counter()
            _log(f"seeding {size} tickets on {backend} (once; kept in {home})")
            seeded = _seed(seed_url, size)
            marker.write_text(json.dumps(seeded))
            _log(f"seeded in {time.perf_counter() - started:.0f} s")
        else:
            _upgrade(seed_url)  # migrations added since the seed was made
        _copy_database(seed_url, run_url)
        token = _login(run_url, secret)

        env = {
            "TICKETRY_DATABASE_URL": run_url,
            "TICKETRY_SECRET_KEY": secret,
            "TICKETRY_ENVIRONMENT": "production",
            "TICKETRY_VAR_DIR": str(home / "var"),
            "TICKETRY_STORAGE_PATH": str(home / "var" / "attachments"),
            "TICKETRY_ACCESS_TOKEN_MINUTES": str(60 * 24 * 30),
            "TICKETRY_ADMIN_PASSWORD": "bench-admin-password",
            "TICKETRY_RATE_LIMIT_ENABLED": "false",
        }
        tickets = seeded["ticket_ids"]
        ticket_body = json.dumps({"title": "Printer on the third floor jams on every job",
                                  "description": "Since this morning every print job jams "
                                                 "after the first page.",
                                  "priority": "P3"}).encode()
        comment_body = json.dumps({"content": "Restarted the spooler; please try again and "
                                              "tell us if it still fails."}).encode()
        return Prepared(env=env, headers={"Authorization": f"Bearer {token}"}, requests={
            "get": RequestSpec("GET", [f"/api/v1/tickets/{t}" for t in tickets]),
            "list": RequestSpec("GET", ["/api/v1/tickets?status=OPEN&sort_by=created_at"
                                        "&order=desc&size=20"]),
            "create": RequestSpec("POST", ["/api/v1/tickets"], body=ticket_body),
            "comment": RequestSpec("POST", [f"/api/v1/tickets/{t}/comments" for t in tickets],
                                   body=comment_body),
            "search": RequestSpec("GET", [f"/api/v1/tickets?search={w}" for w in RARE_WORDS]),
            "dashboard": RequestSpec("GET", ["/api/v1/reports/dashboard?period=30d"]),
        })

    def command(self, *, port: int, workers: int, prepared: Prepared) -> list[str]:
        return [str(ROOT / ".venv" / "bin" / "ticketry"), "serve", "--no-worker",
                "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]


CONTENDER = Ticketry()


def _secret(home: Path) -> str:
    path = home / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _pg_url(database: str) -> str:
    return PG_SERVER.rsplit("/", 1)[0] + "/" + database


def _sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _admin() -> Any:
    from sqlalchemy import create_engine

    from ticketry.db import normalize_database_url
    return create_engine(normalize_database_url(PG_SERVER), isolation_level="AUTOCOMMIT")


def _database_exists(url: str) -> bool:
    if (path := _sqlite_path(url)) is not None:
        return path.exists()
    from sqlalchemy import text
    engine = _admin()
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                {"n": url.rsplit("/", 1)[1]}).first() is not None
    finally:
        engine.dispose()


def _drop_database(url: str) -> None:
    if (path := _sqlite_path(url)) is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    engine = _admin()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        engine.dispose()


def _copy_database(seed_url: str, run_url: str) -> None:
    _drop_database(run_url)
    seed, run = _sqlite_path(seed_url), _sqlite_path(run_url)
    if seed is not None and run is not None:
        with sqlite3.connect(seed) as source, sqlite3.connect(run) as target:
            source.backup(target)
        return
    engine = _admin()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{run_url.rsplit("/", 1)[1]}" '
                                 f'TEMPLATE "{seed_url.rsplit("/", 1)[1]}"')
    finally:
        engine.dispose()


def _load_marker(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("ticket_ids") else None


def _upgrade(url: str) -> None:
    from ticketry.db import Database
    from ticketry.migrations import upgrade_to_head
    database = Database(url, pool_size=1, max_overflow=0)
    upgrade_to_head(database.engine)
    database.dispose()


def _seed(url: str, size: int) -> dict[str, Any]:
    """bench/ticket_data.py's tickets, then comments, the agent's password and the ids."""
    sys.path.insert(0, str(ROOT / "bench"))
    import ticket_data  # bench/ticket_data.py
    from sqlalchemy import insert, select, update

    from ticketry.db import Database
    from ticketry.domain.auth.passwords import hash_password
    from ticketry.domain.comments.models import Comment
    from ticketry.domain.tickets.models import Ticket
    from ticketry.domain.users.models import Role, User

    if _sqlite_path(url) is None:
        engine = _admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')
        engine.dispose()
    ticket_data.populate(url, size)
    rng = random.Random(11)
    now = datetime.now(UTC).replace(microsecond=0)
    database = Database(url, pool_size=1, max_overflow=0)
    with database.unit_of_work() as session:
        session.execute(update(User).where(User.username == AGENT)
                        .values(password_hash=hash_password(PASSWORD)))
        agents = list(session.scalars(select(User.id).where(User.role == Role.DEVOPS_ENGINEER)))
        rows = session.execute(select(Ticket.id, Ticket.public_id, Ticket.requester_id)
                               .order_by(Ticket.id)).all()
    batch = 5000
    for start in range(0, len(rows), batch):
        comments = []
        for ticket_id, _, requester_id in rows[start:start + batch]:
            for k in range(3):
                content = ticket_data._sentence(rng, rng.randint(8, 30))
                if k == 1 and rng.random() < 0.1:
                    content += f" {rng.choice(RARE_WORDS)} {ticket_data._sentence(rng, 3)}"
                comments.append({"public_id": uuid.uuid4(), "ticket_id": ticket_id,
                                 "author_id": requester_id if k == 0 else rng.choice(agents),
                                 "content": content, "is_internal": k == 2 and rng.random() < 0.3,
                                 "created_at": now, "updated_at": now})
        with database.unit_of_work() as session:
            # RETURNING makes multi-row INSERTs, so PostgreSQL's statement-level index
            # triggers take a page of rows at a time (as bench/search.py does).
            session.execute(insert(Comment).returning(Comment.id), comments)
    if database.is_sqlite:
        with database.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    database.dispose()
    sample = rng.sample(rows, min(SAMPLE_IDS, len(rows)))
    return {"tickets": size, "comments": 3 * len(rows),
            "ticket_ids": [str(public_id) for _, public_id, _ in sample]}


def _login(url: str, secret: str) -> str:
    """The agent's access token from the real login (on the copy the server will use)."""
    from ticketry.config import Settings
    from ticketry.db import Database
    from ticketry.domain.auth.service import login

    settings = Settings(database_url=url, secret_key=secret,
                        access_token_minutes=60 * 24 * 30)
    database = Database(url, pool_size=1, max_overflow=0)
    try:
        with database.unit_of_work() as session:
            return login(session, settings=settings, username=AGENT,
                         password=PASSWORD).access_token
    finally:
        database.dispose()
