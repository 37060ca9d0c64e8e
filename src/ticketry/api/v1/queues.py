from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path, status
from pydantic import BaseModel

from ticketry.api.deps import ActorDep, SessionDep
from ticketry.api.routing import SegmentRouter
from ticketry.api.v1.responses import problems
from ticketry.domain.classification.service import train_queue_classifier
from ticketry.domain.queues import service
from ticketry.domain.queues.schemas import KeywordsUpdate, QueueRead, ReferenceItemCreate
from ticketry.domain.sla import service as sla
from ticketry.domain.sla.schemas import BusinessHours, BusinessHoursRead

router = SegmentRouter(prefix="/queues", tags=["queues"])

ListName = Annotated[str, Path(pattern=r"^[a-z_]{1,64}$",
                               description="tool, center, environment, impact_level, ...")]


@router.get("", response_model=list[QueueRead], responses=problems(401))
def list_queues(actor: ActorDep, session: SessionDep) -> list[QueueRead]:
    """Every queue with its configuration: lifecycle, priorities, categories, lists."""
    return [service.queue_read(c) for c in service.list_queue_configs(session)]


@router.get("/{queue_key}", response_model=QueueRead, responses=problems(401, 404))
def read_queue(queue_key: str, actor: ActorDep, session: SessionDep) -> QueueRead:
    return service.queue_read(service.find_queue_config(session, queue_key))


@router.post("/{queue_key}/reference-lists/{list_name}", response_model=QueueRead,
             status_code=status.HTTP_201_CREATED, responses=problems(401, 403, 404, 409, 422))
def add_reference_item(queue_key: str, list_name: ListName, body: ReferenceItemCreate,
                       actor: ActorDep, session: SessionDep) -> QueueRead:
    """Add an entry to a queue's reference list (administrators), e.g. a healthcare center."""
    return service.queue_read(service.add_reference_item(
        session, actor=actor, queue_key=queue_key, list_name=list_name, data=body))


@router.put("/{queue_key}/categories/{category}/keywords", response_model=QueueRead,
            responses=problems(401, 403, 404, 422))
def set_category_keywords(queue_key: str, category: str, body: KeywordsUpdate, actor: ActorDep,
                          session: SessionDep) -> QueueRead:
    """Replace the keyword rules of a category (administrators); the classifier uses them."""
    return service.queue_read(service.set_category_keywords(
        session, actor=actor, queue_key=queue_key, category=category, keywords=body.keywords))


@router.get("/{queue_key}/business-hours", response_model=BusinessHoursRead,
            responses=problems(401, 404))
def read_business_hours(queue_key: str, actor: ActorDep, session: SessionDep) -> BusinessHoursRead:
    """The hours the queue's SLA clocks run in; `always_open` when they run round the clock."""
    return sla.get_business_hours(session, actor=actor, queue_key=queue_key)


@router.put("/{queue_key}/business-hours", response_model=BusinessHoursRead,
            responses=problems(401, 403, 404, 422))
def set_business_hours(queue_key: str, body: BusinessHours, actor: ActorDep,
                       session: SessionDep) -> BusinessHoursRead:
    """Set the queue's business hours (administrators). Due times set from now on (new tickets,
    priority changes, resumed pauses) count only working time; existing ones stand."""
    return sla.set_business_hours(session, actor=actor, queue_key=queue_key, data=body)


@router.delete("/{queue_key}/business-hours", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(401, 403, 404))
def clear_business_hours(queue_key: str, actor: ActorDep, session: SessionDep) -> None:
    """Back to round-the-clock SLA clocks (administrators)."""
    sla.clear_business_hours(session, actor=actor, queue_key=queue_key)


class ClassifierRead(BaseModel):
    queue: str
    samples: int
    accuracy: float | None
    algorithm: str
    trained_at: datetime


@router.post("/{queue_key}/classifier", response_model=ClassifierRead,
             status_code=status.HTTP_201_CREATED, responses=problems(401, 403, 404, 422))
def train_classifier(queue_key: str, actor: ActorDep, session: SessionDep) -> ClassifierRead:
    """Train the queue's learned classifier from its tickets whose category a person chose.
    It is used whenever it is more confident than the keyword rules."""
    model = train_queue_classifier(session, actor=actor, queue_key=queue_key)
    return ClassifierRead(queue=queue_key, samples=model.samples, accuracy=model.accuracy,
                          algorithm=model.algorithm, trained_at=model.trained_at)
