from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ticketry.domain.text import CleanStr


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: CleanStr = Field(min_length=1, max_length=150)
    password: CleanStr = Field(min_length=1, max_length=256)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: CleanStr = Field(min_length=1, max_length=4096)


class LogoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: CleanStr | None = Field(default=None, max_length=4096)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
