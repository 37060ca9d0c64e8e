from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from ticketry.domain.text import CleanStr
from ticketry.domain.users.models import Role


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: CleanStr = Field(min_length=3, max_length=150, pattern=r"^[A-Za-z0-9_.@+-]+$")
    email: EmailStr
    password: CleanStr = Field(min_length=8, max_length=256)
    full_name: CleanStr | None = Field(default=None, max_length=200)
    given_name: CleanStr | None = Field(default=None, max_length=100)
    family_name: CleanStr | None = Field(default=None, max_length=200)
    default_location: CleanStr | None = Field(default=None, max_length=200)
    role: Role = Role.END_USER
    team_id: uuid.UUID | None = None
    is_active: bool = True


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    password: CleanStr | None = Field(default=None, min_length=8, max_length=256)
    full_name: CleanStr | None = Field(default=None, max_length=200)
    given_name: CleanStr | None = Field(default=None, max_length=100)
    family_name: CleanStr | None = Field(default=None, max_length=200)
    default_location: CleanStr | None = Field(default=None, max_length=200)
    role: Role | None = None
    team_id: uuid.UUID | None = None
    is_active: bool | None = None


class TeamRef(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    # The number documents that count departments use (enterprise `department_id`).
    code: int | None = None


class UserSummary(BaseModel):
    id: uuid.UUID
    username: str
    full_name: str | None
    email: str


class UserRead(BaseModel):
    id: uuid.UUID
    username: str
    email: str
    full_name: str | None
    given_name: str | None
    family_name: str | None
    default_location: str | None
    role: Role
    is_active: bool
    team: TeamRef | None
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: CleanStr = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: CleanStr = Field(min_length=1, max_length=200)
    description: CleanStr | None = Field(default=None, max_length=2000)
