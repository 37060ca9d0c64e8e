"""Full-text search over 100 000 tickets with comments: `search_tickets` finding a word that
appears in one comment only, against the same question asked with LIKE.

    .venv/bin/python bench/search.py [TICKETS] [--repeat N]

Builds a fresh SQLite database, and with TICKETRY_DATABASE_URL=postgresql://... a fresh
PostgreSQL database on that server too (dropped afterwards): TICKETS tickets (default 100 000)
of 20-60 words and three comments each (one in five internal), words drawn Zipf-like from a
20 000-word vocabulary, inserted in bulk through the ORM's executemany, so the index triggers
of migration 0011 build the search index as they would for an import. Each query runs once to
warm up, then N times (default 30) in a fresh session; the numbers are the whole service call
(COUNT for `total` plus the page of 20 with its eager loads). Results: a table on stdout and
bench/results/search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from sqlalchemy import exists, func, insert, or_, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

# bench/ is the script's directory, so its neighbour module imports as a top-level one.
from ticket_data import fresh_database

from ticketry.db import Database
from ticketry.domain.comments.models import Comment
from ticketry.domain.queues.service import find_queue_config, install_presets
from ticketry.domain.search.schemas import TicketSearch
from ticketry.domain.search.service import search_tickets
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketFilters
from ticketry.domain.tickets.service import list_tickets
from ticketry.domain.users.models import Role, User
from ticketry.migrations import upgrade_to_head

ROOT = Path(__file__).resolve().parent.parent
NEEDLE = "xylophonic"
# A word of nearly every ticket (the most frequent): the worst case, every ticket ranked.
COMMON = "server"
# Zipf rank of a word found in about 1 % of the tickets.
UNCOMMON_RANK = 4000
SYLLABLES = "ka ri to ne mo sa lu pe di ga fo zu be ni ra te so mi ku do ha ye wa lo pa se ti"
BASE_WORDS = ("server database network printer laptop vpn email outage slow error login "
              "password deploy build pipeline disk memory cpu certificate dns firewall backup "
              "restore access request change incident upgrade license monitor alert queue "
              "timeout the a to is of and in it for on with not")


def vocabulary(rng: random.Random, size: int = 20_000) -> tuple[list[str], list[float]]:
    words = BASE_WORDS.split()
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES.split()) for _ in range(rng.randint(2, 4)))
        if word not in seen and NEEDLE not in word:
            seen.add(word)
            words.append(word)
    return words, list(accumulate(1 / (rank + 1) for rank in range(len(words))))


def populate(database: Database, tickets: int, *, batch: int = 5000) -> dict[str, Any]:
    """Tickets and comments in bulk; the ticket holding NEEDLE (in one public comment) and its
    requester, for the searches."""
    rng = random.Random(7)
    words, weights = vocabulary(rng)

    def sentence(low: int, high: int) -> str:
        return " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(low, high)))

    now = datetime.now(UTC).replace(microsecond=0)
    needle_at = tickets // 2
    with database.unit_of_work() as session:
        install_presets(session)
        people = [{"public_id": uuid.uuid4(), "username": name, "email": f"{name}@example.com",
                   "full_name": name, "password_hash": "!", "role": role.value,
                   "is_active": True, "created_at": now, "updated_at": now}
                  for name, role in [("agent", Role.DEVOPS_ENGINEER)]
                  + [(f"customer{n}", Role.END_USER) for n in range(500)]]
        session.execute(insert(User), people)
        agent_id = session.scalar(select(User.id).where(User.username == "agent"))
        customers = list(session.scalars(select(User.id).where(User.role == Role.END_USER)))
        queue = find_queue_config(session, "devops")
        statuses = list(queue.statuses.values())
        priorities = list(queue.priorities.values())
    for start in range(0, tickets, batch):
        rows = []
        for n in range(start, min(start + batch, tickets)):
            status, priority = rng.choice(statuses), rng.choice(priorities)
            created = now - timedelta(minutes=tickets - n)
            rows.append({
                "public_id": uuid.uuid4(), "key": f"BENCH-{n + 1}", "number": n + 1,
                "queue_id": queue.id, "title": sentence(4, 9).capitalize(),
                "description": sentence(20, 60), "status": status.key,
                "status_category": status.category, "priority": priority.key,
                "priority_rank": priority.rank, "category": "INCIDENT",
                "requester_id": rng.choice(customers), "created_at": created,
                "updated_at": created})
        with database.unit_of_work() as session:
            ids = session.scalars(insert(Ticket).returning(Ticket.id,
                                                           sort_by_parameter_order=True),
                                  rows).all()
            comments = []
            for n, ticket_id in zip(range(start, start + len(ids)), ids, strict=True):
                for k in range(3):
                    content = sentence(10, 40)
                    if n == needle_at and k == 1:
                        content = f"{content} {NEEDLE} {sentence(3, 6)}"
                    comments.append({"public_id": uuid.uuid4(), "ticket_id": ticket_id,
                                     "author_id": agent_id, "content": content,
                                     "is_internal": k == 2 and rng.random() < 0.6,
                                     "created_at": now, "updated_at": now})
            # RETURNING makes SQLAlchemy send multi-row INSERTs (as the import does for
            # tickets), so PostgreSQL's statement-level triggers index a page of rows at once.
            session.execute(insert(Comment).returning(Comment.id), comments)
    with database.unit_of_work() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == needle_at + 1)).one()
        return {"agent_id": agent_id, "requester_id": ticket.requester_id,
                "ticket_id": ticket.id, "uncommon": words[UNCOMMON_RANK]}


def like_search(session: Session, actor: User, word: str) -> tuple[int, list[Ticket]]:
    """The same question without the index: title, description or any visible comment LIKE."""
    pattern = f"%{word}%"
    comment_match = exists().where(Comment.ticket_id == Ticket.id,
                                   func.lower(Comment.content).like(pattern))
    stmt = select(Ticket).where(Ticket.deleted_at.is_(None), or_(
        func.lower(Ticket.title).like(pattern), func.lower(Ticket.description).like(pattern),
        comment_match))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(session.scalars(stmt.order_by(Ticket.created_at.desc()).limit(20)))
    return total, items


def timed(database: Database, actor_id: int, call: Callable[[Session, User], int],
          repeat: int, expect: int | None) -> dict[str, float]:
    samples = []
    for n in range(repeat + 1):
        with database.unit_of_work(write=False) as session:
            actor = session.get_one(User, actor_id)
            started = time.perf_counter()
            total = call(session, actor)
            elapsed = (time.perf_counter() - started) * 1000
        if expect is not None and total != expect:
            raise AssertionError(f"expected {expect} matches, found {total}")
        if n:  # the first run warms caches up
            samples.append(elapsed)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
            "matches": total}


def run_backend(label: str, url: str, tickets: int, repeat: int) -> dict[str, Any]:
    database = Database(url, pool_size=2, max_overflow=0)
    upgrade_to_head(database.engine)
    started = time.perf_counter()
    ids = populate(database, tickets)
    build_seconds = time.perf_counter() - started
    if database.is_sqlite:
        with database.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")

    def search(query: str, **filters: Any) -> Callable[[Session, User], int]:
        def call(session: Session, actor: User) -> int:
            return search_tickets(session, actor=actor, search=TicketSearch(
                query=query, filters=TicketFilters(**filters))).total
        return call

    def listed(session: Session, actor: User) -> int:
        return list_tickets(session, actor=actor, filters=TicketFilters(search=NEEDLE)).total

    def like(session: Session, actor: User) -> int:
        return like_search(session, actor, NEEDLE)[0]

    agent, requester = ids["agent_id"], ids["requester_id"]
    measures = {
        "search_tickets, agent": timed(database, agent, search(NEEDLE), repeat, 1),
        "search_tickets, end user (own tickets)": timed(database, requester, search(NEEDLE),
                                                        repeat, 1),
        "list_tickets(search=), agent": timed(database, agent, listed, repeat, 1),
        "search_tickets + filters (queue, unassigned, created_after)": timed(
            database, agent, search(NEEDLE, queue="devops", unassigned=True,
                                    created_after=datetime(2000, 1, 1, tzinfo=UTC)), repeat, 1),
        f"search_tickets, a word of ~1 % of tickets ({ids['uncommon']!r})": timed(
            database, agent, search(ids["uncommon"]), repeat, None),
        f"search_tickets, a word of nearly every ticket ({COMMON!r})": timed(
            database, agent, search(COMMON), max(3, repeat // 6), None),
        "LIKE scan (title, description, comments)": timed(database, agent, like,
                                                          max(3, repeat // 6), 1),
    }
    database.dispose()
    return {"backend": label, "tickets": tickets, "comments": tickets * 3,
            "build_seconds": round(build_seconds, 1), "measures": measures}


def main() -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser()
    parser.add_argument("tickets", nargs="?", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    backends: list[tuple[str, str | None]] = [("sqlite", None)]
    postgres = os.environ.get("TICKETRY_DATABASE_URL")
    if postgres and make_url(postgres).get_backend_name().startswith("postgres"):
        backends.append(("postgresql", postgres))
    results = []
    with tempfile.TemporaryDirectory(prefix="ticketry-bench-") as tmp:
        for label, raw in backends:
            with fresh_database(raw, Path(tmp), "search") as url:
                results.append(run_backend(label, url, args.tickets, args.repeat))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "search.json").write_text(json.dumps(results, indent=2) + "\n")
    for result in results:
        print(f"\n{result['backend']}: {result['tickets']} tickets, {result['comments']} comments,"
              f" built (with the index) in {result['build_seconds']} s")
        print("| query | median ms | p95 ms | matches |\n|---|---|---|---|")
        for name, m in result["measures"].items():
            print(f"| {name} | {m['median_ms']} | {m['p95_ms']} | {m['matches']} |")
    return results


if __name__ == "__main__":
    main()
