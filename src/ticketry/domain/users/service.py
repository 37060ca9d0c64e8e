"""Users and teams: creation, updates, deactivation, and the first admin."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ticketry.db import utcnow
from ticketry.domain.auth.passwords import hash_password
from ticketry.domain.errors import PermissionDenied
from ticketry.domain.users.errors import TeamNotFound, UserAlreadyExists, UserNotFound
from ticketry.domain.users.models import Role, Team, User
from ticketry.domain.users.schemas import TeamCreate, UserCreate, UserUpdate


def require_admin(actor: User, action: str) -> None:
    if actor.role_enum is not Role.ADMIN:
        raise PermissionDenied(f"only an administrator may {action}")


def _team_id(session: Session, team_public_id: uuid.UUID | None) -> int | None:
    if team_public_id is None:
        return None
    team_id = session.scalar(select(Team.id).where(Team.public_id == team_public_id))
    if team_id is None:
        raise TeamNotFound(f"team {team_public_id} does not exist", field="team_id")
    return team_id


def _ensure_unique(session: Session, *, username: str | None, email: str | None,
                   exclude_id: int | None = None) -> None:
    conditions = []
    if username is not None:
        conditions.append(func.lower(User.username) == username.lower())
    if email is not None:
        conditions.append(func.lower(User.email) == email.lower())
    if not conditions:
        return
    stmt = select(User.username, User.email).where(or_(*conditions))
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    clash = session.execute(stmt.limit(1)).first()
    if clash is not None:
        field = "username" if username and clash.username.lower() == username.lower() else "email"
        raise UserAlreadyExists(f"a user with this {field} already exists", field=field)


def _joined_name(given: str | None, family: str | None) -> str | None:
    return " ".join(part for part in (given, family) if part) or None


def create_user(session: Session, *, actor: User | None, data: UserCreate) -> User:
    """Create a user; `actor=None` is the trusted path of the CLI and first start."""
    if actor is not None:
        require_admin(actor, "create users")
    _ensure_unique(session, username=data.username, email=str(data.email))
    user = User(
        username=data.username,
        email=str(data.email).lower(),
        full_name=data.full_name or _joined_name(data.given_name, data.family_name),
        given_name=data.given_name,
        family_name=data.family_name,
        default_location=data.default_location,
        password_hash=hash_password(data.password),
        role=data.role.value,
        is_active=data.is_active,
        team_id=_team_id(session, data.team_id),
    )
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, *, actor: User, user_id: uuid.UUID | int,
                data: UserUpdate) -> User:
    require_admin(actor, "manage users")
    user = get_user(session, actor=actor, user_id=user_id)
    changes = data.model_dump(exclude_unset=True)
    if "email" in changes and changes["email"] is not None:
        _ensure_unique(session, username=None, email=str(changes["email"]), exclude_id=user.id)
        user.email = str(changes["email"]).lower()
    if changes.get("password") is not None:
        user.password_hash = hash_password(changes["password"])
    for name_field in ("given_name", "family_name", "default_location"):
        if name_field in changes:
            setattr(user, name_field, changes[name_field])
    if "full_name" in changes:
        user.full_name = changes["full_name"]
    elif {"given_name", "family_name"} & changes.keys():
        user.full_name = _joined_name(user.given_name, user.family_name)
    if changes.get("role") is not None:
        if user.id == actor.id and changes["role"] is not Role.ADMIN:
            raise PermissionDenied("administrators cannot demote themselves")
        user.role = changes["role"].value
    if "team_id" in changes:
        user.team_id = _team_id(session, changes["team_id"])
    if changes.get("is_active") is not None:
        if user.id == actor.id and not changes["is_active"]:
            raise PermissionDenied("administrators cannot deactivate themselves")
        user.is_active = changes["is_active"]
    user.updated_at = utcnow()
    session.flush()
    return user


def delete_user(session: Session, *, actor: User, user_id: uuid.UUID) -> bool:
    """Delete a user nobody refers to; otherwise deactivate. Returns True if deleted."""
    require_admin(actor, "manage users")
    user = get_user(session, actor=actor, user_id=user_id)
    if user.id == actor.id:
        raise PermissionDenied("administrators cannot delete themselves")
    if _is_referenced(session, user.id):
        user.is_active = False
        user.updated_at = utcnow()
        session.flush()
        return False
    session.delete(user)
    session.flush()
    return True


def _is_referenced(session: Session, user_id: int) -> bool:
    from ticketry.domain.attachments.models import Attachment
    from ticketry.domain.comments.models import Comment
    from ticketry.domain.history.models import TicketHistory
    from ticketry.domain.tickets.models import Ticket

    checks = [
        exists().where(or_(Ticket.requester_id == user_id, Ticket.assignee_id == user_id)),
        exists().where(Comment.author_id == user_id),
        exists().where(Attachment.uploader_id == user_id),
        exists().where(TicketHistory.actor_id == user_id),
    ]
    return any(session.scalar(select(check)) for check in checks)


def get_user(session: Session, *, actor: User, user_id: uuid.UUID | int) -> User:
    """By public id, or by the number documents that count users show (healthcare)."""
    own = actor.public_id == user_id if isinstance(user_id, uuid.UUID) else actor.id == user_id
    if not own and not actor.is_agent:
        raise PermissionDenied("you may only see your own account")
    where = User.public_id == user_id if isinstance(user_id, uuid.UUID) else User.id == user_id
    user = session.scalars(select(User).where(where).options(joinedload(User.team))).one_or_none()
    if user is None:
        raise UserNotFound(f"user {user_id} does not exist")
    return user


def get_users_by_ids(session: Session, ids: Collection[int]) -> dict[int, User]:
    """Users by internal id, in one query (reports name the people their rows count)."""
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(ids))))}


def get_user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(
        select(User).where(func.lower(User.username) == username.lower())
        .options(joinedload(User.team))
    ).one_or_none()


@dataclass(frozen=True, slots=True)
class UserPage:
    items: Sequence[User]
    total: int


def list_users(
    session: Session, *, actor: User, page: int, size: int, role: Role | None = None,
    is_active: bool | None = None, search: str | None = None,
) -> UserPage:
    if not actor.is_agent:
        raise PermissionDenied("only agents may list users")
    stmt = select(User)
    if role is not None:
        stmt = stmt.where(User.role == role.value)
    if is_active is not None:
        stmt = stmt.where(User.is_active.is_(is_active))
    if search:
        pattern = f"%{search.lower()}%"
        stmt = stmt.where(or_(func.lower(User.username).like(pattern),
                              func.lower(User.email).like(pattern),
                              func.lower(User.full_name).like(pattern)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = session.scalars(
        stmt.options(joinedload(User.team)).order_by(User.username)
        .offset((page - 1) * size).limit(size)
    ).all()
    return UserPage(items, total)


def create_team(session: Session, *, actor: User, data: TeamCreate) -> Team:
    require_admin(actor, "manage teams")
    if session.scalar(select(Team.id).where(Team.key == data.key)) is not None:
        raise UserAlreadyExists("a team with this key already exists", field="key")
    team = Team(key=data.key, name=data.name, description=data.description)
    session.add(team)
    session.flush()
    return team


def get_team_by_code(session: Session, code: int, *, field: str = "department_id") -> Team:
    """A team by the number documents that count departments use (enterprise
    `department_id`); a missing one is bad input naming `field`."""
    team = session.scalars(select(Team).where(Team.code == code)).one_or_none()
    if team is None:
        raise TeamNotFound(f"department {code} does not exist", field=field)
    return team


def list_teams(session: Session, *, actor: User) -> Sequence[Team]:
    return session.scalars(select(Team).order_by(Team.name)).all()


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    username: str
    password: str | None  # set only when generated, to be printed once


def ensure_admin(
    session: Session, *, username: str, email: str, password: str | None
) -> BootstrapResult | None:
    """On first start (no users at all) create the administrator."""
    if session.scalar(select(User.id).limit(1)) is not None:
        return None
    generated = password is None
    secret = password or secrets.token_urlsafe(12)
    create_user(
        session,
        actor=None,
        data=UserCreate(username=username, email=email, password=secret, role=Role.ADMIN),
    )
    return BootstrapResult(username, secret if generated else None)


SERVICE_PASSWORD_HASH = "!"  # matches no password: service accounts cannot log in


def ensure_service_user(session: Session, *, username: str, role: Role, full_name: str) -> User:
    """A named account that acts for requests without credentials where a document allows
    them (the support desk's anonymous mode). It can never log in."""
    user = get_user_by_username(session, username)
    if user is None:
        user = User(username=username, email=f"{username}@service.invalid", full_name=full_name,
                    password_hash=SERVICE_PASSWORD_HASH, role=role.value, is_active=True)
        session.add(user)
        session.flush()
    return user


SUPPORT_ANONYMOUS_USERNAME = "support-anonymous"


def ensure_support_anonymous_user(session: Session) -> User:
    """The account the support desk's anonymous requests act as (`support_allow_anonymous`):
    made at first start, or by the first such request on a bare database."""
    return ensure_service_user(session, username=SUPPORT_ANONYMOUS_USERNAME, role=Role.ADMIN,
                               full_name="Support desk (anonymous access)")
