from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from ticketry.domain.users.schemas import UserSummary


class AttachmentRead(BaseModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    comment_id: uuid.UUID | None
    filename: str
    content_type: str
    size: int
    sha256: str
    description: str | None
    is_internal: bool
    virus_scan_status: str
    uploaded_by: UserSummary | None
    created_at: datetime


class AttachmentSummary(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
