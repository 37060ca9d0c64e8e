"""The framework floor of the benchmark suite: FastAPI doing none of the work.

The same three routes as the ceiling (GET /tickets/{id}, GET /tickets?..., POST /tickets), each
behind one dependency that checks the bearer token against a constant; the answers are fixed
bodies of the size Ticketry sends (a ticket with its people, a page of 20). With
FLOOR_DATABASE set, each request also opens a SQLAlchemy ORM Session, runs `SELECT 1` in its
transaction and commits -- the least any request of an app built on an ORM session does.

It is not a contender for the targets: it measures how much of the ceiling a FastAPI app can
keep at all on this machine (`floor` rows), and with one database session
(`floor-session`), so that Ticketry's ratios can be read against them.

    FLOOR_TOKEN=t .venv/bin/python -m uvicorn floor_app:app --app-dir bench/suite \
        --loop uvloop --http httptools --no-access-log --workers 1
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

TOKEN = os.environ.get("FLOOR_TOKEN", "")
DATABASE = os.environ.get("FLOOR_DATABASE")
_sessions = sessionmaker(create_engine(DATABASE, pool_size=20)) if DATABASE else None

_PERSON = {"id": str(uuid.uuid4()), "username": "agent0", "full_name": "Agent Zero",
           "email": "agent0@example.com"}


def _ticket(n: int) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {"id": str(uuid.uuid4()), "key": f"OPS-{n}", "title": "Printer on the third floor "
            "jams on every job", "description": "Since this morning every print job jams after "
            "the first page.", "status": "OPEN", "priority": "P3", "category": "hardware",
            "tags": ["printer", "floor-3"], "requester": _PERSON, "assignee": _PERSON,
            "team": {"id": str(uuid.uuid4()), "key": "ops", "name": "Operations"},
            "queue": "devops", "created_at": now, "updated_at": now,
            "response_due_at": now, "resolution_due_at": now, "version": 1}


_ONE = orjson.dumps(_ticket(1))
_PAGE = orjson.dumps({"items": [_ticket(n) for n in range(20)], "total": 300, "page": 1,
                      "size": 20, "pages": 15})

app = FastAPI()


async def agent(request: Request) -> str:
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        raise HTTPException(401, "authentication required")
    return TOKEN


async def unit_of_work() -> AsyncIterator[Session | None]:
    # Async, as Ticketry's is: a sync generator would cost a thread hand-off per request.
    if _sessions is None:
        yield None
        return
    with _sessions() as session, session.begin():
        session.execute(text("SELECT 1")).scalar_one()
        yield session


Agent = Annotated[str, Depends(agent)]
Work = Annotated[Session | None, Depends(unit_of_work)]


class NewTicket(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    priority: str = "normal"


@app.get("/tickets/{ticket_id}")
async def get_ticket(ticket_id: uuid.UUID, _agent: Agent, _work: Work) -> Response:
    return Response(_ONE, media_type="application/json")


@app.get("/tickets")
async def list_tickets(_agent: Agent, _work: Work,
                       status: Annotated[str | None, Query()] = None,
                       sort: Annotated[str, Query()] = "-created_at",
                       page: Annotated[int, Query(ge=1)] = 1,
                       size: Annotated[int, Query(ge=1, le=100)] = 20) -> Response:
    return Response(_PAGE, media_type="application/json")


@app.post("/tickets", status_code=201)
async def create_ticket(body: NewTicket, _agent: Agent, _work: Work) -> Response:
    return Response(_ONE, status_code=201, media_type="application/json")
