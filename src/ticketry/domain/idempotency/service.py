"""Idempotency keys for creates: the same key and body give the first answer again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticketry.db import utcnow
from ticketry.domain.idempotency.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from ticketry.domain.idempotency.models import IdempotencyRecord
from ticketry.domain.users.models import User

RETENTION = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: Any


def request_fingerprint(scope: str, body: bytes) -> str:
    return hashlib.sha256(scope.encode() + b"\n" + body).hexdigest()


def find_response(session: Session, *, actor: User, key: str, scope: str,
                  fingerprint: str) -> StoredResponse | None:
    record = session.scalars(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == actor.id,
                                        IdempotencyRecord.key == key)
    ).one_or_none()
    if record is None or record.created_at < utcnow() - RETENTION:
        return None
    if record.scope != scope or record.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request", field="Idempotency-Key")
    return StoredResponse(record.status_code, record.response)


def save_response(session: Session, *, actor: User, key: str, scope: str, fingerprint: str,
                  status_code: int, body: Any) -> None:
    """Stored in the create's own transaction: either both land or neither does."""
    session.execute(delete(IdempotencyRecord).where(
        IdempotencyRecord.user_id == actor.id, IdempotencyRecord.key == key,
        IdempotencyRecord.created_at < utcnow() - RETENTION))
    session.add(IdempotencyRecord(user_id=actor.id, key=key, scope=scope,
                                  request_hash=fingerprint, status_code=status_code,
                                  response=body))
    try:
        session.flush()
    except IntegrityError as exc:
        # A concurrent request with the same key won the race; this one's work is rolled back.
        raise IdempotencyKeyInFlight(
            "another request with this Idempotency-Key completed first; retry to get its answer",
            field="Idempotency-Key") from exc
