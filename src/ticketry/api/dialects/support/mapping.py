"""The document's ticket <-> core fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ticketry.domain.classification.rules import Classification
from ticketry.domain.tickets.models import Ticket

# Document field -> core field, for what clients send.
INPUT_FIELDS = {
    "customer_id": "customer_id", "customer_email": "customer_email",
    "customer_name": "customer_name", "subject": "title", "description": "description",
    "category": "category", "priority": "priority", "status": "status", "tags": "tags",
    "metadata": "metadata", "assigned_to": "assignee_ref",
}
# Fields of the document's ticket that clients may echo back but not set.
READ_ONLY_FIELDS = {"id", "created_at", "updated_at", "resolved_at", "classification_confidence",
                    "classification_reasoning", "classification_keywords", "classified_at",
                    "manual_override"}
STRING_FIELDS = {"customer_id", "customer_email", "customer_name", "subject", "description",
                 "category", "priority", "status", "assigned_to"}


def rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def type_problems(body: dict[str, Any]) -> list[str]:
    """What JSON types alone make wrong, in the document's words."""
    problems = []
    for name, value in body.items():
        if name in READ_ONLY_FIELDS:
            continue
        if name not in INPUT_FIELDS:
            problems.append(f"{name} is not a known field")
        elif name in STRING_FIELDS and value is not None and not isinstance(value, str):
            problems.append(f"{name} must be a string")
        elif name == "tags" and value is not None and not (
                isinstance(value, list) and all(isinstance(t, str) for t in value)):
            problems.append("tags must be an array of strings")
        elif name == "metadata" and value is not None and not isinstance(value, dict):
            problems.append("metadata must be an object")
    return problems


def core_values(body: dict[str, Any]) -> dict[str, Any]:
    values = {INPUT_FIELDS[k]: v for k, v in body.items() if k in INPUT_FIELDS}
    if values.get("tags") is None and "tags" in values:
        values["tags"] = []
    return values


def ticket_document(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": str(ticket.public_id),
        "customer_id": ticket.customer_id,
        "customer_email": ticket.customer_email,
        "customer_name": ticket.customer_name,
        "subject": ticket.title,
        "description": ticket.description,
        "category": ticket.category,
        "priority": ticket.priority,
        "status": ticket.status,
        "created_at": rfc3339(ticket.created_at),
        "updated_at": rfc3339(ticket.updated_at),
        "resolved_at": rfc3339(ticket.resolved_at or ticket.closed_at),
        "assigned_to": ticket.assignee.username if ticket.assignee else ticket.assignee_ref,
        "tags": list(ticket.tags or []),
        "metadata": dict(ticket.extra or {}),
        "classification_confidence": ticket.classification_confidence,
        "classification_reasoning": ticket.classification_reasoning,
        "classification_keywords": list(ticket.classification_keywords or []),
        "classified_at": rfc3339(ticket.classified_at),
        "manual_override": ticket.manual_override,
    }


def classification_document(result: Classification) -> dict[str, Any]:
    return {"category": result.category, "priority": result.priority,
            "confidence": result.confidence, "reasoning": result.reasoning,
            "keywords_found": list(result.keywords_found)}
