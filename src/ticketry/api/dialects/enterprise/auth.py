"""Login, token refresh and the caller's own account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ticketry.api.deps import ActorDep, SessionDep, SettingsDep, oauth2_scheme
from ticketry.api.dialects.enterprise import mapping
from ticketry.api.dialects.enterprise.envelopes import ok
from ticketry.api.dialects.enterprise.lookups import queue_config
from ticketry.api.dialects.enterprise.schemas import LoginIn, RefreshIn
from ticketry.domain.auth import service as auth
from ticketry.domain.auth.errors import InvalidToken
from ticketry.domain.queues.config import QueueConfig
from ticketry.domain.users import service as users

router = APIRouter(tags=["authentication"])


def _tokens(config: QueueConfig, issued: auth.IssuedTokens) -> dict[str, Any]:
    return {"access_token": issued.access_token, "refresh_token": issued.refresh_token,
            "token_type": "bearer", "expires_in": issued.expires_in,
            "user": mapping.user_document(config, issued.user)}


@router.post("/auth/login")
def login(body: LoginIn, request: Request, session: SessionDep,
          settings: SettingsDep) -> Response:
    """Username and password for an access token (`expires_in` seconds) and a refresh token."""
    issued = auth.login(session, settings=settings, username=body.username,
                        password=body.password)
    return ok(request, _tokens(queue_config(request, session), issued), "Login successful")


@router.post("/auth/refresh")
def refresh(request: Request, session: SessionDep, settings: SettingsDep,
            bearer: Annotated[str | None, Depends(oauth2_scheme)],
            body: RefreshIn | None = None) -> Response:
    """The refresh token as the bearer credential (or as `refresh_token` in a JSON body): a new
    pair; the presented refresh token is spent."""
    token = bearer or (body.refresh_token if body else None)
    if not token:
        raise InvalidToken("send the refresh token: Authorization: Bearer <refresh_token>")
    issued = auth.refresh_tokens(session, settings=settings, refresh_token=token)
    return ok(request, _tokens(queue_config(request, session), issued),
              "Token refreshed successfully")


@router.get("/users/me")
def me(request: Request, actor: ActorDep, session: SessionDep) -> Response:
    """The caller, as the document's User model."""
    user = users.get_user(session, actor=actor, user_id=actor.id)
    return ok(request, mapping.user_document(queue_config(request, session), user,
                                             team=user.team, full=True),
              "User retrieved successfully")
