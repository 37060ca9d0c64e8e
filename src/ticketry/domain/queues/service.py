"""Queues: presets, configuration lookups and ticket numbering."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from importlib import resources

from sqlalchemy import or_, select, text, update
from sqlalchemy.orm import Session, make_transient_to_detached

from ticketry.domain.errors import Conflict, PermissionDenied
from ticketry.domain.queues.config import NamedItem, QueueConfig, queue_configs
from ticketry.domain.queues.errors import QueueNotFound
from ticketry.domain.queues.models import (
    Queue,
    QueueCategory,
    QueuePriority,
    QueueReferenceItem,
    QueueStatus,
    QueueTicketType,
)
from ticketry.domain.queues.schemas import (
    CategoryRead,
    NamedItemRead,
    PriorityRead,
    QueuePreset,
    QueueRead,
    ReferenceItemCreate,
    StatusRead,
)
from ticketry.domain.users.models import Role, Team, User

PRESET_NAMES = ("devops", "healthcare", "enterprise", "support")


def load_preset(name: str) -> QueuePreset:
    text = resources.files("ticketry.domain.queues").joinpath(f"presets/{name}.json").read_text()
    return QueuePreset.model_validate(json.loads(text))


def available_presets() -> list[QueuePreset]:
    found = []
    for name in PRESET_NAMES:
        try:
            found.append(load_preset(name))
        except FileNotFoundError:
            continue
    return found


def install_presets(session: Session) -> list[str]:
    """Install every shipped preset whose queue does not exist yet; returns the keys installed."""
    existing = set(session.scalars(select(Queue.key)))
    has_default = session.scalar(select(Queue.id).where(Queue.is_default.is_(True))) is not None
    installed = []
    for preset in available_presets():
        if preset.key in existing:
            continue
        session.add(queue_from_preset(preset, make_default=preset.is_default and not has_default))
        installed.append(preset.key)
    for preset in available_presets():
        _install_departments(session, preset)
    session.flush()
    return installed


def _install_departments(session: Session, preset: QueuePreset) -> None:
    """The numbered departments a document names (`settings.departments`: code, key, name),
    as teams, unless a team already has that code or key (admins may have renamed them)."""
    for department in preset.settings.get("departments") or []:
        code, key = department.get("code"), department.get("key")
        if session.scalar(select(Team.id).where(or_(Team.code == code, Team.key == key))):
            continue
        session.add(Team(key=key, name=department.get("name") or key, code=code))
        session.flush()


def queue_from_preset(preset: QueuePreset, *, make_default: bool) -> Queue:
    queue = Queue(
        key=preset.key,
        name=preset.name,
        key_format=preset.key_format,
        is_default=make_default,
        default_language=preset.default_language,
        settings=dict(preset.settings),
        config_version=1,
    )
    queue.statuses = [
        QueueStatus(
            key=s.key, label=s.label, labels=s.labels, category=s.category, code=s.code,
            position=i, is_initial=s.initial, transitions=list(s.transitions),
            history_type=s.history_type,
        )
        for i, s in enumerate(preset.statuses)
    ]
    queue.priorities = [
        QueuePriority(
            key=p.key, label=p.label, labels=p.labels, code=p.code, rank=p.rank,
            response_minutes=p.response_minutes, resolution_minutes=p.resolution_minutes,
            is_default=p.default,
        )
        for p in preset.priorities
    ]
    queue.categories = [
        QueueCategory(key=c.key, label=c.label, labels=c.labels, position=i,
                      keywords=list(c.keywords))
        for i, c in enumerate(preset.categories)
    ]
    queue.ticket_types = [
        QueueTicketType(key=t.key, label=t.label, labels=t.labels, position=i,
                        key_format=t.key_format, requires_approval=t.requires_approval)
        for i, t in enumerate(preset.ticket_types)
    ]
    queue.reference_items = [
        QueueReferenceItem(list_name=list_name, key=item.key, label=item.label,
                           labels=item.labels, code=item.code, position=i)
        for list_name, items in preset.reference_lists.items()
        for i, item in enumerate(items)
    ]
    return queue


def get_queue_config(session: Session, queue_id: int) -> QueueConfig:
    return queue_configs.get(session, queue_id)


def find_queue_config(session: Session, key: str | None) -> QueueConfig:
    """The queue with this key, or the default queue when no key is given."""
    if key is None:
        queue_id = queue_configs.default_queue_id(session)
        if queue_id is None:
            raise QueueNotFound("no default queue is configured")
        return queue_configs.get(session, queue_id)
    config = queue_configs.get_by_key(session, key)
    if config is None:
        raise QueueNotFound(f"queue {key!r} does not exist", field="queue")
    return config


def list_queue_configs(session: Session) -> list[QueueConfig]:
    ids = session.scalars(select(Queue.id).order_by(Queue.id)).all()
    return [queue_configs.get(session, queue_id) for queue_id in ids]


_PLACEHOLDER = re.compile(r"\{(number|daily|date|uuid)(?::([^}]*))?\}")


def next_ticket_key(
    session: Session, config: QueueConfig, *, ticket_type: str | None, now: datetime,
    public_id: uuid.UUID | None = None,
) -> tuple[str, int]:
    """Render the queue's (or the ticket type's) key format with the next number of its scope."""
    fmt = config.key_format
    if ticket_type and ticket_type in config.ticket_types:
        fmt = config.ticket_types[ticket_type].key_format or fmt
    fields = {m.group(1) for m in _PLACEHOLDER.finditer(fmt)}
    # One sequence per rendered format (not per type): types sharing a format share its keys.
    # The "|" prefix keeps the scope untyped tickets have always used.
    scope = f"|{fmt}"
    if "daily" in fields:
        scope += "|" + now.strftime("%Y%m%d")
    number = _increment_counter(session, config.id, scope) if fields & {"number", "daily"} else 0

    def render(match: re.Match[str]) -> str:
        name, spec = match.group(1), match.group(2) or ""
        if name in ("number", "daily"):
            return format(number, spec)
        if name == "date":
            return now.strftime(spec or "%Y%m%d")
        # `{uuid}`: the ticket's own id, so a UUID-keyed desk has one identifier per ticket.
        return str(public_id or uuid.uuid4())

    return _PLACEHOLDER.sub(render, fmt), number


# The same SQL on SQLite (3.35+) and PostgreSQL. As text: SQLAlchemy cannot cache a compiled
# dialect upsert ("no key"), and compiling it cost more than running it, on every ticket.
_COUNTER_UPSERT = text(
    "INSERT INTO queue_counters (queue_id, scope, value) VALUES (:queue_id, :scope, :by) "
    "ON CONFLICT (queue_id, scope) DO UPDATE SET value = queue_counters.value + :by "
    "RETURNING value")


def _increment_counter(session: Session, queue_id: int, scope: str, by: int = 1) -> int:
    value = session.execute(_COUNTER_UPSERT,
                            {"queue_id": queue_id, "scope": scope, "by": by}).scalar_one()
    return int(value)


def queue_read(config: QueueConfig) -> QueueRead:
    def item(i: NamedItem) -> NamedItemRead:
        return NamedItemRead(key=i.key, label=i.label, labels=i.labels, code=i.code)

    return QueueRead(
        key=config.key, name=config.name, key_format=config.key_format,
        is_default=config.is_default, default_language=config.default_language,
        statuses=[StatusRead(key=st.key, label=st.label, labels=st.labels, code=st.code,
                             category=st.category, initial=st.is_initial,
                             transitions=list(st.transitions))
                  for st in config.statuses.values()],
        priorities=[PriorityRead(key=p.key, label=p.label, labels=p.labels, code=p.code,
                                 rank=p.rank, response_minutes=p.response_minutes,
                                 resolution_minutes=p.resolution_minutes, default=p.is_default)
                    for p in config.priorities.values()],
        categories=[CategoryRead(key=c.key, label=c.label, labels=c.labels, code=c.code,
                                 keywords=list(c.keywords)) for c in config.categories.values()],
        ticket_types=[item(t) for t in config.ticket_types.values()],
        reference_lists={name: [item(i) for i in items.values()]
                         for name, items in config.reference_lists.items()},
    )


def add_reference_item(session: Session, *, actor: User, queue_key: str, list_name: str,
                       data: ReferenceItemCreate) -> QueueConfig:
    """Administrators extend a queue's reference lists (a new center, a new tool)."""
    if actor.role_enum is not Role.ADMIN:
        raise PermissionDenied("only an administrator may change a queue's configuration")
    config = find_queue_config(session, queue_key)
    existing = session.scalars(select(QueueReferenceItem).where(
        QueueReferenceItem.queue_id == config.id,
        QueueReferenceItem.list_name == list_name)).all()
    if any(item.key == data.key for item in existing):
        raise Conflict(f"{list_name} {data.key!r} already exists in queue {queue_key!r}",
                       field="key")
    if data.code is not None and any(item.code == data.code for item in existing):
        raise Conflict(f"{list_name} code {data.code} is already used in queue {queue_key!r}",
                       field="code")
    session.add(QueueReferenceItem(
        queue_id=config.id, list_name=list_name, key=data.key, label=data.label,
        labels=dict(data.labels), code=data.code,
        position=max((item.position for item in existing), default=-1) + 1))
    _bump_config_version(session, config.id)
    return queue_configs.get(session, config.id)


def _bump_config_version(session: Session, queue_id: int) -> None:
    """Other processes see the change within seconds; this one at once."""
    session.execute(update(Queue).where(Queue.id == queue_id)
                    .values(config_version=Queue.config_version + 1))
    session.flush()
    queue_configs.forget(queue_id)


def allocate_ticket_keys(session: Session, config: QueueConfig, *, now: datetime,
                         public_ids: list[uuid.UUID]) -> list[tuple[str, int]]:
    """Keys for many new tickets at once (imports): one counter update for the whole block."""
    fmt = config.key_format
    fields = {m.group(1) for m in _PLACEHOLDER.finditer(fmt)}
    count = len(public_ids)
    first = 0
    if fields & {"number", "daily"} and count:
        scope = f"|{fmt}" + ("|" + now.strftime("%Y%m%d") if "daily" in fields else "")
        last = _increment_counter(session, config.id, scope, by=count)
        first = last - count + 1
    keys = []
    for offset, public_id in enumerate(public_ids):
        number = first + offset if first else 0

        def render(match: re.Match[str], number: int = number,
                   public_id: uuid.UUID = public_id) -> str:
            name, spec = match.group(1), match.group(2) or ""
            if name in ("number", "daily"):
                return format(number, spec)
            if name == "date":
                return now.strftime(spec or "%Y%m%d")
            return str(public_id)

        keys.append((_PLACEHOLDER.sub(render, fmt), number))
    return keys


def set_category_keywords(session: Session, *, actor: User, queue_key: str, category: str,
                          keywords: list[str]) -> QueueConfig:
    """Administrators edit the keyword rules the classifier uses for a category."""
    if actor.role_enum is not Role.ADMIN:
        raise PermissionDenied("only an administrator may change a queue's configuration")
    config = find_queue_config(session, queue_key)
    row = session.scalars(select(QueueCategory).where(
        QueueCategory.queue_id == config.id, QueueCategory.key == category)).one_or_none()
    if row is None:
        raise QueueNotFound(f"queue {queue_key!r} has no category {category!r}")
    row.keywords = list(dict.fromkeys(k.strip().lower() for k in keywords if k.strip()))
    _bump_config_version(session, config.id)
    return queue_configs.get(session, config.id)


def queue_of_config(session: Session, config: QueueConfig) -> Queue:
    """The queue's entity for showing beside a ticket, without a query: the session's own if it
    holds it, else built from the configuration the caller already has (as a loaded, unchanged
    entity; what the configuration lacks loads on first use). A create showed its ticket's queue
    with a SELECT that cost a tenth of the request."""
    held = session.identity_map.get(session.identity_key(Queue, (config.id,)))
    if held is not None:
        return held  # type: ignore[no-any-return]
    queue: Queue = Queue.__mapper__.class_manager.new_instance()
    # Loaded state, as the ORM's loader writes it: into the instance dict, not through events.
    queue.__dict__.update(id=config.id, key=config.key, name=config.name,
                          key_format=config.key_format, is_default=config.is_default,
                          default_language=config.default_language,
                          config_version=config.version, settings=dict(config.settings))
    make_transient_to_detached(queue)
    session.add(queue)
    return queue
