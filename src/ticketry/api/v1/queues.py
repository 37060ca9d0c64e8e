from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from ticketry.api.deps import ActorDep, SessionDep
from ticketry.api.v1.responses import problems
from ticketry.domain.queues import service
from ticketry.domain.queues.schemas import QueueRead, ReferenceItemCreate

router = APIRouter(prefix="/queues", tags=["queues"])

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
