"""Bulk import: every row validated by the queue's rules, valid rows stored in batches.

Rows are read as a stream and written `batch_size` at a time with bulk statements (tickets,
tags, history); each batch is one transaction, committed through the caller's `checkpoint`, so
a crash loses at most the batch in flight and never leaves half a ticket.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy.orm import Session

from ticketry.config import Settings, get_settings
from ticketry.db import insert_rows, reserve_ids, utcnow
from ticketry.domain.classification.rules import classify_text
from ticketry.domain.errors import PermissionDenied
from ticketry.domain.events.models import Event
from ticketry.domain.events.service import (
    EventType,
    event_row,
    mark_events_emitted,
    snapshot_from_row,
)
from ticketry.domain.history.models import ChangeType, TicketHistory
from ticketry.domain.queues.config import QueueConfig
from ticketry.domain.queues.service import allocate_ticket_keys, find_queue_config
from ticketry.domain.sla.service import business_calendar, compute_targets
from ticketry.domain.text import check_json_value
from ticketry.domain.tickets.models import Ticket, TicketTag
from ticketry.domain.tickets.service import value_problems
from ticketry.domain.users.models import User

# Row field -> core field (the support document's names; core names are accepted too).
ROW_FIELDS = {
    "customer_id": "customer_id", "customer_email": "customer_email",
    "customer_name": "customer_name", "subject": "title", "title": "title",
    "description": "description", "category": "category", "priority": "priority",
    "status": "status", "tags": "tags", "metadata": "metadata", "ticket_type": "ticket_type",
    "environment": "environment", "impact_level": "impact_level", "tool": "tool",
    "location": "location", "notifier": "notifier", "url": "url",
}
_STRINGS = set(ROW_FIELDS) - {"tags", "metadata"}


@dataclass
class ImportReport:
    total: int = 0
    successful: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    max_errors_listed: int = 1000

    def refuse(self, row: int, problems: list[str]) -> None:
        self.failed += 1
        if len(self.errors) < self.max_errors_listed:
            self.errors.append({"row": row, "errors": problems})

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "successful": self.successful, "failed": self.failed,
                "errors": self.errors}


def _row_values(config: QueueConfig, raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    if "__invalid__" in raw:
        return {}, ["the record is not an object"]
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "__extra__":
            problems.append("the row has more values than the header has columns")
            continue
        target = ROW_FIELDS.get(name)
        if target is None:
            continue  # columns this queue does not know are ignored, as exports carry many
        if name in _STRINGS and value is not None and not isinstance(value, str):
            value = str(value) if isinstance(value, int | float) else value
            if not isinstance(value, str):
                problems.append(f"{name} must be a string")
                continue
        if isinstance(value, str):
            if "\x00" in value:
                problems.append(f"{name} must not contain NUL characters")
                continue
            value = value.strip() if name not in ("description",) else value
        values[target] = value
    tags = values.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        problems.append("tags must be a list of strings")
    metadata = values.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            problems.append("metadata must be an object")
        else:
            try:
                check_json_value(metadata)
            except ValueError as exc:
                problems.append(f"metadata {exc}")
    if problems:
        return values, problems
    if values.get("category") is None and any(c.keywords for c in config.categories.values()):
        values["_classification"] = classify_text(config, values.get("title") or "",
                                                  values.get("description") or "")
        values["category"] = values["_classification"].category
    for problem in value_problems(config, {k: v for k, v in values.items()
                                           if not k.startswith("_")}, partial=False):
        message = problem["message"]
        if message.endswith("must be a valid email address"):
            # The import report's wording, as the support document shows it.
            message = f"Invalid email format: {values.get('customer_email')}"
        problems.append(message)
    return values, problems


def _batches(rows: Iterable[tuple[int, dict[str, Any]]],
             size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def import_tickets(
    session: Session, *, actor: User, queue_key: str | None,
    rows: Iterable[tuple[int, dict[str, Any]]], checkpoint: Callable[[], None],
    batch_size: int = 1000, progress: Callable[[int], None] | None = None,
    settings: Settings | None = None,
) -> ImportReport:
    """Validate and store every row; `checkpoint` commits each batch (the caller owns the
    unit of work), `progress(n)` is told how many rows each batch held."""
    if not actor.is_agent:
        raise PermissionDenied("only agents may import tickets")
    settings = settings or get_settings()
    config = find_queue_config(session, queue_key)
    report = ImportReport()
    for batch in _batches(rows, batch_size):
        valid: list[dict[str, Any]] = []
        for number, raw in batch:
            report.total += 1
            values, problems = _row_values(config, raw)
            if problems:
                report.refuse(number, problems)
            else:
                valid.append(values)
        if valid:
            _store(session, config, actor, valid, settings)
            report.successful += len(valid)
        checkpoint()
        if progress is not None:
            progress(len(batch))
    return report


def _store(session: Session, config: QueueConfig, actor: User, rows: list[dict[str, Any]],
           settings: Settings) -> None:
    now = utcnow()
    public_ids = [uuid.uuid4() for _ in rows]
    keys = allocate_ticket_keys(session, config, now=now, public_ids=public_ids)
    records = [_record(config, actor, values, public_id, key, number, now, settings)
               for values, public_id, (key, number) in zip(rows, public_ids, keys, strict=True)]
    # Explicit ids: the dependent rows need them, and a bulk INSERT without RETURNING is the
    # cheap one (see insert_rows).
    ids = reserve_ids(session, Ticket, len(records))
    tags: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for ticket_id, record in zip(ids, records, strict=True):
        record["id"] = ticket_id
        tags.extend({"ticket_id": ticket_id, "tag": tag} for tag in record["tags"])
        history.append({
            "ticket_id": ticket_id, "actor_id": actor.id,
            "change_type": ChangeType.CREATED.value, "field": None, "old_value": None,
            "new_value": None, "created_at": now,
            "details": {"key": record["key"], "queue": config.key, "import": True}})
        events.append(event_row(
            type=EventType.TICKET_CREATED, actor=actor, ticket_id=ticket_id,
            queue_id=config.id, at=now,
            data={"ticket": snapshot_from_row(ticket_id, record, requester=actor),
                  "import": True}))
    insert_rows(session, Ticket, records)
    insert_rows(session, TicketTag, tags)
    insert_rows(session, TicketHistory, history)
    mark_events_emitted(session)
    insert_rows(session, Event, events)


def _record(config: QueueConfig, actor: User, values: dict[str, Any], public_id: uuid.UUID,
            key: str, number: int, now: datetime, settings: Settings) -> dict[str, Any]:
    priority = config.priorities.get(values.get("priority") or "") or config.default_priority
    status = config.statuses.get(values.get("status") or "") or config.initial_status
    targets = compute_targets(now, priority, enabled=settings.sla_enabled,
                              calendar=business_calendar(config))
    tags = list(dict.fromkeys(t.strip() for t in values.get("tags") or [] if t.strip()))
    classification = values.get("_classification")
    return {
        "public_id": public_id, "key": key, "number": number, "queue_id": config.id,
        "ticket_type": values.get("ticket_type"), "title": values["title"],
        "description": values.get("description") or "", "status": status.key,
        "status_category": status.category,
        "priority": priority.key if priority else None,
        "priority_rank": priority.rank if priority else None,
        "category": values.get("category"), "tags": tags, "requester_id": actor.id,
        "customer_id": values.get("customer_id"), "customer_email": values.get("customer_email"),
        "customer_name": values.get("customer_name"), "notifier": values.get("notifier"),
        "assignee_id": None, "assignee_ref": None, "team_id": None,
        "location": values.get("location"), "tool": values.get("tool"),
        "affected_service": None, "environment": values.get("environment"),
        "impact_level": values.get("impact_level"), "people": [], "channel": "api",
        "url": values.get("url"), "extra": dict(values.get("metadata") or {}),
        "response_due_at": targets.response_due_at,
        "resolution_due_at": targets.resolution_due_at,
        # Imported straight into a pending status: the SLA clock starts stopped.
        "sla_paused_at": now if status.category == "pending" else None,
        "resolved_at": now if status.category == "solved" else None,
        "closed_at": now if status.category == "closed" else None,
        "classification_confidence": classification.confidence if classification else None,
        "classification_reasoning": classification.reasoning if classification else None,
        "classification_keywords": list(classification.keywords_found) if classification else None,
        "classified_at": now if classification else None,
        "manual_override": False, "support_votes": 0, "version": 1,
        "created_at": now, "updated_at": now,
    }

