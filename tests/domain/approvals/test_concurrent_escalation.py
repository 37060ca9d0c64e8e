"""Two workers escalating at the same time share the overdue approvals and escalate each once.

Real concurrent transactions need committed data, so this test has a database of its own (a
SQLite file, or a new PostgreSQL database on the test server)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.databases import fresh_database_url
from tests.factories import make_ticket, make_user
from ticketry.db import Database, utcnow
from ticketry.domain.approvals.models import Approval
from ticketry.domain.approvals.schemas import ApprovalRequestCreate
from ticketry.domain.approvals.service import escalate_overdue_approvals, request_approval
from ticketry.domain.queues.config import queue_configs
from ticketry.domain.queues.service import install_presets
from ticketry.domain.users.models import Role
from ticketry.migrations import upgrade_to_head


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[str]:
    with fresh_database_url(os.environ.get("TICKETRY_DATABASE_URL", ""),
                            sqlite_file=tmp_path / "escalation.db",
                            prefix="ticketry_escalation") as url:
        yield url


def test_two_workers_escalate_each_overdue_approval_once(own_database: str) -> None:
    first_worker = Database(own_database, pool_size=2, max_overflow=0)
    second_worker = Database(own_database, pool_size=2, max_overflow=0)
    queue_configs.clear()
    try:
        upgrade_to_head(first_worker.engine)
        with first_worker.unit_of_work() as session:
            install_presets(session)
            make_user(session, Role.ADMIN)
            engineer = make_user(session, Role.DEVOPS_ENGINEER)
            approvers = [make_user(session, Role.MANAGER) for _ in range(2)]
            for approver in approvers:
                ticket = make_ticket(session, engineer, queue="enterprise")
                request_approval(session, actor=engineer, ticket_id=ticket.public_id,
                                 data=ApprovalRequestCreate(approvers=[approver.public_id],
                                                            reason="Budget"))
            session.execute(update(Approval).values(escalate_at=utcnow() - timedelta(hours=1)))

        # The first worker claims one approval and holds its transaction open while the second
        # runs: the second must not escalate what the first holds.
        holding = first_worker.session(write=True)
        held = escalate_overdue_approvals(holding, limit=1)
        counts: dict[str, int] = {}

        def second() -> None:
            with second_worker.unit_of_work() as session:
                counts["second"] = escalate_overdue_approvals(session, limit=10)

        thread = threading.Thread(target=second)
        thread.start()
        if first_worker.is_sqlite:
            # SQLite has one writer at a time: the second worker waits for the first's commit.
            holding.commit()
            thread.join()
        else:
            # Rows the first holds are skipped, not waited for (a wait would end at the commit).
            thread.join(timeout=30)
            holding.commit()
            thread.join()
        holding.close()

        assert (held, counts["second"]) == (1, 1)
        with first_worker.unit_of_work() as session:
            statuses = sorted(session.scalars(select(Approval.status)))
        assert statuses == ["escalated", "escalated", "pending", "pending"]
    finally:
        queue_configs.clear()
        first_worker.dispose()
        second_worker.dispose()
