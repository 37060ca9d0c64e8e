"""Login, token issue and rotation, logout, and turning a presented token into a user."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ticketry.config import Settings
from ticketry.db import utcnow
from ticketry.domain.api_tokens.service import authenticate_api_token, looks_like_api_token
from ticketry.domain.auth.errors import InvalidCredentials, InvalidToken, TokenReused
from ticketry.domain.auth.models import AuthSession, RefreshToken
from ticketry.domain.auth.passwords import hash_password, needs_rehash, verify_password
from ticketry.domain.users.models import User
from ticketry.domain.users.service import get_user_by_username

ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


def _encode(settings: Settings, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def _issue(session: Session, settings: Settings, user: User, auth_session: AuthSession,
           now: datetime) -> IssuedTokens:
    access_ttl = timedelta(minutes=settings.access_token_minutes)
    access = _encode(settings, {
        "sub": str(user.public_id),
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "type": "access",
        "exp": int((now + access_ttl).timestamp()),
        "iat": int(now.timestamp()),
        "jti": secrets.token_hex(16),
        "sid": str(auth_session.id),
    })
    refresh_jti = secrets.token_hex(16)
    refresh_expires = min(auth_session.expires_at, now + timedelta(days=settings.refresh_token_days))
    session.add(RefreshToken(jti=refresh_jti, session_id=auth_session.id, created_at=now,
                             expires_at=refresh_expires))
    refresh = _encode(settings, {
        "sub": str(user.public_id),
        "type": "refresh",
        "exp": int(refresh_expires.timestamp()),
        "iat": int(now.timestamp()),
        "jti": refresh_jti,
        "sid": str(auth_session.id),
    })
    session.flush()
    return IssuedTokens(access, refresh, int(access_ttl.total_seconds()), user)


def login(session: Session, *, settings: Settings, username: str, password: str) -> IssuedTokens:
    """Check the credentials and open a session. Unknown users and bad passwords look alike."""
    user = get_user_by_username(session, username)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise InvalidCredentials("incorrect username or password")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    now = utcnow()
    user.last_login_at = now
    auth_session = AuthSession(
        id=uuid.uuid4(), user_id=user.id, created_at=now,
        expires_at=now + timedelta(days=settings.refresh_token_days),
    )
    session.add(auth_session)
    session.flush()
    return _issue(session, settings, user, auth_session, now)


@lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: str) -> dict[str, Any] | str:
    """Signature check and parse, memoised per token (a pure function of token and key);
    expiry is checked on every use by the caller. Returns an error message on failure."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub", "jti", "type"], "verify_exp": False},
        )
    except jwt.PyJWTError:
        return "token is invalid"
    if not isinstance(claims.get("exp"), int | float):
        return "token is invalid"
    return claims


def _decode(settings: Settings, token: str, expected_type: str) -> dict[str, Any]:
    claims = _verified_claims(token, settings.secret_key)
    if isinstance(claims, str):
        raise InvalidToken(claims)
    if claims["exp"] <= time.time():
        raise InvalidToken("token has expired")
    if claims.get("type") != expected_type:
        raise InvalidToken(f"an {expected_type} token is required")
    return claims


def token_subject(settings: Settings, token: str, *, token_type: str) -> str | None:
    """Whose token this is, if it is genuine (our signature, unexpired, of this type), or None.
    No database query, so it does not say whether the session is still live: enough to tell
    whose budget a request spends (rate limits), not to let it in."""
    try:
        return str(_decode(settings, token, token_type)["sub"])
    except InvalidToken:
        return None


def refresh_tokens(session: Session, *, settings: Settings, refresh_token: str) -> IssuedTokens:
    """Rotate: the presented token is spent; presenting a spent one ends the whole session."""
    claims = _decode(settings, refresh_token, "refresh")
    now = utcnow()
    row = session.execute(
        select(RefreshToken, AuthSession, User)
        .join(AuthSession, AuthSession.id == RefreshToken.session_id)
        .join(User, User.id == AuthSession.user_id)
        .where(RefreshToken.jti == claims["jti"])
        .with_for_update(of=RefreshToken)
    ).one_or_none()
    if row is None:
        raise InvalidToken("refresh token is not recognised")
    token, auth_session, user = row
    if auth_session.revoked_at is not None or not user.is_active:
        raise InvalidToken("session has ended")
    if token.used_at is not None:
        auth_session.revoked_at = now
        auth_session.revoked_reason = "refresh_token_reuse"
        session.flush()
        raise TokenReused("refresh token was already used; the session has been ended")
    if token.expires_at <= now:
        raise InvalidToken("refresh token has expired")
    token.used_at = now
    return _issue(session, settings, user, auth_session, now)


def logout(session: Session, *, actor_session_id: uuid.UUID | None, settings: Settings,
           refresh_token: str | None = None) -> None:
    """End the caller's session (and the one a given refresh token belongs to)."""
    ids: set[uuid.UUID] = set()
    if actor_session_id is not None:
        ids.add(actor_session_id)
    if refresh_token:
        claims = _decode(settings, refresh_token, "refresh")
        ids.add(uuid.UUID(claims["sid"]))
    if ids:
        session.execute(
            update(AuthSession)
            .where(AuthSession.id.in_(ids), AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason="logout")
        )
        session.flush()


# Built once: this runs on every authenticated request.
_LIVE_SESSION_USER = (
    select(User)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        AuthSession.id == bindparam("sid"),
        AuthSession.revoked_at.is_(None),
        User.public_id == bindparam("uid"),
        User.is_active.is_(True),
    )
)


@dataclass(frozen=True, slots=True)
class Authenticated:
    user: User
    session_id: uuid.UUID | None
    # Set when the request came with an API token rather than a login session.
    api_token_id: int | None = None
    api_token_use_stale: bool = False


def authenticate_request(session: Session, *, settings: Settings, bearer: str | None,
                         api_token: str | None = None) -> Authenticated:
    """Whatever credential the request carries: an access JWT or an API token (as a bearer
    token or in `X-API-Token`)."""
    secret = api_token or (bearer if bearer and looks_like_api_token(bearer) else None)
    if secret:
        found = authenticate_api_token(session, secret=secret)
        return Authenticated(found.user, None, found.token_id, found.stale_last_used)
    if not bearer:
        raise InvalidToken("authentication required: send Authorization: Bearer <token>")
    return authenticate_access_token(session, settings=settings, token=bearer)


def authenticate_access_token(session: Session, *, settings: Settings, token: str) -> Authenticated:
    """One query: the user, provided the session is live and the account active."""
    claims = _decode(settings, token, "access")
    try:
        session_id = uuid.UUID(claims["sid"])
        user_id = uuid.UUID(claims["sub"])
    except (KeyError, ValueError) as exc:
        raise InvalidToken("token is invalid") from exc
    user = session.scalars(_LIVE_SESSION_USER, {"sid": session_id, "uid": user_id}).one_or_none()
    if user is None:
        raise InvalidToken("session has ended or the account is inactive")
    return Authenticated(user, session_id)
