from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, status
from pydantic import BaseModel

from ticketry.api.deps import ActorDep, SessionDep
from ticketry.api.routing import SegmentRouter
from ticketry.api.v1.responses import problems
from ticketry.domain.users import service
from ticketry.domain.users.models import Role, Team, User
from ticketry.domain.users.schemas import TeamCreate, TeamRef, UserCreate, UserRead, UserUpdate

router = SegmentRouter(tags=["users"])


def user_read(user: User) -> UserRead:
    team: Team | None = user.__dict__.get("team")
    return UserRead(
        id=user.public_id, username=user.username, email=user.email, full_name=user.full_name,
        given_name=user.given_name, family_name=user.family_name,
        default_location=user.default_location,
        role=Role(user.role), is_active=user.is_active,
        team=TeamRef(id=team.public_id, key=team.key, name=team.name,
                     code=team.code) if team else None,
        created_at=user.created_at, updated_at=user.updated_at, last_login_at=user.last_login_at,
    )


class UserPageRead(BaseModel):
    items: list[UserRead]
    total: int
    page: int
    size: int


@router.get("/users/me", response_model=UserRead, responses=problems(401))
def read_me(actor: ActorDep, session: SessionDep) -> UserRead:
    return user_read(service.get_user(session, actor=actor, user_id=actor.public_id))


@router.get("/users", response_model=UserPageRead, responses=problems(401, 403))
def list_users(
    actor: ActorDep, session: SessionDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=1_000_000)] = 20,
    role: Role | None = None,
    is_active: bool | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
) -> UserPageRead:
    size = min(size, 100)
    result = service.list_users(session, actor=actor, page=page, size=size, role=role,
                                is_active=is_active, search=search)
    return UserPageRead(items=[user_read(u) for u in result.items], total=result.total,
                        page=page, size=size)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED,
             responses=problems(401, 403, 409, 422))
def create_user(body: UserCreate, actor: ActorDep, session: SessionDep) -> UserRead:
    user = service.create_user(session, actor=actor, data=body)
    return user_read(service.get_user(session, actor=actor, user_id=user.public_id))


@router.get("/users/{user_id}", response_model=UserRead, responses=problems(401, 403, 404))
def read_user(user_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> UserRead:
    return user_read(service.get_user(session, actor=actor, user_id=user_id))


@router.patch("/users/{user_id}", response_model=UserRead,
              responses=problems(401, 403, 404, 409, 422))
def update_user(user_id: uuid.UUID, body: UserUpdate, actor: ActorDep,
                session: SessionDep) -> UserRead:
    user = service.update_user(session, actor=actor, user_id=user_id, data=body)
    return user_read(service.get_user(session, actor=actor, user_id=user.public_id))


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(401, 403, 404))
def delete_user(user_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Delete a user; one that tickets or history refer to is deactivated instead."""
    service.delete_user(session, actor=actor, user_id=user_id)


@router.get("/teams", response_model=list[TeamRef], responses=problems(401))
def list_teams(actor: ActorDep, session: SessionDep) -> list[TeamRef]:
    return [TeamRef(id=t.public_id, key=t.key, name=t.name, code=t.code)
            for t in service.list_teams(session, actor=actor)]


@router.post("/teams", response_model=TeamRef, status_code=status.HTTP_201_CREATED,
             responses=problems(401, 403, 409, 422))
def create_team(body: TeamCreate, actor: ActorDep, session: SessionDep) -> TeamRef:
    team = service.create_team(session, actor=actor, data=body)
    return TeamRef(id=team.public_id, key=team.key, name=team.name, code=team.code)
