from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ticketry.domain.text import CleanStr


class ApiTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: CleanStr = Field(min_length=1, max_length=200)
    expires_days: int | None = Field(default=None, ge=1, le=3650)
    # Administrators may create tokens for another user.
    user_id: uuid.UUID | None = None


class ApiTokenUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_active: bool | None = None
    name: CleanStr | None = Field(default=None, min_length=1, max_length=200)


class ApiTokenRead(BaseModel):
    id: uuid.UUID
    number: int
    name: str
    user: str
    token_prefix: str
    is_active: bool
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenRead):
    """The only time the secret is shown."""

    token: str
