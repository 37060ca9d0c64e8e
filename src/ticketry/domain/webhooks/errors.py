from __future__ import annotations

from ticketry.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class WebhookNotFound(NotFound):
    code = "WEBHOOK_NOT_FOUND"


class DeliveryNotFound(NotFound):
    code = "WEBHOOK_DELIVERY_NOT_FOUND"


class WebhooksForbidden(PermissionDenied):
    code = "WEBHOOKS_FORBIDDEN"


class UnknownEventType(ValidationFailed):
    code = "UNKNOWN_EVENT_TYPE"


class InvalidWebhookUrl(ValidationFailed):
    code = "INVALID_WEBHOOK_URL"


class RefusedWebhookTarget(ValidationFailed):
    """The URL points at an address webhooks may not reach (loopback, private, metadata...)."""

    code = "WEBHOOK_TARGET_REFUSED"


class InvalidWebhookSecret(ValidationFailed):
    code = "INVALID_WEBHOOK_SECRET"


class WebhookAlreadyExists(Conflict):
    """The owner already has a subscription for this URL (change its events instead)."""

    code = "WEBHOOK_ALREADY_EXISTS"


class WebhookInactive(Conflict):
    code = "WEBHOOK_INACTIVE"
