"""SLA targets: due times from the priority, and whether each target is met, pending or breached."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from ticketry.domain.queues.config import PriorityConfig


class SlaState(enum.StrEnum):
    MET = "met"
    PENDING = "pending"
    BREACHED = "breached"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class SlaTargets:
    response_due_at: datetime | None
    resolution_due_at: datetime | None


def compute_targets(created_at: datetime, priority: PriorityConfig | None, *,
                    enabled: bool = True) -> SlaTargets:
    if not enabled or priority is None:
        return SlaTargets(None, None)
    response = (created_at + timedelta(minutes=priority.response_minutes)
                if priority.response_minutes else None)
    resolution = (created_at + timedelta(minutes=priority.resolution_minutes)
                  if priority.resolution_minutes else None)
    return SlaTargets(response, resolution)


def target_state(due_at: datetime | None, done_at: datetime | None, now: datetime) -> SlaState:
    if due_at is None:
        return SlaState.NOT_APPLICABLE
    if done_at is not None:
        return SlaState.MET if done_at <= due_at else SlaState.BREACHED
    return SlaState.BREACHED if now > due_at else SlaState.PENDING
