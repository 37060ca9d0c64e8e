from __future__ import annotations

from typing import Annotated

from fastapi import Form, status
from pydantic import BaseModel

from ticketry.api.deps import AuthDep, SessionDep, SettingsDep
from ticketry.api.routing import SegmentRouter
from ticketry.api.v1.responses import problems
from ticketry.api.v1.users import user_read
from ticketry.domain.auth import service
from ticketry.domain.auth.schemas import LoginRequest, LogoutRequest, RefreshRequest, TokenPair
from ticketry.domain.users.schemas import UserRead

router = SegmentRouter(prefix="/auth", tags=["auth"])


class LoginResponse(TokenPair):
    user: UserRead


class OAuth2Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    refresh_token: str
    expires_in: int


@router.post("/login", response_model=LoginResponse, responses=problems(401, 422))
def login(body: LoginRequest, session: SessionDep, settings: SettingsDep) -> LoginResponse:
    """Exchange a username and password for an access token and a refresh token."""
    issued = service.login(session, settings=settings, username=body.username,
                           password=body.password)
    return LoginResponse(access_token=issued.access_token, refresh_token=issued.refresh_token,
                         expires_in=issued.expires_in, user=user_read(issued.user))


@router.post("/token", response_model=OAuth2Token, responses=problems(401, 422))
def token(
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=256)],
    session: SessionDep,
    settings: SettingsDep,
) -> OAuth2Token:
    """OAuth2 password flow (form fields), for the Swagger UI's Authorize button."""
    issued = service.login(session, settings=settings, username=username, password=password)
    return OAuth2Token(access_token=issued.access_token, refresh_token=issued.refresh_token,
                       expires_in=issued.expires_in)


@router.post("/refresh", response_model=TokenPair, responses=problems(401, 422))
def refresh(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """Rotate a refresh token. A refresh token used twice ends its whole session."""
    issued = service.refresh_tokens(session, settings=settings, refresh_token=body.refresh_token)
    return TokenPair(access_token=issued.access_token, refresh_token=issued.refresh_token,
                     expires_in=issued.expires_in)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problems(401))
def logout(auth: AuthDep, session: SessionDep, settings: SettingsDep,
           body: LogoutRequest | None = None) -> None:
    """End the session: its access and refresh tokens stop working at once."""
    service.logout(session, actor_session_id=auth.session_id, settings=settings,
                   refresh_token=body.refresh_token if body else None)
