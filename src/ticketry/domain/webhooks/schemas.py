"""Webhook subscriptions and the delivery log, as the API takes and shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ticketry.domain.text import CleanStr
from ticketry.domain.webhooks import signing
from ticketry.domain.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

_SECRET_DESCRIPTION = (
    "Signing secret. Every delivery carries Standard Webhooks headers: `webhook-id`, "
    "`webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256>` over "
    "`{webhook-id}.{webhook-timestamp}.{raw body}`. The HMAC key is the base64-decoded part "
    "after `whsec_` when the secret starts with `whsec_` (which must then be a 24-64 byte "
    "key), and the secret's UTF-8 bytes otherwise. Omit it to have one generated "
    "(`whsec_` + base64 of 32 random bytes). Shown in full only in the response that sets it."
)
_EVENTS_DESCRIPTION = "Event types to deliver (e.g. `ticket.created`), or `*` for every type."

Url = Annotated[CleanStr, Field(min_length=1, max_length=2048,
                                description="http(s) URL that receives the POSTs")]
Secret = Annotated[CleanStr, Field(min_length=1, max_length=512,
                                   description=_SECRET_DESCRIPTION)]
Description = Annotated[CleanStr, Field(max_length=500)]
EventList = Annotated[list[Annotated[CleanStr, Field(max_length=64)]],
                      Field(min_length=1, max_length=100, description=_EVENTS_DESCRIPTION)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url
    events: EventList
    secret: Secret | None = Field(None, description=_SECRET_DESCRIPTION)
    active: bool = True
    description: Description | None = None


class WebhookUpdate(BaseModel):
    """PATCH: only the fields given change. `regenerate_secret` replaces the secret with a
    generated one (shown once, in this response)."""

    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    events: EventList | None = None
    secret: Secret | None = Field(None, description=_SECRET_DESCRIPTION)
    regenerate_secret: bool = False
    active: bool | None = None
    description: Description | None = None


class WebhookOwner(BaseModel):
    id: uuid.UUID
    username: str


class WebhookRead(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    active: bool
    description: str | None
    secret: str = Field(description="In full only when just set; masked afterwards")
    owner: WebhookOwner
    created_at: datetime
    updated_at: datetime
    failing_since: datetime | None
    last_success_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None


class WebhookPage(BaseModel):
    items: list[WebhookRead]
    total: int
    page: int
    size: int
    pages: int


class DeliveryRead(BaseModel):
    id: uuid.UUID
    webhook_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: str = Field(description="pending, succeeded or failed")
    attempt_count: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    total: int
    page: int
    size: int
    pages: int


class AttemptRead(BaseModel):
    number: int
    manual: bool
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_body: str | None = Field(description="The first kilobyte of the answer")
    webhook_id: str | None
    webhook_timestamp: int | None


class DeliveryDetail(DeliveryRead):
    payload: dict[str, Any] = Field(description="The JSON body sent on every attempt")
    attempts: list[AttemptRead]


def webhook_read(endpoint: WebhookEndpoint, *, reveal_secret: bool = False) -> WebhookRead:
    """The subscription as shown; its owner must be loaded."""
    return WebhookRead(
        id=endpoint.public_id, url=endpoint.url, events=list(endpoint.events),
        active=endpoint.active, description=endpoint.description,
        secret=endpoint.secret if reveal_secret else signing.mask_secret(endpoint.secret),
        owner=WebhookOwner(id=endpoint.owner.public_id, username=endpoint.owner.username),
        created_at=endpoint.created_at, updated_at=endpoint.updated_at,
        failing_since=endpoint.failing_since, last_success_at=endpoint.last_success_at,
        disabled_at=endpoint.disabled_at, disabled_reason=endpoint.disabled_reason)


def _delivery_fields(delivery: WebhookDelivery, endpoint: WebhookEndpoint,
                     event_public_id: uuid.UUID) -> dict[str, Any]:
    return {"id": delivery.public_id, "webhook_id": endpoint.public_id,
            "event_id": event_public_id, "event_type": delivery.event_type,
            "status": delivery.status, "attempt_count": delivery.attempt_count,
            "last_status_code": delivery.last_status_code, "last_error": delivery.last_error,
            "next_attempt_at": delivery.next_attempt_at, "created_at": delivery.created_at,
            "updated_at": delivery.updated_at, "completed_at": delivery.completed_at}


def delivery_read(delivery: WebhookDelivery, endpoint: WebhookEndpoint,
                  event_public_id: uuid.UUID) -> DeliveryRead:
    return DeliveryRead(**_delivery_fields(delivery, endpoint, event_public_id))


def delivery_detail(delivery: WebhookDelivery, endpoint: WebhookEndpoint,
                    event_public_id: uuid.UUID, *, payload: dict[str, Any],
                    attempts: list[WebhookAttempt]) -> DeliveryDetail:
    return DeliveryDetail(
        **_delivery_fields(delivery, endpoint, event_public_id), payload=payload,
        attempts=[AttemptRead(
            number=a.number, manual=a.manual, started_at=a.started_at,
            duration_ms=a.duration_ms, status_code=a.status_code, error=a.error,
            response_body=a.response_body,
            webhook_id=(a.request_info or {}).get("webhook_id"),
            webhook_timestamp=(a.request_info or {}).get("webhook_timestamp"))
            for a in attempts])
