"""Webhook subscriptions. Deliveries carry the document's payload (`event`, `timestamp`,
`data.ticket` with its integer id, number, title, status and `created_by`) and `webhook_id`,
the `id` shown here."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response

from ticketry.api.deps import ActorDep, SessionDep, SettingsDep
from ticketry.api.dialects.enterprise import mapping
from ticketry.api.dialects.enterprise.envelopes import ok, page_data
from ticketry.api.dialects.enterprise.schemas import WebhookIn, WebhookPatchIn
from ticketry.domain.webhooks import service as webhooks
from ticketry.domain.webhooks.errors import WebhookNotFound
from ticketry.domain.webhooks.schemas import WebhookCreate, WebhookUpdate

router = APIRouter(tags=["webhooks"])


def _id(webhook_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(webhook_id)
    except ValueError:
        raise WebhookNotFound(f"webhook {webhook_id[:64]} not found") from None


@router.post("/webhooks", status_code=status.HTTP_201_CREATED)
def create(body: WebhookIn, request: Request, actor: ActorDep, session: SessionDep,
           settings: SettingsDep) -> Response:
    """Subscribe a URL to events. Deliveries are signed with `secret` (Standard Webhooks
    headers); the answer shows the secret this once."""
    view = webhooks.create_webhook(session, actor=actor, settings=settings, data=WebhookCreate(
        url=body.url, events=body.events, secret=body.secret, active=body.active))
    return ok(request, mapping.webhook_document(view.endpoint, reveal_secret=True),
              "Webhook created successfully", status.HTTP_201_CREATED)


@router.get("/webhooks")
def list_all(request: Request, actor: ActorDep, session: SessionDep,
             page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
             size: Annotated[int, Query(ge=1, le=100)] = 20) -> Response:
    """The caller's subscriptions (everyone's, for an administrator), newest first."""
    result = webhooks.list_webhooks(session, actor=actor, page=page, size=size)
    return ok(request, page_data([mapping.webhook_document(e) for e in result.items],
                                 total=result.total, page=page, size=size),
              "Webhooks retrieved successfully")


@router.get("/webhooks/{webhook_id}")
def read(webhook_id: str, request: Request, actor: ActorDep, session: SessionDep) -> Response:
    endpoint = webhooks.get_webhook(session, actor=actor, webhook_id=_id(webhook_id))
    return ok(request, mapping.webhook_document(endpoint), "Webhook retrieved successfully")


@router.patch("/webhooks/{webhook_id}")
def update(webhook_id: str, body: WebhookPatchIn, request: Request, actor: ActorDep,
           session: SessionDep, settings: SettingsDep) -> Response:
    """Only the fields given change; `active: true` again clears a disabled state."""
    view = webhooks.update_webhook(session, actor=actor, webhook_id=_id(webhook_id),
                                   settings=settings,
                                   data=WebhookUpdate(**body.model_dump(exclude_unset=True)))
    return ok(request, mapping.webhook_document(view.endpoint, reveal_secret=view.reveal_secret),
              "Webhook updated successfully")


@router.delete("/webhooks/{webhook_id}")
def delete(webhook_id: str, request: Request, actor: ActorDep, session: SessionDep) -> Response:
    webhooks.delete_webhook(session, actor=actor, webhook_id=_id(webhook_id))
    return ok(request, {"id": webhook_id}, "Webhook deleted successfully")
