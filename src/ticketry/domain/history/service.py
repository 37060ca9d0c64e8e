"""History rows, written by the services in the same transaction as the change they record."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ticketry.domain.history.models import ChangeType, TicketHistory
from ticketry.domain.users.models import User


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def record_change(
    session: Session,
    *,
    ticket_id: int,
    actor: User | None,
    change_type: ChangeType | str,
    at: datetime,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    details: dict[str, Any] | None = None,
) -> TicketHistory:
    entry = TicketHistory(
        ticket_id=ticket_id,
        actor_id=actor.id if actor else None,
        change_type=str(change_type),
        field=field,
        old_value=_text(old),
        new_value=_text(new),
        details=details or {},
        created_at=at,
    )
    session.add(entry)
    return entry


def list_ticket_history(
    session: Session, *, ticket_id: int, include_internal: bool
) -> Sequence[TicketHistory]:
    rows = session.scalars(
        select(TicketHistory)
        .where(TicketHistory.ticket_id == ticket_id)
        .options(joinedload(TicketHistory.actor))
        .order_by(TicketHistory.created_at, TicketHistory.id)
    ).all()
    if include_internal:
        return rows
    return [row for row in rows if not (row.details or {}).get("internal")]
