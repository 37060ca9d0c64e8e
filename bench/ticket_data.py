"""A database of its own holding N tickets bulk-inserted, for the report and export benchmarks.

The tickets look like a year of a service desk: created evenly over 365 days in the devops and
enterprise queues, ~60 % resolved (some late, some breached), rated, assigned to 40 agents in
8 teams, with titles, descriptions and tags of realistic length."""

from __future__ import annotations

import random
import sys
import uuid
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from ticketry.db import Database
from ticketry.domain.queues.config import queue_configs
from ticketry.domain.queues.service import find_queue_config, install_presets
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Role, Team, User
from ticketry.migrations import upgrade_to_head

# The repository root, so the test suite's database helper imports from a bench script.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.databases import fresh_database_url

NOW = datetime.now(UTC).replace(microsecond=0)
WORDS = ("server", "database", "network", "printer", "laptop", "vpn", "email", "outage", "slow",
         "error", "login", "password", "deploy", "build", "pipeline", "disk", "memory", "cpu",
         "certificate", "dns", "firewall", "backup", "restore", "access", "request", "change",
         "incident", "upgrade", "license", "monitor", "alert", "queue", "timeout")


def fresh_database(raw: str | None, work: Path, name: str) -> AbstractContextManager[str]:
    """A SQLite file in `work`, or a new database on the PostgreSQL server of `raw`, dropped
    afterwards (the test suite's helper)."""
    return fresh_database_url(raw or "", sqlite_file=work / f"{name}.db",
                              prefix=f"ticketry_bench_{name}")


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def populate(url: str, tickets: int, *, seed: int = 7, batch: int = 5000) -> None:
    """Migrate, install the presets, add an admin, agents, teams, end users and the tickets."""
    rng = random.Random(seed)
    database = Database(url, pool_size=1, max_overflow=0)
    upgrade_to_head(database.engine)
    with database.unit_of_work() as session:
        install_presets(session)
        session.execute(insert(Team), [{"public_id": uuid.uuid4(), "key": f"team{n}",
                                        "name": f"Team {n}", "code": 100 + n} for n in range(1, 9)])
        team_ids = list(session.scalars(select(Team.id).where(Team.code > 100)))

        def person(name: str, role: Role, team_id: int | None = None) -> dict[str, Any]:
            return {"public_id": uuid.uuid4(), "username": name, "email": f"{name}@example.com",
                    "full_name": name.title(), "password_hash": "!", "role": role.value,
                    "team_id": team_id, "is_active": True, "created_at": NOW, "updated_at": NOW}

        session.execute(insert(User), [person("admin", Role.ADMIN)]
                        + [person(f"agent{n}", Role.DEVOPS_ENGINEER, team_ids[n % 8])
                           for n in range(40)]
                        + [person(f"customer{n}", Role.END_USER) for n in range(200)])
        agents = list(session.scalars(select(User.id).where(User.role == Role.DEVOPS_ENGINEER)))
        customers = list(session.scalars(select(User.id).where(User.role == Role.END_USER)))
        desks = [find_queue_config(session, key) for key in ("devops", "enterprise")]

    for start in range(0, tickets, batch):
        rows = []
        for n in range(start, min(start + batch, tickets)):
            config = desks[0] if n % 4 else desks[1]
            created = NOW - timedelta(seconds=rng.uniform(0, 365 * 86400))
            age_hours = (NOW - created).total_seconds() / 3600
            priority = rng.choice(list(config.priorities.values()))
            statuses = list(config.statuses.values())
            resolved = rng.random() < 0.6 and age_hours > 1
            if resolved:
                status = next(s for s in statuses if s.category in ("solved", "closed")
                              and (rng.random() < 0.7 or s.category == "closed"))
                hours = min(rng.expovariate(1 / 20), age_hours)
            else:
                status = rng.choice([s for s in statuses if s.category in ("new", "open",
                                                                           "pending")])
                hours = None
            due = created + timedelta(hours=24) if rng.random() < 0.8 else None
            resolved_at = created + timedelta(hours=hours) if hours is not None else None
            rows.append({
                "public_id": uuid.uuid4(), "key": f"BENCH-{n + 1}", "number": n + 1,
                "queue_id": config.id,
                "ticket_type": rng.choice(list(config.ticket_types)) if config.ticket_types
                else None,
                "title": _sentence(rng, 6), "description": _sentence(rng, 40),
                "status": status.key, "status_category": status.category,
                "priority": priority.key, "priority_rank": priority.rank,
                "category": rng.choice(list(config.categories)) if config.categories else None,
                "tags": rng.sample(WORDS, 2), "requester_id": rng.choice(customers),
                "assignee_id": rng.choice(agents) if rng.random() < 0.85 else None,
                "team_id": rng.choice(team_ids) if rng.random() < 0.9 else None,
                "people": [], "extra": {}, "channel": "web",
                "response_due_at": created + timedelta(hours=4),
                "resolution_due_at": due,
                "resolution_breached_at": due if due and (resolved_at or NOW) > due else None,
                "first_response_at": created + timedelta(minutes=rng.uniform(5, 600))
                if rng.random() < 0.8 else None,
                "resolved_at": resolved_at,
                "closed_at": resolved_at if status.category == "closed" else None,
                "resolution_minutes": int(hours * 60) if hours is not None else None,
                "satisfaction_rating": rng.randint(1, 5) if resolved and rng.random() < 0.5
                else None,
                "manual_override": False, "support_votes": 0, "version": 1,
                "created_at": created, "updated_at": resolved_at or created,
            })
        with database.unit_of_work() as session:
            session.execute(insert(Ticket), rows)
    # Statistics and, on PostgreSQL, the visibility map that index-only scans read: what
    # autovacuum keeps on a table in service, done now rather than whenever it comes round.
    if database.is_sqlite:
        with database.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    else:
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE tickets"))
    database.dispose()
    queue_configs.clear()
