"""The ticket lifecycle. Every state change goes through `_apply` or `_transition`, which check
the queue's rules and write history in the caller's transaction; callers commit."""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, case, delete, func, or_, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ticketry.config import Settings, get_settings
from ticketry.db import utcnow
from ticketry.domain.attachments.models import Attachment
from ticketry.domain.classification.choose import best_classification
from ticketry.domain.classification.rules import apply_classification
from ticketry.domain.errors import PermissionDenied, ValidationFailed
from ticketry.domain.events.service import EventType, emit_ticket_event
from ticketry.domain.history.models import ChangeType, TicketHistory
from ticketry.domain.history.service import (
    ChangeGroup,
    describe_entry,
    group_changes,
    list_ticket_history,
    record_change,
)
from ticketry.domain.queues.config import QueueConfig, StatusConfig
from ticketry.domain.queues.service import (
    find_queue_config,
    get_queue_config,
    next_ticket_key,
    queue_of_config,
)
from ticketry.domain.search.index import text_condition
from ticketry.domain.sla.service import business_calendar, compute_targets, retarget, track_pause
from ticketry.domain.text import is_valid_email
from ticketry.domain.tickets import permissions
from ticketry.domain.tickets.errors import (
    InvalidTransition,
    ReopenWindowExpired,
    TicketKeyTaken,
    TicketNotFound,
    VersionMismatch,
)
from ticketry.domain.tickets.models import Ticket, TicketTag
from ticketry.domain.tickets.schemas import (
    TicketCreate,
    TicketFilters,
    TicketPatch,
    TicketReplace,
)
from ticketry.domain.tickets.views import (
    VIEW_COLUMNS,
    VIEW_FROM,
    TicketView,
    live_ticket,
    ticket_view,
)
from ticketry.domain.users.errors import TeamNotFound, UserNotFound
from ticketry.domain.users.models import Role, Team, User
from ticketry.log import get_logger

log = get_logger("ticketry.tickets")

_EAGER = (joinedload(Ticket.requester), joinedload(Ticket.assignee), joinedload(Ticket.team),
          joinedload(Ticket.queue))

# Ticket columns a PATCH/PUT may set directly, by input field name.
_PLAIN_FIELDS = {
    "title": "title",
    "description": "description",
    "category": "category",
    "ticket_type": "ticket_type",
    "environment": "environment",
    "impact_level": "impact_level",
    "affected_service": "affected_service",
    "tool": "tool",
    "location": "location",
    "customer_id": "customer_id",
    "customer_email": "customer_email",
    "customer_name": "customer_name",
    "notifier": "notifier",
    "people": "people",
    "channel": "channel",
    "url": "url",
    "metadata": "extra",
    "due_at": "due_at",
    "internal_notes": "internal_notes",
    "public_notes": "public_notes",
}
# Fields whose history only agents read.
_INTERNAL_FIELDS = frozenset({"internal_notes"})
_REFERENCE_FIELDS = ("environment", "impact_level", "tool", "location")

# What a `ticket.updated` event reports as changed (status and assignee have events of their own).
# Internal notes stay out of events: notifications reach requesters too.
_EVENT_FIELDS = {**{f: a for f, a in _PLAIN_FIELDS.items()
                    if f != "metadata" and f not in _INTERNAL_FIELDS},
                 "priority": "priority", "team_id": "team_id", "tags": "tags",
                 "satisfaction_rating": "satisfaction_rating"}


def _event_values(ticket: Ticket) -> dict[str, Any]:
    return {field: getattr(ticket, attribute) for field, attribute in _EVENT_FIELDS.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value


def _emit_changes(session: Session, ticket: Ticket, actor: User, now: datetime, *,
                  before: dict[str, Any], status: str, assignee: User | None,
                  assignee_id: int | None, assignee_ref: str | None) -> None:
    """The events for one mutation: `ticket.updated` for plain fields, and
    `ticket.status_changed` / `ticket.assigned` when those moved."""
    after = _event_values(ticket)
    changes = {field: {"old": _jsonable(before[field]), "new": _jsonable(after[field])}
               for field in _EVENT_FIELDS if before[field] != after[field]}
    if changes:
        emit_ticket_event(session, type=EventType.TICKET_UPDATED, actor=actor, ticket=ticket,
                          extra={"changes": changes}, at=now)
    if status != ticket.status:
        emit_ticket_event(session, type=EventType.TICKET_STATUS_CHANGED, actor=actor,
                          ticket=ticket, at=now,
                          extra={"old_status": status, "new_status": ticket.status})
    if assignee_id != ticket.assignee_id or assignee_ref != ticket.assignee_ref:
        emit_ticket_event(session, type=EventType.TICKET_ASSIGNED, actor=actor, ticket=ticket,
                          at=now, extra={"previous_assignee": _user_ref(assignee, assignee_ref),
                                         "assignee": _user_ref(ticket.assignee,
                                                               ticket.assignee_ref)})


def _user_ref(user: User | None, ref: str | None) -> dict[str, Any] | None:
    if user is not None:
        return {"id": user.id, "public_id": str(user.public_id), "username": user.username}
    return {"id": None, "public_id": None, "username": ref} if ref else None


class _Before:
    """What a mutation compares against to decide which events it emits."""

    __slots__ = ("assignee", "assignee_id", "assignee_ref", "status", "values")

    def __init__(self, ticket: Ticket) -> None:
        self.values = _event_values(ticket)
        self.status = ticket.status
        self.assignee = ticket.assignee
        self.assignee_id = ticket.assignee_id
        self.assignee_ref = ticket.assignee_ref

    def emit(self, session: Session, ticket: Ticket, actor: User, now: datetime) -> None:
        _emit_changes(session, ticket, actor, now, before=self.values, status=self.status,
                      assignee=self.assignee, assignee_id=self.assignee_id,
                      assignee_ref=self.assignee_ref)


# --------------------------------------------------------------------------- validation


def _classifies_on_create(config: QueueConfig) -> bool:
    """With keyword rules and no rule that the client must choose, the classifier chooses."""
    required = config.settings.get("field_rules", {}).get("required", ())
    return "category" not in required and any(c.keywords for c in config.categories.values())


def value_problems(config: QueueConfig, values: dict[str, Any], *,
                   partial: bool) -> list[dict[str, Any]]:
    """Everything wrong with ticket values under the queue's configuration: choices that do
    not exist, and the queue's field rules (`settings.field_rules`: required fields, lengths,
    e-mail fields; `settings.metadata_rules`). Messages name fields as the queue's document
    does (`settings.field_labels`, e.g. title -> subject). `partial`: only the given fields."""
    labels: dict[str, str] = config.settings.get("field_labels", {})
    rules: dict[str, Any] = config.settings.get("field_rules", {})
    problems: list[dict[str, Any]] = []

    def label(field: str) -> str:
        return labels.get(field, field)

    def bad(field: str, message: str) -> None:
        problems.append({"field": label(field), "message": message})

    lengths: dict[str, list[int]] = rules.get("lengths", {})
    for field in rules.get("required", ()):
        present = field in values
        value = values.get(field)
        # A blank value of a field with a length rule is answered by that rule.
        blank = isinstance(value, str) and not value.strip() and field not in lengths
        if (not partial or present) and (value is None or blank):
            bad(field, f"{label(field)} is required")
    for field in rules.get("emails", ()):
        value = values.get(field)
        if isinstance(value, str) and value.strip() and not is_valid_email(value):
            bad(field, f"{label(field)} must be a valid email address")
    for field, (low, high) in lengths.items():
        value = values.get(field)
        # Whitespace alone counts as empty.
        if isinstance(value, str) and not low <= (len(value) if value.strip() else 0) <= high:
            bad(field, f"{label(field)} must be between {low} and {high} characters")

    # The configuration's own mappings: a membership test each, no list built per call.
    def choice(field: str, allowed: Collection[str]) -> None:
        value = values.get(field)
        if value is not None and value not in allowed:
            bad(field, f"{label(field)} must be one of: {', '.join(allowed) or '(none)'}")

    choice("priority", config.priorities)
    if config.categories:
        choice("category", config.categories)
    if "ticket_type" in values:
        choice("ticket_type", config.ticket_types)
    if "status" in values:
        choice("status", config.statuses)
    for field in _REFERENCE_FIELDS:
        if field in config.reference_lists:
            choice(field, config.reference_lists[field])
    metadata = values.get("metadata")
    if isinstance(metadata, dict):
        for key, rule in config.settings.get("metadata_rules", {}).items():
            value = metadata.get(key)
            if value is None:
                if rule.get("required"):
                    problems.append({"field": f"metadata.{key}",
                                     "message": f"metadata.{key} is required"})
                continue
            allowed = list(config.reference_lists.get(rule.get("list", ""), {}))
            if allowed and value not in allowed:
                problems.append({"field": f"metadata.{key}", "message":
                                 f"metadata.{key} must be one of: {', '.join(allowed)}"})
    return problems


def _check_values(config: QueueConfig, values: dict[str, Any], *, partial: bool) -> None:
    problems = value_problems(config, values, partial=partial)
    if problems:
        raise ValidationFailed(
            problems[0]["message"] if len(problems) == 1
            else f"{len(problems)} fields are invalid for queue {config.key!r}",
            details=problems)


def _resolve_team(session: Session, team_public_id: uuid.UUID | None) -> int | None:
    if team_public_id is None:
        return None
    team_id = session.scalar(select(Team.id).where(Team.public_id == team_public_id))
    if team_id is None:
        raise TeamNotFound(f"team {team_public_id} does not exist", field="team_id")
    return team_id


def _resolve_user(session: Session, user_public_id: uuid.UUID, field: str) -> User:
    user = session.scalars(select(User).where(User.public_id == user_public_id)).one_or_none()
    if user is None:
        raise UserNotFound(f"user {user_public_id} does not exist", field=field)
    return user


def _set_tags(session: Session, ticket: Ticket, tags: list[str]) -> None:
    if ticket.id is not None:
        session.execute(delete(TicketTag).where(TicketTag.ticket_id == ticket.id))
    ticket.tags = tags
    session.add_all([TicketTag(ticket_id=ticket.id, tag=tag) for tag in tags])


def _normalise_tags(tags: list[str] | None) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags or []:
        seen.setdefault(tag.strip(), None)
    return list(seen)


# --------------------------------------------------------------------------- reads


# Built once: constructing a statement costs more than executing it on the hot path.
_BY_PUBLIC_ID = (select(Ticket)
                 .where(Ticket.public_id == bindparam("ref"), Ticket.deleted_at.is_(None))
                 .options(*_EAGER))
_BY_PUBLIC_ID_FOR_UPDATE = _BY_PUBLIC_ID.with_for_update(of=Ticket)
_BY_KEY = select(Ticket).where(Ticket.key == bindparam("ref"), Ticket.deleted_at.is_(None)).options(*_EAGER)


def _load_one(session: Session, stmt: Select[tuple[Ticket]], ref: object) -> Ticket | None:
    return session.scalars(stmt, {"ref": ref}).unique().one_or_none()


def get_ticket(session: Session, *, actor: User, ticket_id: uuid.UUID,
               for_update: bool = False) -> Ticket:
    """A ticket the actor may see; others' tickets are indistinguishable from missing ones."""
    ticket = _load_one(session, _BY_PUBLIC_ID_FOR_UPDATE if for_update else _BY_PUBLIC_ID,
                       ticket_id)
    if ticket is None or not permissions.can_view(actor, ticket):
        raise TicketNotFound(f"ticket {ticket_id} not found")
    return ticket


_VIEW_BY_PUBLIC_ID = (select(*VIEW_COLUMNS).select_from(VIEW_FROM)
                      .where(Ticket.__table__.c.public_id == bindparam("ref"), live_ticket()))


def get_ticket_view(session: Session, *, actor: User, ticket_id: uuid.UUID) -> TicketView:
    """`get_ticket` for showing it: the same rules, read with Core (see `tickets.views`)."""
    row = session.connection().execute(_VIEW_BY_PUBLIC_ID, {"ref": ticket_id}).first()
    view = None if row is None else ticket_view(row)
    if view is None or not permissions.can_view(actor, view):
        raise TicketNotFound(f"ticket {ticket_id} not found")
    return view


_VIEWS_BY_IDS = (select(*VIEW_COLUMNS).select_from(VIEW_FROM)
                 .where(Ticket.__table__.c.id.in_(bindparam("ids", expanding=True))))


def load_ticket_views(session: Session, ids: Sequence[int]) -> list[TicketView]:
    """The views of tickets, in the order of `ids`: ids a caller already chose by the
    visibility rules (a list page)."""
    if not ids:
        return []
    by_id = {view.id: view for view in map(
        ticket_view, session.connection().execute(_VIEWS_BY_IDS, {"ids": list(ids)}))}
    return [by_id[ticket_id] for ticket_id in ids]


_BY_ID = (select(Ticket).where(Ticket.id == bindparam("ref"), Ticket.deleted_at.is_(None))
          .options(*_EAGER))


def get_ticket_by_id(session: Session, *, actor: User, id: int) -> Ticket:
    """By the integer id documents that number tickets show (enterprise: `GET /tickets/123`)."""
    ticket = _load_one(session, _BY_ID, id)
    if ticket is None or not permissions.can_view(actor, ticket):
        raise TicketNotFound(f"ticket {id} not found")
    return ticket


def get_ticket_by_key(session: Session, *, actor: User, key: str) -> Ticket:
    ticket = _load_one(session, _BY_KEY, key)
    if ticket is None or not permissions.can_view(actor, ticket):
        raise TicketNotFound(f"ticket {key} not found")
    return ticket


@dataclass(frozen=True, slots=True)
class TicketListPage:
    items: Sequence[Ticket]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.size) if self.size else 0


_SORT_COLUMNS: dict[str, Any] = {
    "created_at": Ticket.created_at,
    "updated_at": Ticket.updated_at,
    "priority": Ticket.priority_rank,
    "status": Ticket.status,
    "title": Ticket.title,
    "key": Ticket.number,
    "number": Ticket.number,
    "resolution_due_at": Ticket.resolution_due_at,
    "response_due_at": Ticket.response_due_at,
    "category": Ticket.category,
}


def filtered_tickets(session: Session, actor: User, filters: TicketFilters) -> Select[tuple[Ticket]]:
    stmt = select(Ticket).where(permissions.visible_tickets(actor))
    if not (filters.include_deleted and actor.role_enum is Role.ADMIN):
        stmt = stmt.where(Ticket.deleted_at.is_(None))
    if filters.queue is not None:
        stmt = stmt.where(Ticket.queue_id == find_queue_config(session, filters.queue).id)
    if filters.status:
        stmt = stmt.where(Ticket.status.in_(filters.status))
    if filters.status_category:
        stmt = stmt.where(Ticket.status_category.in_(filters.status_category))
    if filters.priority:
        stmt = stmt.where(Ticket.priority.in_(filters.priority))
    if filters.category:
        stmt = stmt.where(Ticket.category.in_(filters.category))
    if filters.ticket_type:
        stmt = stmt.where(Ticket.ticket_type.in_(filters.ticket_type))
    if filters.environment:
        stmt = stmt.where(Ticket.environment.in_(filters.environment))
    if filters.tool:
        stmt = stmt.where(Ticket.tool.in_(filters.tool))
    if filters.location:
        stmt = stmt.where(Ticket.location.in_(filters.location))
    if filters.tags:
        # Every requested tag must be present.
        tagged = (
            select(TicketTag.ticket_id)
            .where(TicketTag.tag.in_(filters.tags))
            .group_by(TicketTag.ticket_id)
            .having(func.count() == len(set(filters.tags)))
        )
        stmt = stmt.where(Ticket.id.in_(tagged))
    if filters.assignee_id is not None:
        stmt = stmt.where(Ticket.assignee_id == select(User.id).where(
            User.public_id == filters.assignee_id).scalar_subquery())
    if filters.assignee_ref is not None:
        stmt = stmt.where(or_(
            Ticket.assignee_ref == filters.assignee_ref,
            Ticket.assignee_id == select(User.id).where(
                User.username == filters.assignee_ref).scalar_subquery()))
    if filters.customer_email is not None:
        # The first term only lets SQLite use the partial index (see CUSTOMER_EMAIL_PRESENT).
        stmt = stmt.where(Ticket.customer_email.is_not(None),
                          func.lower(Ticket.customer_email) == filters.customer_email.lower())
    if filters.unassigned is not None:
        stmt = stmt.where(Ticket.assignee_id.is_(None) if filters.unassigned
                          else Ticket.assignee_id.is_not(None))
    if filters.requester_id is not None:
        stmt = stmt.where(Ticket.requester_id == select(User.id).where(
            User.public_id == filters.requester_id).scalar_subquery())
    if filters.team_id is not None:
        stmt = stmt.where(Ticket.team_id == select(Team.id).where(
            Team.public_id == filters.team_id).scalar_subquery())
    if filters.requester_ids:
        stmt = stmt.where(Ticket.requester_id.in_(filters.requester_ids))
    if filters.assignee_ids:
        stmt = stmt.where(Ticket.assignee_id.in_(filters.assignee_ids))
    if filters.team_codes:
        stmt = stmt.where(Ticket.team_id.in_(select(Team.id).where(Team.code.in_(filters.team_codes))))
    if filters.created_after is not None:
        stmt = stmt.where(Ticket.created_at >= filters.created_after)
    if filters.created_before is not None:
        stmt = stmt.where(Ticket.created_at <= filters.created_before)
    if filters.updated_after is not None:
        stmt = stmt.where(Ticket.updated_at >= filters.updated_after)
    if filters.updated_before is not None:
        stmt = stmt.where(Ticket.updated_at <= filters.updated_before)
    if filters.search:
        # The full-text index (title, description, comments; internal ones only for agents).
        stmt = stmt.where(text_condition(session, text=filters.search, agent=actor.is_agent))
    return stmt


def ticket_sort_column(session: Session, filters: TicketFilters, sort_by: str) -> Any:
    """The expression a list sorts by (`SortField`); NULLs sort last in either direction."""
    column = _SORT_COLUMNS.get(sort_by)
    if sort_by == "status" and filters.queue is not None:
        # Within one queue, statuses sort in lifecycle order rather than alphabetically.
        lifecycle = list(find_queue_config(session, filters.queue).statuses)
        column = case({key: i for i, key in enumerate(lifecycle)}, value=Ticket.status,
                      else_=len(lifecycle))
    if column is None:
        raise ValidationFailed(f"cannot sort by {sort_by!r}; allowed: {', '.join(_SORT_COLUMNS)}",
                               field="sort_by")
    return column


def list_tickets(
    session: Session, *, actor: User, filters: TicketFilters, page: int = 1, size: int = 20,
    sort_by: str = "created_at", order: str = "desc", offset: int | None = None,
) -> TicketListPage:
    """A page of matching tickets; `offset` (skip/limit APIs) overrides `page`."""
    stmt = filtered_tickets(session, actor, filters)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    column = ticket_sort_column(session, filters, sort_by)
    descending = order.lower() == "desc"
    ordering = [column.desc().nulls_last() if descending else column.asc().nulls_last(),
                Ticket.id.desc() if descending else Ticket.id.asc()]
    items = session.scalars(
        stmt.options(*_EAGER).order_by(*ordering)
        .offset(offset if offset is not None else (page - 1) * size).limit(size)
    ).unique().all()
    return TicketListPage(items, total, page, size)


def iter_ticket_batches(
    session: Session, *, actor: User, filters: TicketFilters, batch_size: int = 500,
) -> Iterator[Sequence[Ticket]]:
    """Every matching ticket, oldest first, in keyset-paginated batches (bounded memory)."""
    base = filtered_tickets(session, actor, filters).options(*_EAGER).order_by(Ticket.id)
    last_id = 0
    while True:
        batch = session.scalars(base.where(Ticket.id > last_id).limit(batch_size)).unique().all()
        if not batch:
            return
        yield batch
        last_id = batch[-1].id
        session.expunge_all()


def count_tickets(session: Session, *, actor: User, filters: TicketFilters) -> int:
    stmt = filtered_tickets(session, actor, filters)
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def list_history(session: Session, *, actor: User, ticket_id: uuid.UUID,
                 language: str = "en") -> list[tuple[TicketHistory, str]]:
    """Every history row the actor may see, oldest first, each with its sentence."""
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id)
    config = get_queue_config(session, ticket.queue_id)
    rows = list_ticket_history(session, ticket_id=ticket.id, include_internal=actor.is_agent)
    return [(row, describe_entry(
        row, language=language,
        value_label=lambda field, value: config.label(field, value, language))) for row in rows]


def list_change_groups(session: Session, *, actor: User, ticket: Ticket, language: str,
                       include_creation: bool = True) -> list[ChangeGroup]:
    """The ticket's history as sentences in `language`, one group per action."""
    config = get_queue_config(session, ticket.queue_id)
    rows = list_ticket_history(session, ticket_id=ticket.id, include_internal=actor.is_agent)
    if not include_creation:
        rows = [row for row in rows if row.change_type != ChangeType.CREATED]
    return group_changes(rows, language=language,
                         value_label=lambda field, value: config.label(field, value, language))


def record_modification(session: Session, *, actor: User, ticket: Ticket, field: str | None,
                        old: str | None, new: str | None, reason: str | None) -> ChangeGroup:
    """A change made outside Ticketry, recorded by hand into the ticket's history."""
    if not actor.is_agent:
        raise PermissionDenied("only agents may record modifications")
    now = utcnow()
    entry_id = record_change(session, ticket_id=ticket.id, actor=actor,
                             change_type=ChangeType.MODIFICATION, at=now, field=field, old=old,
                             new=new, details={"reason": reason} if reason else {})
    entry = session.get_one(TicketHistory, entry_id)
    set_committed_value(entry, "actor", actor)
    ticket.updated_at = now
    session.flush()
    config = get_queue_config(session, ticket.queue_id)
    return group_changes([entry], language=config.default_language,
                         value_label=lambda f, v: config.label(f, v, config.default_language))[0]


# --------------------------------------------------------------------------- create


def _custom_key(session: Session, config: QueueConfig, key: str) -> str:
    if not config.settings.get("allow_custom_ticket_num"):
        raise ValidationFailed(f"queue {config.key!r} assigns ticket numbers itself", field="key")
    if session.scalar(select(Ticket.id).where(Ticket.key == key)) is not None:
        raise TicketKeyTaken(f"ticket number {key} is already taken", field="key")
    return key


_ID_BY_KEY = select(Ticket.id).where(Ticket.key == bindparam("key"))


def create_ticket(session: Session, *, actor: User, data: TicketCreate,
                  settings: Settings | None = None, now: datetime | None = None) -> Ticket:
    settings = settings or get_settings()
    now = now or utcnow()
    config = find_queue_config(session, data.queue)
    values = data.model_dump(exclude_unset=True)
    classification = None
    if data.category is None and _classifies_on_create(config):
        # No category from the client: the queue's keyword rules choose one.
        classification = best_classification(session, config, data.title, data.description)
        values["category"] = classification.category
    _check_values(config, values, partial=False)

    requester = actor
    if data.requester_id is not None and data.requester_id != actor.public_id:
        if not actor.is_agent:
            raise PermissionDenied("only agents may file tickets on behalf of another user")
        requester = _resolve_user(session, data.requester_id, "requester_id")

    priority = config.priorities.get(data.priority) if data.priority else config.default_priority
    status = config.initial_status
    public_id = uuid.uuid4()
    key, number = next_ticket_key(session, config, ticket_type=data.ticket_type, now=now,
                                  public_id=public_id)
    if data.key is not None:
        key = _custom_key(session, config, data.key)
    else:
        # A client-chosen key may have taken a number of the sequence: skip past it.
        while session.scalar(_ID_BY_KEY, {"key": key}) is not None:
            key, number = next_ticket_key(session, config, ticket_type=data.ticket_type,
                                          now=now, public_id=public_id)
    targets = compute_targets(now, priority, enabled=settings.sla_enabled,
                              calendar=business_calendar(config))
    tags = _normalise_tags(data.tags)
    ticket = Ticket(
        public_id=public_id,
        key=key,
        number=number,
        queue_id=config.id,
        ticket_type=data.ticket_type,
        title=data.title,
        description=data.description,
        status=status.key,
        status_category=status.category,
        priority=priority.key if priority else None,
        priority_rank=priority.rank if priority else None,
        category=values.get("category"),
        tags=tags,
        requester_id=requester.id,
        assignee_id=None,  # loaded as None, so `ticket.assignee = None` below is not an UPDATE
        customer_id=data.customer_id,
        customer_email=data.customer_email,
        customer_name=data.customer_name,
        notifier=data.notifier,
        team_id=_resolve_team(session, data.team_id),
        location=data.location,
        tool=data.tool,
        affected_service=data.affected_service,
        environment=data.environment,
        impact_level=data.impact_level,
        people=list(data.people or []),
        channel=data.channel.value if data.channel else None,
        url=data.url,
        extra=dict(data.metadata or {}),
        due_at=data.due_at,
        response_due_at=targets.response_due_at,
        resolution_due_at=targets.resolution_due_at,
        manual_override=False,
        version=1,
        created_at=now,
        updated_at=now,
    )
    if classification is not None:
        apply_classification(ticket, classification, set_category=False)
    session.add(ticket)
    session.flush()
    session.add_all([TicketTag(ticket_id=ticket.id, tag=tag) for tag in tags])
    record_change(session, ticket_id=ticket.id, actor=actor, change_type=ChangeType.CREATED,
                  at=now, details={"key": key, "queue": config.key})
    if data.assignee_ref is not None:
        ticket.assignee = None
        _assign_ref(session, ticket, actor, data.assignee_ref, now)
    if data.status is not None and data.status != status.key:
        if not actor.is_agent and not config.settings.get("requester_sets_status"):
            raise PermissionDenied("only agents may create a ticket in a status other than "
                                   f"{status.key}")
        _transition(session, ticket, config, actor, data.status, now, settings)
    log.info("ticket_created", key=key, queue=config.key, actor=actor.username)
    # The related rows the view shows, set as loaded (their keys are already in the row):
    # assigned, they would mark the ticket changed and cost the flush below a pass over it.
    set_committed_value(ticket, "requester", requester)
    if ticket.assignee_id is None:
        set_committed_value(ticket, "assignee", None)
    set_committed_value(ticket, "queue", queue_of_config(session, config))
    set_committed_value(ticket, "team",
                        session.get(Team, ticket.team_id) if ticket.team_id else None)
    emit_ticket_event(session, type=EventType.TICKET_CREATED, actor=actor, ticket=ticket, at=now)
    if ticket.assignee_id is not None:
        emit_ticket_event(session, type=EventType.TICKET_ASSIGNED, actor=actor, ticket=ticket,
                          at=now, extra={"previous_assignee": None,
                                         "assignee": _user_ref(ticket.assignee, None)})
    _apply_approval_rules(session, actor, ticket, None, now, settings)
    session.flush()
    return ticket


# --------------------------------------------------------------------------- mutations


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and ticket.version != expected_version:
        raise VersionMismatch(
            f"ticket has changed (version {ticket.version}, If-Match gave {expected_version})"
        )


def _touch(ticket: Ticket, now: datetime) -> None:
    ticket.version += 1
    ticket.updated_at = now


def _apply(session: Session, ticket: Ticket, config: QueueConfig, actor: User,
           changes: dict[str, Any], now: datetime, settings: Settings) -> bool:
    """Set plain fields, priority and tags; one history row per changed field."""
    changed = False
    _check_values(config, changes, partial=True)
    if "team_id" in changes:
        team_id = _resolve_team(session, changes.pop("team_id"))
        if team_id != ticket.team_id:
            record_change(session, ticket_id=ticket.id, actor=actor,
                          change_type=ChangeType.UPDATE, at=now, field="team",
                          old=ticket.team.key if ticket.team else None,
                          new=session.get(Team, team_id).key if team_id else None)  # type: ignore[union-attr]
            ticket.team_id = team_id
            ticket.team = session.get(Team, team_id) if team_id else None
            changed = True
    if "priority" in changes:
        key = changes.pop("priority")
        priority = config.priorities.get(key) if key else config.default_priority
        new_key = priority.key if priority else None
        if new_key != ticket.priority:
            record_change(session, ticket_id=ticket.id, actor=actor,
                          change_type=ChangeType.PRIORITY_CHANGE, at=now, field="priority",
                          old=ticket.priority, new=new_key)
            retarget(ticket, config.priorities.get(ticket.priority or ""), priority,
                     enabled=settings.sla_enabled, calendar=business_calendar(config), now=now)
            ticket.priority = new_key
            ticket.priority_rank = priority.rank if priority else None
            changed = True
    if "tags" in changes:
        tags = _normalise_tags(changes.pop("tags"))
        if tags != list(ticket.tags or []):
            record_change(session, ticket_id=ticket.id, actor=actor, change_type=ChangeType.UPDATE,
                          at=now, field="tags", old=ticket.tags, new=tags)
            _set_tags(session, ticket, tags)
            changed = True
    for field, value in changes.items():
        attribute = _PLAIN_FIELDS[field]
        if field == "channel" and value is not None:
            value = str(value)
        if field == "people":
            value = list(value or [])
        if field == "metadata":
            value = dict(value or {})
        old = getattr(ticket, attribute)
        if old == value:
            continue
        record_change(session, ticket_id=ticket.id, actor=actor, change_type=ChangeType.UPDATE,
                      at=now, field=field,
                      old=old if field != "metadata" else None,
                      new=value if field != "metadata" else None,
                      details={"internal": True} if field in _INTERNAL_FIELDS else None)
        setattr(ticket, attribute, value)
        if field == "category":
            # A person chose the category: the classifier must leave it alone from now on.
            ticket.manual_override = True
        changed = True
    return changed


def _transition(session: Session, ticket: Ticket, config: QueueConfig, actor: User,
                target_key: str, now: datetime, settings: Settings, *,
                resolution_notes: str | None = None, notes: str | None = None) -> None:
    """Move the ticket along the queue's lifecycle, keeping the timestamps that depend on it."""
    target = config.statuses.get(target_key)
    if target is None:
        raise ValidationFailed(
            f"{target_key!r} is not a status of queue {config.key!r}; "
            f"statuses: {', '.join(config.statuses)}", field="status")
    current = config.statuses.get(ticket.status)
    allowed = list(current.transitions) if current else list(config.statuses)
    if target.key not in allowed:
        raise InvalidTransition(
            f"cannot move a ticket from {ticket.status} to {target.key}; "
            f"allowed next statuses: {', '.join(allowed) or '(none)'}",
            allowed=allowed, current=ticket.status, requested=target.key,
        )
    if current is not None and current.category == "closed" and target.category != "closed":
        _check_reopen_window(ticket, now, config, settings)
    if target.category == "solved":
        text = (resolution_notes or "").strip()
        if not text and config.settings.get("resolution_notes_required", True):
            raise ValidationFailed("resolution_notes are required to resolve a ticket",
                                   field="resolution_notes")
        ticket.resolution_notes = text or ticket.resolution_notes
        ticket.resolved_at = now
        ticket.resolution_minutes = int((now - ticket.created_at).total_seconds() // 60)
    elif target.category == "closed":
        ticket.closed_at = now
    elif target.category == "deleted":
        ticket.deleted_at = now
    elif current is not None and current.category in ("solved", "closed"):
        # Reopened: the resolution no longer stands.
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.resolution_minutes = None
    # The SLA clock stops in pending statuses and resumes, due times moved, when a ticket leaves.
    sla = track_pause(ticket, entering=target.category, now=now, calendar=business_calendar(config))
    record_change(
        session, ticket_id=ticket.id, actor=actor,
        change_type=_status_change_type(target), at=now, field="status",
        old=ticket.status, new=target.key,
        details={**{k: v for k, v in {"notes": notes, "resolution_notes": resolution_notes}.items()
                    if v}, **sla},
    )
    log.info("ticket_status_changed", key=ticket.key, old=ticket.status, new=target.key,
             actor=actor.username)
    ticket.status = target.key
    ticket.status_category = target.category


def _status_change_type(target: StatusConfig) -> str:
    if target.history_type:
        return target.history_type
    return {"solved": ChangeType.RESOLVED, "closed": ChangeType.CLOSED,
            "deleted": ChangeType.DELETED}.get(target.category, ChangeType.STATUS_CHANGE)


def _check_reopen_window(ticket: Ticket, now: datetime, config: QueueConfig,
                         settings: Settings) -> None:
    days = config.settings.get("reopen_window_days") or settings.ticket_reopen_window_days
    if ticket.closed_at is not None and now - ticket.closed_at > timedelta(days=days):
        raise ReopenWindowExpired(
            f"ticket was closed more than {days} days ago and can no longer be reopened")


def _assign(session: Session, ticket: Ticket, actor: User, assignee_public_id: uuid.UUID | None,
            now: datetime, notes: str | None = None) -> bool:
    assignee = None
    if assignee_public_id is not None:
        assignee = _resolve_user(session, assignee_public_id, "assignee_id")
        if not assignee.is_active or not assignee.is_agent:
            raise ValidationFailed("tickets can only be assigned to active agents",
                                   field="assignee_id")
    if not permissions.can_assign(actor, ticket, assignee):
        raise PermissionDenied("you may not assign this ticket to that user")
    if (assignee.id if assignee else None) == ticket.assignee_id:
        return False
    record_change(session, ticket_id=ticket.id, actor=actor,
                  change_type=ChangeType.ASSIGNMENT_CHANGE, at=now, field="assignee",
                  old=ticket.assignee.username if ticket.assignee else None,
                  new=assignee.username if assignee else None,
                  details={"notes": notes} if notes else {})
    log.info("ticket_assigned", key=ticket.key, assignee=assignee.username if assignee else None,
             actor=actor.username)
    ticket.assignee_id = assignee.id if assignee else None
    ticket.assignee = assignee
    return True


def _assign_ref(session: Session, ticket: Ticket, actor: User, ref: str | None,
                now: datetime) -> bool:
    """Assign by username when that names an agent; otherwise keep the outside identifier."""
    agent = session.scalars(select(User).where(User.username == ref)).one_or_none() \
        if ref else None
    if agent is not None and agent.is_agent and agent.is_active:
        changed = _assign(session, ticket, actor, agent.public_id, now)
        ticket.assignee_ref = None
        return changed
    if not permissions.can_assign(actor, ticket, None):
        raise PermissionDenied("you may not assign this ticket")
    if ref == ticket.assignee_ref and ticket.assignee_id is None:
        return False
    record_change(session, ticket_id=ticket.id, actor=actor,
                  change_type=ChangeType.ASSIGNMENT_CHANGE, at=now, field="assignee",
                  old=ticket.assignee.username if ticket.assignee else ticket.assignee_ref,
                  new=ref)
    ticket.assignee_id = None
    ticket.assignee = None
    ticket.assignee_ref = ref
    return True


def _mutable(session: Session, actor: User, ticket_id: uuid.UUID,
             expected_version: int | None) -> tuple[Ticket, QueueConfig]:
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id, for_update=True)
    _check_version(ticket, expected_version)
    return ticket, get_queue_config(session, ticket.queue_id)


def _require_edit(actor: User, ticket: Ticket) -> None:
    if not permissions.can_edit(actor, ticket):
        raise PermissionDenied(_edit_denial(actor))


def _edit_denial(actor: User) -> str:
    if not actor.is_agent:
        return "end users cannot change tickets"
    return "you may only change tickets assigned to you (or your team's, as a team lead)"


def update_ticket(
    session: Session, *, actor: User, ticket_id: uuid.UUID, data: TicketPatch | TicketReplace,
    expected_version: int | None = None, settings: Settings | None = None,
) -> Ticket:
    """PATCH (only the given fields) or PUT (the editable content as a whole)."""
    settings = settings or get_settings()
    ticket, config = _mutable(session, actor, ticket_id, expected_version)
    now = utcnow()
    if isinstance(data, TicketReplace):
        changes = data.model_dump()
        changes["tags"] = changes["tags"] or []
        changes["people"] = changes["people"] or []
        changes["metadata"] = changes["metadata"] or {}
        status = assignee = resolution_notes = ref = rating = None
        assignee_given = ref_given = rating_given = False
    else:
        changes = data.model_dump(exclude_unset=True)
        status = changes.pop("status", None)
        assignee_given = "assignee_id" in changes
        assignee = changes.pop("assignee_id", None)
        ref_given = "assignee_ref" in changes
        ref = changes.pop("assignee_ref", None)
        resolution_notes = changes.pop("resolution_notes", None)
        rating_given = "satisfaction_rating" in changes
        rating = changes.pop("satisfaction_rating", None)
    for required in ("title", "description"):
        if required in changes and changes[required] is None:
            raise ValidationFailed(f"{required} cannot be null", field=required)

    before = _Before(ticket)
    changed = False
    if assignee_given:
        changed |= _assign(session, ticket, actor, assignee, now)
    if ref_given:
        changed |= _assign_ref(session, ticket, actor, ref, now)
    if rating_given:
        changed |= _rate(session, ticket, actor, rating, now)
    if changes:
        _require_edit(actor, ticket)
        changed |= _apply(session, ticket, config, actor, changes, now, settings)
    if status is not None and status != ticket.status:
        _require_edit(actor, ticket)
        _transition(session, ticket, config, actor, status, now, settings,
                    resolution_notes=resolution_notes)
        changed = True
    if changed:
        _touch(ticket, now)
        before.emit(session, ticket, actor, now)
    if ticket.status != before.status:
        _apply_approval_rules(session, actor, ticket, before.status, now, settings)
    session.flush()
    return ticket


def _rate(session: Session, ticket: Ticket, actor: User, rating: int | None,
          now: datetime) -> bool:
    """The requester rates their ticket; editors may record a rating given another way."""
    if ticket.requester_id != actor.id and not permissions.can_edit(actor, ticket):
        raise PermissionDenied("only the requester or an agent who may edit it can rate a ticket")
    if rating == ticket.satisfaction_rating:
        return False
    record_change(session, ticket_id=ticket.id, actor=actor, change_type=ChangeType.UPDATE,
                  at=now, field="satisfaction_rating", old=ticket.satisfaction_rating, new=rating)
    ticket.satisfaction_rating = rating
    return True


def change_status(
    session: Session, *, actor: User, ticket_id: uuid.UUID, status: str,
    notes: str | None = None, resolution_notes: str | None = None,
    expected_version: int | None = None, settings: Settings | None = None,
) -> Ticket:
    settings = settings or get_settings()
    ticket, config = _mutable(session, actor, ticket_id, expected_version)
    reopen_status = config.settings.get("reopen_status")
    if status == reopen_status:
        if not permissions.can_reopen(actor, ticket):
            raise PermissionDenied("only the requester or an agent who may edit it can reopen")
    else:
        _require_edit(actor, ticket)
    now = utcnow()
    previous = ticket.status
    _transition(session, ticket, config, actor, status, now, settings,
                resolution_notes=resolution_notes, notes=notes)
    _touch(ticket, now)
    _emit_status_changed(session, ticket, actor, now, previous)
    _apply_approval_rules(session, actor, ticket, previous, now, settings)
    session.flush()
    return ticket


def _emit_status_changed(session: Session, ticket: Ticket, actor: User, now: datetime,
                         previous: str) -> None:
    emit_ticket_event(session, type=EventType.TICKET_STATUS_CHANGED, actor=actor, ticket=ticket,
                      at=now, extra={"old_status": previous, "new_status": ticket.status})


def move_ticket_status(session: Session, *, actor: User, ticket: Ticket, status: str,
                       now: datetime | None = None, settings: Settings | None = None,
                       notes: str | None = None) -> Ticket:
    """Move a loaded, locked ticket for a workflow that decided the move (approvals): the
    lifecycle's rules, history and events apply; the caller has checked who may."""
    settings = settings or get_settings()
    now = now or utcnow()
    config = get_queue_config(session, ticket.queue_id)
    previous = ticket.status
    _transition(session, ticket, config, actor, status, now, settings, notes=notes)
    _touch(ticket, now)
    _emit_status_changed(session, ticket, actor, now, previous)
    return ticket


def _apply_approval_rules(session: Session, actor: User, ticket: Ticket, previous: str | None,
                          now: datetime, settings: Settings) -> None:
    """The queue's approval rules after a ticket is created (`previous` None) or moved."""
    # Imported here: the approvals feature builds on this module.
    from ticketry.domain.approvals.service import apply_approval_rules

    apply_approval_rules(session, actor=actor, ticket=ticket, previous_status=previous, now=now,
                         settings=settings)


def assign_ticket(session: Session, *, actor: User, ticket_id: uuid.UUID,
                  assignee_id: uuid.UUID | None, notes: str | None = None) -> Ticket:
    if not actor.is_agent:
        raise PermissionDenied("only agents may assign tickets")
    ticket, _config = _mutable(session, actor, ticket_id, None)
    now = utcnow()
    before = _Before(ticket)
    if _assign(session, ticket, actor, assignee_id, now, notes):
        _touch(ticket, now)
        before.emit(session, ticket, actor, now)
    session.flush()
    return ticket


def _target_in_category(config: QueueConfig, ticket: Ticket, category: str, action: str) -> str:
    """The status an action leads to: the queue's named one (`close_status`, ...) if allowed,
    else the first allowed next status of that category."""
    current = config.statuses.get(ticket.status)
    allowed = current.transitions if current else ()
    named = config.settings.get(f"{_ACTION_SETTING[category]}_status")
    if named in allowed:
        return str(named)
    for key in allowed:
        if config.statuses[key].category == category:
            return key
    raise InvalidTransition(
        f"a ticket in status {ticket.status} cannot be {action}; "
        f"allowed next statuses: {', '.join(allowed) or '(none)'}",
        allowed=list(allowed), current=ticket.status,
    )


_ACTION_SETTING = {"solved": "resolve", "closed": "close", "open": "reopen"}


def resolve_ticket(session: Session, *, actor: User, ticket_id: uuid.UUID,
                   resolution_notes: str, settings: Settings | None = None) -> Ticket:
    settings = settings or get_settings()
    if not actor.is_agent:
        raise PermissionDenied("only agents may resolve tickets")
    ticket, config = _mutable(session, actor, ticket_id, None)
    _require_edit(actor, ticket)
    now = utcnow()
    target = _target_in_category(config, ticket, "solved", "resolved")
    previous = ticket.status
    _transition(session, ticket, config, actor, target, now, settings,
                resolution_notes=resolution_notes)
    _touch(ticket, now)
    _emit_status_changed(session, ticket, actor, now, previous)
    _apply_approval_rules(session, actor, ticket, previous, now, settings)
    session.flush()
    return ticket


def close_ticket(session: Session, *, actor: User, ticket_id: uuid.UUID,
                 notes: str | None = None, settings: Settings | None = None) -> Ticket:
    settings = settings or get_settings()
    if not actor.is_agent:
        raise PermissionDenied("only agents may close tickets")
    ticket, config = _mutable(session, actor, ticket_id, None)
    _require_edit(actor, ticket)
    now = utcnow()
    target = _target_in_category(config, ticket, "closed", "closed")
    previous = ticket.status
    _transition(session, ticket, config, actor, target, now, settings, notes=notes)
    _touch(ticket, now)
    _emit_status_changed(session, ticket, actor, now, previous)
    _apply_approval_rules(session, actor, ticket, previous, now, settings)
    session.flush()
    return ticket


def reopen_ticket(session: Session, *, actor: User, ticket_id: uuid.UUID,
                  reason: str | None = None, settings: Settings | None = None) -> Ticket:
    settings = settings or get_settings()
    ticket, config = _mutable(session, actor, ticket_id, None)
    if not permissions.can_reopen(actor, ticket):
        raise PermissionDenied("only the requester or an agent who may edit it can reopen")
    current = config.statuses.get(ticket.status)
    if current is None or current.category not in ("solved", "closed"):
        raise InvalidTransition(
            f"only resolved or closed tickets can be reopened (ticket is {ticket.status})",
            current=ticket.status)
    target = config.settings.get("reopen_status") or _target_in_category(
        config, ticket, "open", "reopened")
    now = utcnow()
    previous = ticket.status
    _transition(session, ticket, config, actor, target, now, settings, notes=reason)
    _touch(ticket, now)
    _emit_status_changed(session, ticket, actor, now, previous)
    session.flush()
    return ticket


@dataclass(frozen=True, slots=True)
class DeletedTicket:
    ticket: Ticket
    # Storage keys of the attachment bytes to remove once the deletion is committed.
    purged_files: list[str]


def delete_ticket(session: Session, *, actor: User, ticket_id: uuid.UUID) -> DeletedTicket:
    """As the queue says (`settings.delete_mode`): soft by default -- the ticket leaves every
    listing but stays in the database and its history -- or hard, removed with everything."""
    if not permissions.can_delete(actor):
        raise PermissionDenied("only an administrator may delete tickets")
    ticket, config = _mutable(session, actor, ticket_id, None)
    now = utcnow()
    if config.settings.get("delete_mode") == "hard":
        keys = list(session.scalars(select(Attachment.storage_key)
                                    .where(Attachment.ticket_id == ticket.id)))
        log.info("ticket_purged", key=ticket.key, actor=actor.username)
        emit_ticket_event(session, type=EventType.TICKET_DELETED, actor=actor, ticket=ticket,
                          at=now, extra={"mode": "hard"})
        session.execute(delete(Ticket).where(Ticket.id == ticket.id))
        session.expunge(ticket)
        return DeletedTicket(ticket, keys)
    deleted_status = config.status_in_category("deleted")
    record_change(session, ticket_id=ticket.id, actor=actor, change_type=ChangeType.DELETED,
                  at=now, field="status", old=ticket.status,
                  new=deleted_status.key if deleted_status else ticket.status)
    if deleted_status is not None:
        ticket.status = deleted_status.key
        ticket.status_category = deleted_status.category
    ticket.deleted_at = now
    log.info("ticket_deleted", key=ticket.key, actor=actor.username)
    _touch(ticket, now)
    emit_ticket_event(session, type=EventType.TICKET_DELETED, actor=actor, ticket=ticket,
                      at=now, extra={"mode": "soft"})
    session.flush()
    return DeletedTicket(ticket, [])
