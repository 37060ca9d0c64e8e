"""Document ids <-> core keys, through the healthcare queue's configuration."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ticketry.api.dialects.healthcare.schemas import (
    AttachmentOut,
    RefItem,
    TicketDetailOut,
    TicketOut,
    UserDetailOut,
    UserOut,
)
from ticketry.domain.attachments.filetypes import extension_of
from ticketry.domain.attachments.models import Attachment
from ticketry.domain.errors import ValidationFailed
from ticketry.domain.queues.config import NamedItem, QueueConfig
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Role, User

LANGUAGE = "ca"


def stamp(value: datetime | None) -> str | None:
    """The document's timestamps: 2025-01-15T14:30:22 (UTC, to the second)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _desc(item: Any) -> str:
    return str(item.labels.get(LANGUAGE) or item.label)


def _by_code(items: Mapping[str, Any], code: int, field: str) -> str:
    for key, item in items.items():
        if item.code == code:
            return key
    raise ValidationFailed(f"{field} {code} does not exist", field=field)


def status_key(config: QueueConfig, status_id: int) -> str:
    return _by_code(config.statuses, status_id, "status_id")


def priority_key(config: QueueConfig, crit_id: int) -> str:
    return _by_code(config.priorities, crit_id, "crit_id")


def tool_key(config: QueueConfig, tool_id: int) -> str:
    return _by_code(config.reference_lists.get("tool", {}), tool_id, "tool_id")


def center_key(config: QueueConfig, center_id: int) -> str:
    """A center by its number (305, as tickets show it) or its list id (1, as /center/ does)."""
    centers = config.reference_lists.get("center", {})
    if str(center_id) in centers:
        return str(center_id)
    return _by_code(centers, center_id, "center_id")


def center_number(item: NamedItem) -> int | None:
    return int(item.key) if item.key.isdigit() else item.code


def ref_items(items: Mapping[str, Any]) -> list[RefItem]:
    ordered = sorted(items.values(), key=lambda i: (i.code is None, i.code or 0))
    return [RefItem(id=i.code, value=i.key, desc=_desc(i)) for i in ordered]


def permission_level(config: QueueConfig, role: str) -> int:
    levels: dict[str, int] = config.settings.get("role_to_permission_level", {})
    return int(levels.get(role, 3))


def role_for_level(config: QueueConfig, level: int) -> Role:
    roles: dict[str, str] = config.settings.get("permission_levels", {})
    if str(level) not in roles:
        raise ValidationFailed(f"permission_level must be one of {', '.join(sorted(roles))}",
                               field="permission_level")
    return Role(roles[str(level)])


def user_out(config: QueueConfig, user: User) -> UserOut:
    return UserOut(id=user.id, username=user.username, email=user.email,
                   permission_level=permission_level(config, user.role),
                   is_active=user.is_active)


def user_detail_out(config: QueueConfig, user: User) -> UserDetailOut:
    center = config.reference_lists.get("center", {}).get(user.default_location or "")
    return UserDetailOut(**user_out(config, user).model_dump(), name=user.given_name,
                         surnames=user.family_name,
                         default_center_id=center_number(center) if center else None)


def _ticket_fields(config: QueueConfig, ticket: Ticket, attached: list[str]) -> dict[str, Any]:
    status = config.statuses.get(ticket.status)
    priority = config.priorities.get(ticket.priority or "")
    tool = config.reference_lists.get("tool", {}).get(ticket.tool or "")
    center = config.reference_lists.get("center", {}).get(ticket.location or "")
    return {
        "id": ticket.key, "type": ticket.ticket_type, "title": ticket.title,
        "description": ticket.description,
        "status_id": status.code if status else None,
        "crit_id": priority.code if priority else None,
        "tool_id": tool.code if tool else None,
        "center_id": center_number(center) if center else None,
        "people": list(ticket.people or []), "pathway": ticket.channel,
        "notifier": ticket.notifier, "url": ticket.url,
        "creator": ticket.requester_id, "creation_date": ticket.created_at.date().isoformat(),
        "supports": ticket.support_votes, "attached": attached,
    }


def ticket_out(config: QueueConfig, ticket: Ticket, attached: list[str]) -> TicketOut:
    return TicketOut(**_ticket_fields(config, ticket, attached))


def ticket_detail_out(config: QueueConfig, ticket: Ticket, attached: list[str]) -> TicketDetailOut:
    status = config.statuses.get(ticket.status)
    priority = config.priorities.get(ticket.priority or "")
    tool = config.reference_lists.get("tool", {}).get(ticket.tool or "")
    center = config.reference_lists.get("center", {}).get(ticket.location or "")
    modified = ticket.version > 1 or ticket.updated_at != ticket.created_at
    return TicketDetailOut(
        **_ticket_fields(config, ticket, attached),
        modify_date=stamp(ticket.updated_at) if modified else None,
        resolution_date=stamp(ticket.resolved_at), delete_date=stamp(ticket.deleted_at),
        created_by_user=user_out(config, ticket.requester) if ticket.requester else None,
        status=RefItem(id=status.code, value=status.key, desc=_desc(status)) if status else None,
        crit=RefItem(id=priority.code, value=priority.key, desc=_desc(priority))
        if priority else None,
        center=RefItem(id=center_number(center), value=center.key, desc=_desc(center))
        if center else None,
        tool=RefItem(id=tool.code, value=tool.key, desc=_desc(tool)) if tool else None,
    )


def attachment_out(attachment: Attachment, ticket_key: str) -> AttachmentOut:
    ext = extension_of(attachment.filename)
    return AttachmentOut(
        filename=attachment.filename, original_name=attachment.filename,
        path=attachment.storage_key, size=attachment.size, hash=attachment.sha256,
        uploaded_by=attachment.uploader.username if attachment.uploader else None,
        uploaded_at=stamp(attachment.created_at) or "", file_type=f".{ext}" if ext else "",
        content_type=attachment.content_type, ticket_id=ticket_key,
    )


def directory_structure(paths: list[str]) -> dict[str, dict[str, list[str]]]:
    """{year: {month: [stored names]}} from the storage layout .../YYYY/MM/name."""
    tree: dict[str, dict[str, list[str]]] = {}
    for path in paths:
        parts = path.split("/")
        if len(parts) >= 3:
            tree.setdefault(parts[-3], {}).setdefault(parts[-2], []).append(parts[-1])
    return tree
