"""`Idempotency-Key` on creates: replay the first answer, refuse the key for another body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ticketry.domain.errors import ValidationFailed
from ticketry.domain.idempotency.service import (
    find_response,
    request_fingerprint,
    save_response,
)
from ticketry.domain.users.models import User

HEADER = "Idempotency-Key"


def idempotent_create(
    request: Request, session: Session, actor: User, payload: Any,
    create: Callable[[], tuple[int, dict[str, Any], dict[str, str]]],
) -> Response:
    """Run `create` once per (user, key); its answer is stored in the same transaction."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body, headers = create()
        return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                        headers=headers)
    if not 1 <= len(key) <= 255:
        raise ValidationFailed("Idempotency-Key must be 1 to 255 characters", field=HEADER)
    scope = f"{request.method} {request.url.path}"
    fingerprint = request_fingerprint(scope, orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
    stored = find_response(session, actor=actor, key=key, scope=scope, fingerprint=fingerprint)
    if stored is not None:
        return Response(orjson.dumps(stored.body), status_code=stored.status_code,
                        media_type="application/json", headers={"Idempotent-Replayed": "true"})
    status, body, headers = create()
    save_response(session, actor=actor, key=key, scope=scope, fingerprint=fingerprint,
                  status_code=status, body=body)
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers=headers)
