from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ticketry.domain.attachments.schemas import AttachmentSummary
from ticketry.domain.text import CleanStr
from ticketry.domain.users.schemas import UserSummary


class CommentType(enum.StrEnum):
    COMMENT = "COMMENT"
    NOTE = "NOTE"
    SOLUTION = "SOLUTION"
    STATUS_UPDATE = "STATUS_UPDATE"
    ESCALATION = "ESCALATION"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Content = Annotated[CleanStr, AfterValidator(_not_blank), Field(min_length=1, max_length=50_000)]


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: Content
    comment_type: CommentType = CommentType.COMMENT
    is_internal: bool = False
    # People to notify ("@john.doe" or "john.doe"); "@username" in the content counts too.
    mentions: list[Annotated[str, Field(min_length=1, max_length=151)]] = Field(
        default_factory=list, max_length=50)
    # Files the author already uploaded to the ticket, by name, to attach to this comment.
    attachments: list[Annotated[CleanStr, Field(min_length=1, max_length=255)]] = Field(
        default_factory=list, max_length=20)


class CommentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: Content
    is_internal: bool | None = None


class CommentRead(BaseModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    author: UserSummary | None
    content: str
    comment_type: str
    is_internal: bool
    created_at: datetime
    updated_at: datetime
    edited_at: datetime | None
    attachments: list[AttachmentSummary]
