"""The document's request and response shapes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from ticketry.domain.text import CleanStr

TicketType = Literal["incidence", "suggestion"]
Pathway = Literal["web", "mobile", "email", "phone", "in_person"]


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: TicketType
    title: CleanStr = Field(min_length=1, max_length=500)
    description: CleanStr = Field(min_length=1, max_length=100_000)
    status_id: int
    crit_id: int
    tool_id: int
    people: list[CleanStr] = Field(max_length=100)
    pathway: Pathway
    ticket_num: CleanStr | None = Field(default=None, max_length=64,
                                       pattern=r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
    center_id: int | None = None
    notifier: CleanStr | None = Field(default=None, max_length=200)
    url: CleanStr | None = Field(default=None, max_length=2000)


class TicketUpdateIn(BaseModel):
    """Every field optional: only those given change (and the required ones cannot be nulled)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _no_null_for_required(self) -> TicketUpdateIn:
        nulled = sorted(name for name in _REQUIRED_ON_CREATE
                        if name in self.model_fields_set and getattr(self, name) is None)
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null")
        return self

    type: TicketType | None = None
    title: CleanStr | None = Field(default=None, min_length=1, max_length=500)
    description: CleanStr | None = Field(default=None, min_length=1, max_length=100_000)
    status_id: int | None = None
    crit_id: int | None = None
    tool_id: int | None = None
    people: list[CleanStr] | None = Field(default=None, max_length=100)
    pathway: Pathway | None = None
    center_id: int | None = None
    notifier: CleanStr | None = Field(default=None, max_length=200)
    url: CleanStr | None = Field(default=None, max_length=2000)


_REQUIRED_ON_CREATE = ("type", "title", "description", "status_id", "crit_id", "tool_id",
                       "people", "pathway")


class RefItem(BaseModel):
    id: int | None
    value: str
    desc: str


class UserOut(BaseModel):
    id: int
    username: str
    email: str
    permission_level: int
    is_active: bool


class UserDetailOut(UserOut):
    name: str | None
    surnames: str | None
    default_center_id: int | None


class TicketOut(BaseModel):
    id: str
    type: str | None
    title: str
    description: str
    status_id: int | None
    crit_id: int | None
    tool_id: int | None
    center_id: int | None
    people: list[str]
    pathway: str | None
    notifier: str | None
    url: str | None
    creator: int | None
    creation_date: str
    supports: int
    attached: list[str]


class TicketDetailOut(TicketOut):
    modify_date: str | None
    resolution_date: str | None
    delete_date: str | None
    created_by_user: UserOut | None
    status: RefItem | None
    crit: RefItem | None
    center: RefItem | None
    tool: RefItem | None


class TicketListOut(BaseModel):
    tickets: list[TicketDetailOut]
    total: int
    page: int
    size: int


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: CleanStr = Field(min_length=3, max_length=150, pattern=r"^[A-Za-z0-9_.@+-]+$")
    email: EmailStr
    password: CleanStr = Field(min_length=8, max_length=256)
    permission_level: int = Field(ge=1, le=9)
    name: CleanStr | None = Field(default=None, max_length=100)
    surnames: CleanStr | None = Field(default=None, max_length=200)
    default_center_id: int | None = None


class UserUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    password: CleanStr | None = Field(default=None, min_length=8, max_length=256)
    permission_level: int | None = Field(default=None, ge=1, le=9)
    name: CleanStr | None = Field(default=None, max_length=100)
    surnames: CleanStr | None = Field(default=None, max_length=200)
    default_center_id: int | None = None
    is_active: bool | None = None


class ModificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: CleanStr = Field(min_length=1, max_length=64)
    reason: CleanStr | None = Field(default=None, max_length=2000)
    field_name: CleanStr | None = Field(default=None, max_length=64)
    old_value: CleanStr | None = Field(default=None, max_length=100_000)
    new_value: CleanStr | None = Field(default=None, max_length=100_000)


class ModificationUser(BaseModel):
    id: int
    username: str
    email: str


class ModificationOut(BaseModel):
    id: int
    user_id: int | None
    date: str
    user: ModificationUser | None
    changes: list[str]
    total_changes: int


class ModificationListOut(BaseModel):
    modifications: list[ModificationOut]
    total: int


class AttachmentOut(BaseModel):
    filename: str
    original_name: str
    path: str
    size: int
    hash: str
    uploaded_by: str | None
    uploaded_at: str
    file_type: str
    content_type: str
    ticket_id: str


class FailedUpload(BaseModel):
    filename: str
    error: str


class UploadOut(BaseModel):
    message: str
    uploaded_files: list[AttachmentOut]
    failed_uploads: list[FailedUpload]
    total_uploaded: int
    total_failed: int


class AttachmentListOut(BaseModel):
    ticket_id: str
    total_attachments: int
    total_size: int
    attachments: list[AttachmentOut]
    directory_structure: dict[str, dict[str, list[str]]]


class AttachmentDeletedOut(BaseModel):
    message: str
    deleted_file: str
    remaining_attachments: int


class MessageOut(BaseModel):
    message: str


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
