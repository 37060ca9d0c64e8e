"""Webhook subscriptions and their delivery log. Nothing here sends anything: deliveries,
redeliveries and pings are jobs for the worker."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, status
from fastapi.responses import Response

from ticketry.api.deps import ActorDep, SessionDep, SettingsDep
from ticketry.api.routing import SegmentRouter
from ticketry.api.v1.responses import problems
from ticketry.domain.webhooks import service
from ticketry.domain.webhooks.models import DeliveryStatus
from ticketry.domain.webhooks.schemas import (
    DeliveryDetail,
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookPage,
    WebhookRead,
    WebhookUpdate,
    delivery_detail,
    delivery_read,
    webhook_read,
)

router = SegmentRouter(prefix="/webhooks", tags=["webhooks"])

MAX_PAGE_SIZE = 100
Page = Annotated[int, Query(ge=1, le=1_000_000)]
Size = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]


@router.post("", response_model=WebhookRead, status_code=status.HTTP_201_CREATED,
             responses=problems(401, 403, 422))
def create_webhook(body: WebhookCreate, actor: ActorDep, session: SessionDep,
                   settings: SettingsDep, response: Response) -> WebhookRead:
    """Subscribe a URL to events. The answer shows the secret in full, this once."""
    view = service.create_webhook(session, actor=actor, data=body, settings=settings)
    response.headers["Location"] = f"/api/v1/webhooks/{view.endpoint.public_id}"
    return webhook_read(view.endpoint, reveal_secret=True)


@router.get("", response_model=WebhookPage, responses=problems(401, 403, 422))
def list_webhooks(actor: ActorDep, session: SessionDep, page: Page = 1,
                  size: Size = 20) -> WebhookPage:
    """The caller's subscriptions (every subscription, for an administrator), newest first."""
    result = service.list_webhooks(session, actor=actor, page=page, size=size)
    return WebhookPage(items=[webhook_read(e) for e in result.items], total=result.total,
                       page=page, size=size, pages=result.pages)


@router.get("/{webhook_id}", response_model=WebhookRead, responses=problems(401, 403, 404))
def get_webhook(webhook_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> WebhookRead:
    return webhook_read(service.get_webhook(session, actor=actor, webhook_id=webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookRead,
              responses=problems(401, 403, 404, 422))
def update_webhook(webhook_id: uuid.UUID, body: WebhookUpdate, actor: ActorDep,
                   session: SessionDep, settings: SettingsDep) -> WebhookRead:
    """Change a subscription. Setting `active: true` again clears a disabled state."""
    view = service.update_webhook(session, actor=actor, webhook_id=webhook_id, data=body,
                                  settings=settings)
    return webhook_read(view.endpoint, reveal_secret=view.reveal_secret)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(401, 403, 404))
def delete_webhook(webhook_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> None:
    """Remove a subscription and its delivery log."""
    service.delete_webhook(session, actor=actor, webhook_id=webhook_id)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage,
            responses=problems(401, 403, 404, 422))
def list_deliveries(webhook_id: uuid.UUID, actor: ActorDep, session: SessionDep,
                    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
                    event_type: Annotated[str | None, Query(max_length=64)] = None,
                    page: Page = 1, size: Size = 20) -> DeliveryPage:
    """The delivery log, newest first."""
    result = service.list_deliveries(session, actor=actor, webhook_id=webhook_id, page=page,
                                     size=size, status=status_, event_type=event_type)
    return DeliveryPage(items=[delivery_read(r.delivery, r.endpoint, r.event_public_id)
                               for r in result.items],
                        total=result.total, page=page, size=size, pages=result.pages)


@router.get("/{webhook_id}/deliveries/{delivery_id}", response_model=DeliveryDetail,
            responses=problems(401, 403, 404))
def get_delivery(webhook_id: uuid.UUID, delivery_id: uuid.UUID, actor: ActorDep,
                 session: SessionDep) -> DeliveryDetail:
    """One delivery: the body it sends and every attempt, oldest first."""
    found = service.get_delivery(session, actor=actor, webhook_id=webhook_id,
                                 delivery_id=delivery_id)
    return delivery_detail(found.delivery, found.endpoint, found.event.public_id,
                           payload=found.payload, attempts=found.attempts)


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver", response_model=DeliveryRead,
             status_code=status.HTTP_202_ACCEPTED, responses=problems(401, 403, 404, 409))
def redeliver(webhook_id: uuid.UUID, delivery_id: uuid.UUID, actor: ActorDep,
              session: SessionDep) -> DeliveryRead:
    """Send the delivery again (whatever its status), with the same body and `webhook-id`."""
    row = service.redeliver(session, actor=actor, webhook_id=webhook_id,
                            delivery_id=delivery_id)
    return delivery_read(row.delivery, row.endpoint, row.event_public_id)


@router.post("/{webhook_id}/ping", response_model=DeliveryRead,
             status_code=status.HTTP_202_ACCEPTED, responses=problems(401, 403, 404, 409))
def ping(webhook_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> DeliveryRead:
    """Queue a signed `webhook.ping` delivery to this endpoint (one attempt, logged)."""
    row = service.ping_webhook(session, actor=actor, webhook_id=webhook_id)
    return delivery_read(row.delivery, row.endpoint, row.event_public_id)
