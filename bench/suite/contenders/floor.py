"""The framework floors: `floor_app.py` (FastAPI, fixed answers) under uvicorn, as the ceiling
is served. `floor` does no database work at all; `floor-session` opens an ORM session per
request and runs `SELECT 1` in it, on the backend measured (an empty SQLite file under the
workdir, or PostgreSQL's `postgres` database). Not targets: references for reading Ticketry's
ratios to the ceiling (see floor_app.py)."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

SUITE = Path(__file__).resolve().parents[1]
if str(SUITE) not in sys.path:
    sys.path.insert(0, str(SUITE))

from contender import Prepared, RequestSpec  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NEW_TICKET = b'{"title": "VPN drops every few minutes", "description": "Since this morning.", ' \
             b'"priority": "high"}'


class Floor:
    operations = ("get", "list", "create")
    notes = ("FastAPI answering the ceiling's routes with fixed bodies: one dependency checks "
             "the bearer token; `floor-session` also opens an ORM session per request and runs "
             "SELECT 1. A reference for the ratios, not a target.")

    def __init__(self, name: str, *, session: bool) -> None:
        self.name = name
        self.session = session

    def prepare(self, *, backend: str, size: int, workdir: Path) -> Prepared:
        token = secrets.token_urlsafe(24)
        env = {"FLOOR_TOKEN": token}
        if self.session:
            if backend == "sqlite":
                workdir.mkdir(parents=True, exist_ok=True)
                env["FLOOR_DATABASE"] = f"sqlite:///{workdir / 'floor.sqlite3'}"
            elif backend == "postgresql":
                env["FLOOR_DATABASE"] = POSTGRES
            else:
                raise ValueError(f"unknown backend {backend!r}")
        ids = [f"/tickets/00000000-0000-4000-8000-{n:012d}" for n in range(1000)]
        return Prepared(env=env, headers={"Authorization": f"Bearer {token}"}, requests={
            "get": RequestSpec("GET", ids),
            "list": RequestSpec("GET", ["/tickets?status=open&sort=-created_at&page=1&size=20"]),
            "create": RequestSpec("POST", ["/tickets"], body=NEW_TICKET),
        })

    def command(self, *, port: int, workers: int, prepared: Prepared) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "floor_app:app", "--app-dir", str(SUITE),
                "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                "--loop", "uvloop", "--http", "httptools", "--lifespan", "on",
                "--no-access-log", "--log-level", "warning"]


CONTENDER = Floor("floor", session=False)
