"""Immutable snapshots of a queue's configuration, cached per process.

The rows stay the truth: a snapshot is rebuilt when the queue's `config_version` moves on (checked
at most every few seconds) or when this process changes it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ticketry.domain.queues.models import Queue


@dataclass(frozen=True, slots=True)
class StatusConfig:
    key: str
    label: str
    labels: dict[str, str]
    category: str
    code: int | None
    is_initial: bool
    transitions: tuple[str, ...]
    history_type: str | None


@dataclass(frozen=True, slots=True)
class PriorityConfig:
    key: str
    label: str
    labels: dict[str, str]
    code: int | None
    rank: int
    response_minutes: int | None
    resolution_minutes: int | None
    is_default: bool


@dataclass(frozen=True, slots=True)
class NamedItem:
    key: str
    label: str
    labels: dict[str, str]
    code: int | None = None
    key_format: str | None = None
    keywords: tuple[str, ...] = ()
    requires_approval: bool = False


@dataclass(frozen=True, slots=True)
class QueueConfig:
    id: int
    key: str
    name: str
    key_format: str
    is_default: bool
    default_language: str
    version: int
    settings: dict[str, Any]
    statuses: dict[str, StatusConfig]
    priorities: dict[str, PriorityConfig]
    categories: dict[str, NamedItem]
    ticket_types: dict[str, NamedItem]
    reference_lists: dict[str, dict[str, NamedItem]] = field(default_factory=dict)

    @property
    def initial_status(self) -> StatusConfig:
        return next(s for s in self.statuses.values() if s.is_initial)

    @property
    def default_priority(self) -> PriorityConfig | None:
        for p in self.priorities.values():
            if p.is_default:
                return p
        return None

    def status_in_category(self, category: str) -> StatusConfig | None:
        return next((s for s in self.statuses.values() if s.category == category), None)

    def label(self, field: str, value: str, language: str) -> str:
        """A stored key as people read it: status `solved` -> `Resolta` in Catalan."""
        by_field: dict[str, dict[str, Any]] = {
            "status": self.statuses, "priority": self.priorities, "category": self.categories,
            "ticket_type": self.ticket_types,
        }
        items = by_field.get(field) or self.reference_lists.get(field)
        item = items.get(value) if items else None
        if item is None:
            return value
        return str(item.labels.get(language) or item.label)


def build_queue_config(queue: Queue) -> QueueConfig:
    refs: dict[str, dict[str, NamedItem]] = {}
    for item in queue.reference_items:
        if item.is_active:
            refs.setdefault(item.list_name, {})[item.key] = NamedItem(
                item.key, item.label, dict(item.labels), item.code
            )
    return QueueConfig(
        id=queue.id,
        key=queue.key,
        name=queue.name,
        key_format=queue.key_format,
        is_default=queue.is_default,
        default_language=queue.default_language,
        version=queue.config_version,
        settings=dict(queue.settings or {}),
        statuses={
            s.key: StatusConfig(
                s.key, s.label, dict(s.labels), s.category, s.code, s.is_initial,
                tuple(s.transitions), s.history_type,
            )
            for s in queue.statuses
        },
        priorities={
            p.key: PriorityConfig(
                p.key, p.label, dict(p.labels), p.code, p.rank, p.response_minutes,
                p.resolution_minutes, p.is_default,
            )
            for p in queue.priorities
        },
        categories={
            c.key: NamedItem(c.key, c.label, dict(c.labels), keywords=tuple(c.keywords))
            for c in queue.categories
        },
        ticket_types={
            t.key: NamedItem(
                t.key, t.label, dict(t.labels), key_format=t.key_format,
                requires_approval=t.requires_approval,
            )
            for t in queue.ticket_types
        },
        reference_lists=refs,
    )


_RECHECK_SECONDS = 5.0
_DEFAULT_QUEUE = select(Queue.id).where(Queue.is_default.is_(True)).order_by(Queue.id).limit(1)


class QueueConfigCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[int, tuple[QueueConfig, float]] = {}
        self._id_by_key: dict[str, int] = {}
        self._default: tuple[int, float] | None = None

    def clear(self) -> None:
        with self._lock:
            self._by_id.clear()
            self._id_by_key.clear()
            self._default = None

    def default_queue_id(self, session: Session) -> int | None:
        """The default queue (tickets created without one land there), looked up again after
        the same interval as the configurations."""
        now = time.monotonic()
        cached = self._default
        if cached is not None and now - cached[1] < _RECHECK_SECONDS:
            return cached[0]
        queue_id = session.scalar(_DEFAULT_QUEUE)
        self._default = (queue_id, now) if queue_id is not None else None
        return queue_id

    def forget(self, queue_id: int) -> None:
        with self._lock:
            self._by_id.pop(queue_id, None)

    def get(self, session: Session, queue_id: int) -> QueueConfig:
        now = time.monotonic()
        cached = self._by_id.get(queue_id)
        if cached is not None:
            config, checked = cached
            if now - checked < _RECHECK_SECONDS:
                return config
            version = session.scalar(select(Queue.config_version).where(Queue.id == queue_id))
            if version == config.version:
                with self._lock:
                    self._by_id[queue_id] = (config, now)
                return config
        return self._load(session, Queue.id == queue_id)

    def get_by_key(self, session: Session, key: str) -> QueueConfig | None:
        queue_id = self._id_by_key.get(key)
        if queue_id is not None:
            return self.get(session, queue_id)
        try:
            return self._load(session, Queue.key == key)
        except LookupError:
            return None

    def _load(self, session: Session, where: Any) -> QueueConfig:
        queue = session.scalars(
            select(Queue)
            .where(where)
            .options(
                selectinload(Queue.statuses),
                selectinload(Queue.priorities),
                selectinload(Queue.categories),
                selectinload(Queue.ticket_types),
                selectinload(Queue.reference_items),
            )
        ).one_or_none()
        if queue is None:
            raise LookupError("queue not found")
        config = build_queue_config(queue)
        with self._lock:
            self._by_id[config.id] = (config, time.monotonic())
            self._id_by_key[config.key] = config.id
        return config


queue_configs = QueueConfigCache()
