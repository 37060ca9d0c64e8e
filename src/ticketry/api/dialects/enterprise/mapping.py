"""Core objects as the document shows them: integer ids, `TKT-...` numbers, nested people and
departments, the document's role names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ticketry.api.dialects.enterprise.envelopes import stamp
from ticketry.domain.approvals.models import Approval, ApprovalRequest
from ticketry.domain.attachments.models import Attachment
from ticketry.domain.comments.models import Comment
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.queues.config import QueueConfig
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Role, Team, User
from ticketry.domain.webhooks import signing
from ticketry.domain.webhooks.models import WebhookEndpoint

# Where a ticket's `attachments` (names announced on creation) are kept: ticket metadata.
ANNOUNCED_ATTACHMENTS = "announced_attachments"


# --------------------------------------------------------------------------- people


def names(user: User) -> tuple[str | None, str | None]:
    """First and last name: the ones stored, else the full name split at its first space."""
    if user.given_name or user.family_name:
        return user.given_name, user.family_name
    if user.full_name:
        first, _, last = user.full_name.partition(" ")
        return first, last or None
    return None, None


def document_role(config: QueueConfig, role: str) -> str:
    roles: dict[str, str] = config.settings.get("role_to_document_role", {})
    return roles.get(role, "admin" if role == Role.ADMIN else "user")


def permissions(config: QueueConfig, role: str) -> list[str]:
    """By core role where the queue lists one, else by the role's document role."""
    table: dict[str, list[str]] = config.settings.get("role_permissions", {})
    return list(table.get(role) or table.get(document_role(config, role)) or [])


def user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    first, last = names(user)
    return {"id": user.id, "username": user.username, "first_name": first, "last_name": last}


def user_document(config: QueueConfig, user: User, *, team: Team | None = None,
                  full: bool = False) -> dict[str, Any]:
    """The document's User model (`full`), or the part login shows."""
    first, last = names(user)
    body: dict[str, Any] = {
        "id": user.id, "username": user.username, "email": user.email,
        "first_name": first, "last_name": last, "role": document_role(config, user.role),
        "permissions": permissions(config, user.role),
    }
    if full:
        body.update(department_id=team.code if team else None, is_active=user.is_active,
                    last_login=stamp(user.last_login_at), created_at=stamp(user.created_at),
                    preferences={"language": user.language} if user.language else {})
    return body


def department(team: Team | None) -> dict[str, Any] | None:
    return {"id": team.code, "name": team.name} if team is not None else None


# --------------------------------------------------------------------------- tickets


def ticket_item(ticket: Ticket) -> dict[str, Any]:
    """A ticket as the list example shows it (requester, assignee and team loaded)."""
    breaches = [t for t in (ticket.response_breached_at, ticket.resolution_breached_at) if t]
    return {
        "id": ticket.id,
        "ticket_number": ticket.key,
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status,
        "priority": ticket.priority,
        "ticket_type": ticket.ticket_type,
        "created_by_id": ticket.requester_id,
        "assigned_to_id": ticket.assignee_id,
        "department_id": ticket.team.code if ticket.team else None,
        "tags": list(ticket.tags or []),
        "created_at": stamp(ticket.created_at),
        "updated_at": stamp(ticket.updated_at),
        "due_date": stamp(ticket.due_at),
        # When an SLA target was missed (the first of them), null while none has been.
        "sla_breach_time": stamp(min(breaches)) if breaches else None,
        "resolution_time": ticket.resolution_minutes,
        "created_by": user_ref(ticket.requester),
        "assigned_to": user_ref(ticket.assignee),
        "department": department(ticket.team),
    }


def ticket_created(ticket: Ticket) -> dict[str, Any]:
    return {"id": ticket.id, "ticket_number": ticket.key, "title": ticket.title,
            "status": ticket.status, "created_at": stamp(ticket.created_at)}


def ticket_full(ticket: Ticket, *, agent: bool) -> dict[str, Any]:
    """Every field of the document's Ticket model (internal notes for agents only)."""
    return {
        **ticket_item(ticket),
        "customer_satisfaction_rating": ticket.satisfaction_rating,
        "internal_notes": ticket.internal_notes if agent else None,
        "public_notes": ticket.public_notes,
        "resolved_at": stamp(ticket.resolved_at),
        "closed_at": stamp(ticket.closed_at),
        "response_due_at": stamp(ticket.response_due_at),
        "resolution_due_at": stamp(ticket.resolution_due_at),
        "announced_attachments": list((ticket.extra or {}).get(ANNOUNCED_ATTACHMENTS) or []),
    }


def timeline_entry(entry: TicketHistory, message: str) -> dict[str, Any]:
    return {"id": entry.id, "action": entry.change_type, "field": entry.field,
            "old_value": entry.old_value, "new_value": entry.new_value,
            "user": user_ref(entry.actor), "message": message,
            "timestamp": stamp(entry.created_at)}


def related_ticket(link_id: int, kind: str, other: Ticket) -> dict[str, Any]:
    return {"link_id": link_id, "relationship": kind, "id": other.id,
            "ticket_number": other.key, "title": other.title, "status": other.status,
            "priority": other.priority, "ticket_type": other.ticket_type}


# --------------------------------------------------------------------------- comments, files


def comment_document(comment: Comment, ticket: Ticket, *, agent: bool) -> dict[str, Any]:
    """The document's Comment model (author and attachments loaded)."""
    return {
        "id": comment.id, "ticket_id": ticket.id, "user_id": comment.author_id,
        "content": comment.content, "is_internal": comment.is_internal,
        "mentions": list(comment.mentions or []),
        "created_at": stamp(comment.created_at), "updated_at": stamp(comment.updated_at),
        "edited": comment.edited_at is not None,
        "attachments": [a.id for a in comment.attachments if agent or not a.is_internal],
        "user": user_ref(comment.author),
    }


def virus_scan_status(attachment: Attachment) -> str:
    return str(getattr(attachment, "virus_scan_status", None) or "not_scanned")


def attachment_uploaded(attachment: Attachment, download_url: str) -> dict[str, Any]:
    """The upload example's answer; `upload_url` is where the file is read back."""
    return {"id": attachment.id, "filename": attachment.filename, "size": attachment.size,
            "content_type": attachment.content_type, "upload_url": download_url,
            "virus_scan_status": virus_scan_status(attachment)}


def attachment_document(attachment: Attachment, download_url: str) -> dict[str, Any]:
    return {**attachment_uploaded(attachment, download_url),
            "description": attachment.description, "is_internal": attachment.is_internal,
            "comment_id": attachment.comment_id, "uploaded_by_id": attachment.uploader_id,
            "created_at": stamp(attachment.created_at)}


# --------------------------------------------------------------------------- approvals


def approval_document(config: QueueConfig, approval: Approval) -> dict[str, Any]:
    """An approval with its ticket, approver, team and actor loaded."""
    ticket = approval.ticket
    request = approval.request
    role = approval.approver_role
    return {
        "id": approval.id,
        "status": approval.status,
        "ticket_id": ticket.id,
        "ticket_number": ticket.key,
        "ticket_title": ticket.title,
        "ticket_status": ticket.status,
        "priority": ticket.priority,
        "reason": request.reason,
        "requested_by_id": request.requested_by_id,
        "approver": user_ref(approval.approver),
        "approver_role": document_role(config, role) if role else None,
        "department": department(approval.approver_team),
        "acted_by": user_ref(approval.acted_by),
        "comments": approval.comments,
        "conditions": list(approval.conditions or []),
        "created_at": stamp(approval.created_at),
        "decided_at": stamp(approval.decided_at),
        "escalate_at": stamp(approval.escalate_at),
        "delegated_from_id": approval.delegated_from_id,
        "escalated_from_id": approval.escalated_from_id,
    }


def approval_workflow(config: QueueConfig, requests: Sequence[ApprovalRequest]) -> dict[str, Any]:
    """The ticket's approval workflow status: its latest request's, `none` without one."""
    return {
        "status": requests[0].status if requests else "none",
        "requests": [{
            "status": r.status, "reason": r.reason, "requested_by_id": r.requested_by_id,
            "created_at": stamp(r.created_at), "decided_at": stamp(r.decided_at),
            "approvals": [approval_document(config, a) for a in r.approvals],
        } for r in requests],
    }


# --------------------------------------------------------------------------- webhooks


def webhook_document(endpoint: WebhookEndpoint, *, reveal_secret: bool = False) -> dict[str, Any]:
    """`id` is what deliveries carry as `webhook_id`."""
    return {
        "id": str(endpoint.public_id), "url": endpoint.url, "events": list(endpoint.events),
        "active": endpoint.active,
        "secret": endpoint.secret if reveal_secret else signing.mask_secret(endpoint.secret),
        "created_at": stamp(endpoint.created_at), "updated_at": stamp(endpoint.updated_at),
        "last_success_at": stamp(endpoint.last_success_at),
        "disabled_at": stamp(endpoint.disabled_at), "disabled_reason": endpoint.disabled_reason,
    }
