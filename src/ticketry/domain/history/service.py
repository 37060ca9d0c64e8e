"""History rows, written by the services in the same transaction as the change they record."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session, joinedload

from ticketry.domain.history.messages import describe_change
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
) -> int:
    """Write a history row now, as a plain INSERT, and return its id: a mutation writes one or
    more, and through the ORM's unit of work each cost about as much as the rest of a ticket's
    creation."""
    inserted = session.connection().execute(_INSERT_HISTORY, {
        "ticket_id": ticket_id, "actor_id": actor.id if actor else None,
        "change_type": str(change_type), "field": field, "old_value": _text(old),
        "new_value": _text(new), "metadata": details or {}, "created_at": at})
    key = inserted.inserted_primary_key
    assert key is not None  # a single-row INSERT always reports its key
    return int(key[0])


_INSERT_HISTORY = insert(cast(Table, TicketHistory.__table__))


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


@dataclass(frozen=True, slots=True)
class ChangeGroup:
    """The history rows one action wrote (same actor, same instant), as sentences."""

    id: int
    actor: User | None
    at: datetime
    sentences: list[str]


def describe_entry(row: TicketHistory, *, language: str,
                   value_label: Callable[[str, str], str]) -> str:
    return describe_change(
        change_type=row.change_type, field=row.field, old=row.old_value, new=row.new_value,
        reason=(row.details or {}).get("reason"), language=language, value_label=value_label)


def group_changes(rows: Sequence[TicketHistory], *, language: str,
                  value_label: Callable[[str, str], str]) -> list[ChangeGroup]:
    groups: list[ChangeGroup] = []
    for row in rows:
        sentence = describe_entry(row, language=language, value_label=value_label)
        last = groups[-1] if groups else None
        if last is not None and last.at == row.created_at and (
                (last.actor.id if last.actor else None) == row.actor_id):
            last.sentences.append(sentence)
        else:
            groups.append(ChangeGroup(row.id, row.actor, row.created_at, [sentence]))
    return groups
