"""API tokens: issue, list, activate/deactivate, and authenticate requests made with them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, or_, select, update
from sqlalchemy.orm import Session, joinedload

from ticketry.db import utcnow
from ticketry.domain.api_tokens.errors import ApiTokenNotFound, InvalidApiToken
from ticketry.domain.api_tokens.models import ApiToken
from ticketry.domain.api_tokens.schemas import ApiTokenCreate, ApiTokenUpdate
from ticketry.domain.errors import PermissionDenied, ValidationFailed
from ticketry.domain.users.errors import UserNotFound
from ticketry.domain.users.models import Role, User

# Recognisable by secret scanners: `tkr_` then 43 URL-safe characters (256 bits).
TOKEN_PREFIX = "tkr_"
LAST_USED_GRANULARITY = timedelta(minutes=1)


def looks_like_api_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedApiToken:
    token: ApiToken
    secret: str


def _issue(session: Session, *, owner: User, name: str, expires_days: int | None,
           created_by: User | None) -> IssuedApiToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        public_id=uuid.uuid4(), user_id=owner.id, name=name, token_hash=hash_token(secret),
        token_prefix=secret[:12], is_active=True, created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(token)
    session.flush()
    token.user = owner
    return IssuedApiToken(token, secret)


def create_api_token(session: Session, *, actor: User, data: ApiTokenCreate) -> IssuedApiToken:
    """Any user may create tokens for themselves; administrators also for others."""
    owner = actor
    if data.user_id is not None and data.user_id != actor.public_id:
        if actor.role_enum is not Role.ADMIN:
            raise PermissionDenied("only an administrator may create tokens for another user")
        found = session.scalars(select(User).where(User.public_id == data.user_id)).one_or_none()
        if found is None:
            raise UserNotFound(f"user {data.user_id} does not exist", field="user_id")
        owner = found
    if not owner.is_active:
        raise ValidationFailed("tokens cannot be created for an inactive user", field="user_id")
    return _issue(session, owner=owner, name=data.name, expires_days=data.expires_days,
                  created_by=actor)


def create_api_token_for(session: Session, *, username: str, name: str,
                         expires_days: int | None) -> IssuedApiToken:
    """The trusted path of the CLI (`ticketry api-tokens --create`)."""
    owner = session.scalars(select(User).where(User.username == username)).one_or_none()
    if owner is None:
        raise UserNotFound(f"user {username!r} does not exist", field="user")
    if expires_days is not None and expires_days < 1:
        raise ValidationFailed("--expires-days must be at least 1", field="expires_days")
    return _issue(session, owner=owner, name=name, expires_days=expires_days, created_by=None)


def _visible(actor: User | None) -> Select[tuple[ApiToken]]:
    stmt = select(ApiToken).options(joinedload(ApiToken.user))
    if actor is not None and actor.role_enum is not Role.ADMIN:
        stmt = stmt.where(ApiToken.user_id == actor.id)
    return stmt


def list_api_tokens(session: Session, *, actor: User | None) -> Sequence[ApiToken]:
    """An administrator (or the CLI, `actor=None`) sees every token; others their own."""
    return session.scalars(_visible(actor).order_by(ApiToken.id)).all()


def find_api_token(session: Session, *, actor: User | None, ref: str | uuid.UUID | int) -> ApiToken:
    """By id, public id, or the token itself."""
    stmt = _visible(actor)
    if isinstance(ref, uuid.UUID):
        stmt = stmt.where(ApiToken.public_id == ref)
    elif isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        stmt = stmt.where(ApiToken.id == int(ref))
    else:
        text = str(ref)
        try:
            stmt = stmt.where(ApiToken.public_id == uuid.UUID(text))
        except ValueError:
            stmt = stmt.where(ApiToken.token_hash == hash_token(text))
    token = session.scalars(stmt).one_or_none()
    if token is None:
        shown = "(by value)" if str(ref).startswith(TOKEN_PREFIX) else str(ref)
        raise ApiTokenNotFound(f"API token {shown} not found")
    return token


def update_api_token(session: Session, *, actor: User | None, ref: str | uuid.UUID | int,
                     data: ApiTokenUpdate) -> ApiToken:
    token = find_api_token(session, actor=actor, ref=ref)
    if data.is_active is not None:
        token.is_active = data.is_active
    if data.name is not None:
        token.name = data.name
    session.flush()
    return token


def set_api_token_active(session: Session, *, actor: User | None, ref: str | uuid.UUID | int,
                         active: bool) -> ApiToken:
    return update_api_token(session, actor=actor, ref=ref, data=ApiTokenUpdate(is_active=active))


_BY_HASH = (select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == bindparam("token_hash")))


@dataclass(frozen=True, slots=True)
class TokenAuthentication:
    user: User
    token_id: int
    # True when `last_used_at` is more than a minute old and should be refreshed.
    stale_last_used: bool


def authenticate_api_token(session: Session, *, secret: str,
                           now: datetime | None = None) -> TokenAuthentication:
    """One indexed lookup by the token's hash; the hash is then compared in constant time."""
    now = now or utcnow()
    digest = hash_token(secret)
    row = session.execute(_BY_HASH, {"token_hash": digest}).one_or_none()
    if row is None or not hmac.compare_digest(row[0].token_hash, digest):
        raise InvalidApiToken("API token is invalid")
    token, user = row
    if not token.is_active:
        raise InvalidApiToken("API token has been deactivated")
    if token.expires_at is not None and token.expires_at <= now:
        raise InvalidApiToken("API token has expired")
    if not user.is_active:
        raise InvalidApiToken("the API token's user is inactive")
    stale = token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY
    return TokenAuthentication(user, token.id, stale)


def record_api_token_use(session: Session, *, token_id: int, now: datetime | None = None) -> None:
    """Advance `last_used_at`, at most once a minute per token (the WHERE makes racing
    processes harmless)."""
    now = now or utcnow()
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id,
               or_(ApiToken.last_used_at.is_(None),
                   ApiToken.last_used_at < now - LAST_USED_GRANULARITY))
        .values(last_used_at=now)
    )
