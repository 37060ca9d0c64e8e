"""From a batch of events to notifications (and their e-mail jobs).

A batch costs a fixed number of statements whatever its size: the tickets, their watchers and
every person involved are read in one query each, the notifications and the jobs are written
in one bulk INSERT each.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session, load_only

from ticketry.config import Settings
from ticketry.db import utcnow
from ticketry.domain.events.models import Event
from ticketry.domain.events.service import EventType
from ticketry.domain.jobs.service import enqueue_jobs
from ticketry.domain.notifications.models import EmailStatus, Notification, NotificationKind
from ticketry.domain.tickets import permissions
from ticketry.domain.tickets.models import Ticket, TicketWatcher
from ticketry.domain.users.models import Role, User

EMAIL_JOB = "notification.email"
# Retries after failed SMTP attempts follow the worker's backoff (5 s ... 1 h): about 2.5 hours.
EMAIL_MAX_ATTEMPTS = 8
# Who hears of a breach on an unassigned ticket of no team (or a team without leads).
MAX_FALLBACK_MANAGERS = 50
EXCERPT_LENGTH = 200

_TICKET_EVENTS = frozenset({EventType.TICKET_ASSIGNED, EventType.COMMENT_ADDED,
                            EventType.TICKET_STATUS_CHANGED, EventType.TICKET_SLA_BREACHED})
_LISTED_EVENTS = frozenset({EventType.APPROVAL_REQUESTED, EventType.APPROVAL_PROCESSED,
                            EventType.WEBHOOK_DISABLED})
_HANDLED = _TICKET_EVENTS | _LISTED_EVENTS
# Events whose ticket's watchers hear of them.
_WATCHED = frozenset({EventType.COMMENT_ADDED, EventType.TICKET_STATUS_CHANGED,
                      EventType.TICKET_SLA_BREACHED})

# approval.processed's action, as the sentence "alice approved the request on OPS-42" says it.
_APPROVAL_DONE = {"approve": "approved the request", "reject": "rejected the request",
                  "delegate": "delegated the approval",
                  "request_info": "asked for more information"}

# One notification per person and event: the most specific reason wins.
_RANK = {NotificationKind.MENTIONED: 3, NotificationKind.ASSIGNED: 2}


@dataclass(slots=True)
class _Batch:
    """Everything the batch's events refer to, loaded up front."""

    tickets: dict[int, Ticket]
    watchers: dict[int, list[int]]
    users: dict[int, User]
    by_name: dict[str, User]
    team_leads: dict[int, list[int]] = field(default_factory=dict)
    managers: list[int] = field(default_factory=list)


def _int_ids(values: Any) -> list[int]:
    if not isinstance(values, list):
        return []
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _ref_id(ref: Any) -> int | None:
    value = ref.get("id") if isinstance(ref, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _listed_recipients(event: Event) -> list[int]:
    """approval.* and webhook.disabled name whom to tell (top level, or in the approval)."""
    data = event.data or {}
    ids = _int_ids(data.get("notify_user_ids"))
    approval = data.get("approval")
    if not ids and isinstance(approval, dict):
        ids = _int_ids(approval.get("notify_user_ids"))
    return ids


def _new_assignee(event: Event) -> int | None:
    data = event.data or {}
    if "assignee" in data:
        return _ref_id(data["assignee"])
    ticket = data.get("ticket")
    return _ref_id(ticket.get("assigned_to")) if isinstance(ticket, dict) else None


def _mentions(event: Event) -> list[str]:
    names = (event.data or {}).get("mentions")
    return [n for n in names if isinstance(n, str) and n] if isinstance(names, list) else []


def _load_batch(session: Session, events: Sequence[Event]) -> _Batch:
    ticket_ids = {e.ticket_id for e in events if e.ticket_id is not None}
    tickets: dict[int, Ticket] = {}
    if ticket_ids:
        tickets = {t.id: t for t in session.scalars(
            select(Ticket).where(Ticket.id.in_(ticket_ids), Ticket.deleted_at.is_(None))
            .options(load_only(Ticket.id, Ticket.public_id, Ticket.key, Ticket.title,
                               Ticket.status, Ticket.requester_id, Ticket.assignee_id,
                               Ticket.team_id)))}
    watched = {e.ticket_id for e in events if e.type in _WATCHED and e.ticket_id in tickets}
    watchers: dict[int, list[int]] = defaultdict(list)
    if watched:
        for ticket_id, user_id in session.execute(
                select(TicketWatcher.ticket_id, TicketWatcher.user_id)
                .where(TicketWatcher.ticket_id.in_(watched))):
            watchers[ticket_id].append(user_id)

    batch = _Batch(tickets=tickets, watchers=watchers, users={}, by_name={})
    # A breach on an unassigned ticket goes to its team's leads, or else to the managers.
    unowned = [t for e in events if e.type == EventType.TICKET_SLA_BREACHED
               and (t := tickets.get(e.ticket_id or 0)) is not None and t.assignee_id is None]
    lead_teams = {t.team_id for t in unowned if t.team_id is not None}
    if lead_teams:
        for team_id, user_id in session.execute(
                select(User.team_id, User.id).where(
                    User.team_id.in_(lead_teams), User.is_active.is_(True),
                    User.role.in_([Role.TEAM_LEAD.value, Role.MANAGER.value]))
                .order_by(User.id)):
            if team_id is not None:
                batch.team_leads.setdefault(team_id, []).append(user_id)
    if any(not batch.team_leads.get(t.team_id or 0) for t in unowned):
        batch.managers = list(session.scalars(
            select(User.id).where(User.role == Role.MANAGER.value, User.is_active.is_(True))
            .order_by(User.id).limit(MAX_FALLBACK_MANAGERS)))

    user_ids: set[int] = set(batch.managers)
    for ids in (*watchers.values(), *batch.team_leads.values()):
        user_ids.update(ids)
    names: set[str] = set()
    for event in events:
        if event.actor_id is not None:
            user_ids.add(event.actor_id)
        ticket = tickets.get(event.ticket_id or 0)
        if ticket is not None:
            user_ids.update(i for i in (ticket.requester_id, ticket.assignee_id) if i)
        if event.type == EventType.TICKET_ASSIGNED:
            if (assignee := _new_assignee(event)) is not None:
                user_ids.add(assignee)
        elif event.type == EventType.COMMENT_ADDED:
            for name in _mentions(event):
                names.update((name, name.lower()))
        elif event.type in _LISTED_EVENTS:
            user_ids.update(_listed_recipients(event))
    if user_ids or names:
        for user in session.scalars(
                select(User).where(or_(User.id.in_(user_ids), User.username.in_(names)))
                .options(load_only(User.id, User.public_id, User.username, User.email,
                                   User.role, User.is_active, User.team_id))):
            batch.users[user.id] = user
            batch.by_name[user.username] = user
    return batch


def _mentioned_user(batch: _Batch, name: str) -> User | None:
    # Mentions name people as typed; an all-lowercase username also matches "@Alice".
    return batch.by_name.get(name) or batch.by_name.get(name.lower())


def _candidates(event: Event, ticket: Ticket | None, batch: _Batch
                ) -> dict[int, NotificationKind]:
    """Who this event concerns and why, before the checks that apply to everyone."""
    chosen: dict[int, NotificationKind] = {}

    def offer(user_ids: Iterable[int | None], kind: NotificationKind) -> None:
        for user_id in user_ids:
            if user_id is None:
                continue
            current = chosen.get(user_id)
            if current is None or _RANK.get(kind, 1) > _RANK.get(current, 1):
                chosen[user_id] = kind

    type_ = event.type
    if type_ == EventType.TICKET_ASSIGNED:
        offer([_new_assignee(event)], NotificationKind.ASSIGNED)
    elif type_ == EventType.COMMENT_ADDED and ticket is not None:
        offer([u.id for n in _mentions(event) if (u := _mentioned_user(batch, n)) is not None],
              NotificationKind.MENTIONED)
        offer([ticket.requester_id, ticket.assignee_id, *batch.watchers.get(ticket.id, [])],
              NotificationKind.COMMENTED)
    elif type_ == EventType.TICKET_STATUS_CHANGED and ticket is not None:
        offer([ticket.requester_id, ticket.assignee_id, *batch.watchers.get(ticket.id, [])],
              NotificationKind.STATUS_CHANGED)
    elif type_ == EventType.TICKET_SLA_BREACHED and ticket is not None:
        responsible = [ticket.assignee_id] if ticket.assignee_id is not None else (
            batch.team_leads.get(ticket.team_id or 0) or batch.managers)
        offer([*responsible, *batch.watchers.get(ticket.id, [])], NotificationKind.SLA_BREACHED)
    elif type_ == EventType.APPROVAL_REQUESTED:
        offer(_listed_recipients(event), NotificationKind.APPROVAL_REQUESTED)
    elif type_ == EventType.APPROVAL_PROCESSED:
        offer(_listed_recipients(event), NotificationKind.APPROVAL_PROCESSED)
    elif type_ == EventType.WEBHOOK_DISABLED:
        offer(_listed_recipients(event), NotificationKind.WEBHOOK_DISABLED)
    return chosen


def _is_internal_comment(event: Event) -> bool:
    comment = (event.data or {}).get("comment")
    return event.type == EventType.COMMENT_ADDED and isinstance(comment, dict) \
        and bool(comment.get("is_internal"))


def _may_receive(user: User, event: Event, ticket: Ticket | None) -> bool:
    if not user.is_active or user.id == event.actor_id:
        return False
    if ticket is not None and not permissions.can_view(user, ticket):
        return False
    return not (_is_internal_comment(event) and not user.is_agent)


# --------------------------------------------------------------------------- the words


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _actor_name(event: Event, batch: _Batch) -> str:
    actor = batch.users.get(event.actor_id or 0)
    return actor.username if actor is not None else "Ticketry"


def _words(kind: NotificationKind, event: Event, ticket: Ticket | None,
           batch: _Batch) -> tuple[str, str, dict[str, Any]]:
    """Title, body and data of a notification."""
    data = event.data or {}
    who = _actor_name(event, batch)
    snapshot = _dict(data.get("ticket"))
    key = ticket.key if ticket is not None else _text(snapshot.get("ticket_number")) or "a ticket"
    title = ticket.title if ticket is not None else _text(snapshot.get("title"))
    actor = batch.users.get(event.actor_id or 0)
    extra: dict[str, Any] = {
        "event": {"id": str(event.public_id), "type": event.type},
        "actor": {"id": str(actor.public_id), "username": actor.username} if actor else None,
    }
    if kind is NotificationKind.ASSIGNED:
        return f"{key} was assigned to you", f"{who} assigned {key} to you: {title}", extra
    if kind in (NotificationKind.MENTIONED, NotificationKind.COMMENTED):
        comment = _dict(data.get("comment"))
        extra["comment"] = {"id": comment.get("public_id"),
                            "is_internal": bool(comment.get("is_internal"))}
        said = excerpt(_text(comment.get("content")))
        if kind is NotificationKind.MENTIONED:
            return f"{who} mentioned you on {key}", f"{who} mentioned you on {key}: {said}", extra
        return f"{who} commented on {key}", f"{who} commented on {key}: {said}", extra
    if kind is NotificationKind.STATUS_CHANGED:
        old, new = _text(data.get("old_status")), _text(data.get("new_status"))
        extra["status"] = {"old": old, "new": new}
        return (f"{key} is now {new}",
                f"{who} changed the status of {key} ({title}) from {old} to {new}.", extra)
    if kind is NotificationKind.SLA_BREACHED:
        sla = _dict(data.get("sla"))
        target = _text(sla.get("target")) or "SLA"
        extra["sla"] = {k: sla.get(k) for k in ("target", "due_at", "breached_at")}
        return (f"{key} missed its {target} target",
                f"{key} ({title}) missed its {target} target, due at {_text(sla.get('due_at'))}.",
                extra)
    if kind in (NotificationKind.APPROVAL_REQUESTED, NotificationKind.APPROVAL_PROCESSED):
        approval = _dict(data.get("approval"))
        extra["approval"] = {"id": approval.get("public_id"),
                             "request_id": approval.get("request_id")}
        if kind is NotificationKind.APPROVAL_REQUESTED:
            reason = _text(approval.get("reason"))
            return (f"Your approval is requested on {key}",
                    f"{who} asks for your approval on {key} ({title})"
                    + (f": {excerpt(reason)}" if reason else "."), extra)
        action = _text(approval.get("action"))
        by = _text(_dict(approval.get("acted_by")).get("username")) or who
        comments = _text(approval.get("comments"))
        status = _text(_dict(data.get("request")).get("status"))
        extra["approval"]["action"] = action
        extra["approval"]["request_status"] = status or None
        done = f"{by} {_APPROVAL_DONE.get(action, 'acted on the approval')} on {key}"
        return (done, _sentence(f"{done} ({title})" + (f": {excerpt(comments)}" if comments else ""))
                + (f" The request is now {status}." if status else ""), extra)
    webhook = _dict(data.get("webhook"))
    url, reason = _text(webhook.get("url")), _text(webhook.get("reason"))
    extra["webhook"] = {"id": webhook.get("id"), "url": url}
    return (f"Your webhook to {url} was disabled",
            f"Ticketry stopped delivering to {url}" + (f": {excerpt(reason)}" if reason else "."),
            extra)


# --------------------------------------------------------------------------- the fan-out


def notify_events(session: Session, events: Sequence[Event], *, settings: Settings) -> int:
    """Write the notifications a batch of events causes; returns how many."""
    if not settings.notifications_enabled:
        return 0
    relevant = [e for e in events if e.type in _HANDLED]
    if not relevant:
        return 0
    batch = _load_batch(session, relevant)
    # A batch handed out twice (a dispatcher that died after writing) adds nothing twice.
    done = set(session.execute(select(Notification.event_id, Notification.user_id)
                               .where(Notification.event_id.in_([e.id for e in relevant]))).tuples())
    now = utcnow()
    email = bool(settings.smtp_host)
    rows: list[dict[str, Any]] = []
    for event in relevant:
        ticket = batch.tickets.get(event.ticket_id) if event.ticket_id is not None else None
        if event.ticket_id is not None and ticket is None:
            continue  # deleted meanwhile: nobody may see it any more
        words: dict[NotificationKind, tuple[str, str, dict[str, Any]]] = {}
        for user_id, kind in _candidates(event, ticket, batch).items():
            user = batch.users.get(user_id)
            if user is None or (event.id, user_id) in done \
                    or not _may_receive(user, event, ticket):
                continue
            if kind not in words:
                words[kind] = _words(kind, event, ticket, batch)
            title, body, data = words[kind]
            rows.append({"public_id": uuid.uuid4(), "user_id": user_id, "kind": kind.value,
                         "ticket_id": ticket.id if ticket is not None else None,
                         "event_id": event.id, "title": title[:300], "body": body,
                         "data": data, "read_at": None, "created_at": now,
                         "email_status": EmailStatus.PENDING.value if email and user.email
                         else None, "email_attempts": 0})
    if not rows:
        return 0
    session.execute(insert(Notification), rows)
    # Jobs name their notification by public id: no RETURNING needed to write them in bulk.
    enqueue_jobs(session, kind=EMAIL_JOB, max_attempts=EMAIL_MAX_ATTEMPTS, payloads=[
        {"notification_id": str(row["public_id"])} for row in rows if row["email_status"]])
    return len(rows)
