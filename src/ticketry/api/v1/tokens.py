from __future__ import annotations

import uuid

from fastapi import status

from ticketry.api.deps import ActorDep, SessionDep
from ticketry.api.routing import SegmentRouter
from ticketry.api.v1.responses import problems
from ticketry.domain.api_tokens import service
from ticketry.domain.api_tokens.models import ApiToken
from ticketry.domain.api_tokens.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    ApiTokenUpdate,
)

router = SegmentRouter(prefix="/tokens", tags=["api tokens"])


def token_read(token: ApiToken) -> ApiTokenRead:
    return ApiTokenRead(
        id=token.public_id, number=token.id, name=token.name, user=token.user.username,
        token_prefix=token.token_prefix, is_active=token.is_active, created_at=token.created_at,
        expires_at=token.expires_at, last_used_at=token.last_used_at,
    )


@router.get("", response_model=list[ApiTokenRead], responses=problems(401))
def list_tokens(actor: ActorDep, session: SessionDep) -> list[ApiTokenRead]:
    """Your API tokens (administrators: everyone's). The secrets are never shown again."""
    return [token_read(t) for t in service.list_api_tokens(session, actor=actor)]


@router.post("", response_model=ApiTokenCreated, status_code=status.HTTP_201_CREATED,
             responses=problems(401, 403, 422))
def create_token(body: ApiTokenCreate, actor: ActorDep, session: SessionDep) -> ApiTokenCreated:
    """Create an API token. The response is the only place its secret ever appears."""
    issued = service.create_api_token(session, actor=actor, data=body)
    return ApiTokenCreated(**token_read(issued.token).model_dump(), token=issued.secret)


@router.get("/{token_id}", response_model=ApiTokenRead, responses=problems(401, 404))
def read_token(token_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> ApiTokenRead:
    return token_read(service.find_api_token(session, actor=actor, ref=token_id))


@router.patch("/{token_id}", response_model=ApiTokenRead, responses=problems(401, 404, 422))
def update_token(token_id: uuid.UUID, body: ApiTokenUpdate, actor: ActorDep,
                 session: SessionDep) -> ApiTokenRead:
    """Rename, deactivate (`is_active: false`, effective at once) or reactivate a token."""
    return token_read(service.update_api_token(session, actor=actor, ref=token_id, data=body))


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(401, 404))
def deactivate_token(token_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Deactivate a token (kept for the audit trail; reactivate with PATCH)."""
    service.set_api_token_active(session, actor=actor, ref=token_id, active=False)
