"""Standard Webhooks (https://www.standardwebhooks.com): the payload, its id and signature.

Receivers verify `webhook-signature` =
`v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")),
where the key is the base64-decoded part after `whsec_` when the secret has that prefix, and
the secret's UTF-8 bytes otherwise (secrets chosen by hand, as the enterprise document shows).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

SECRET_PREFIX = "whsec_"
# Standard Webhooks keys are 24 to 64 bytes; generated ones are 32.
MIN_KEY_BYTES, MAX_KEY_BYTES, GENERATED_KEY_BYTES = 24, 64, 32
USER_AGENT = "Ticketry-Webhooks/1"


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(GENERATED_KEY_BYTES)).decode()


def secret_problem(secret: str) -> str | None:
    """Why `secret` cannot sign, or None. A `whsec_` secret must carry a base64 key."""
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
        except (binascii.Error, ValueError):
            return "a secret starting with 'whsec_' must continue with a base64-encoded key"
        if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
            return (f"the key of a 'whsec_' secret must be {MIN_KEY_BYTES} to {MAX_KEY_BYTES} "
                    f"bytes (it is {len(key)})")
    return None


def signing_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX):])
    return secret.encode()


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def message_id(event_public_id: uuid.UUID) -> str:
    """`webhook-id`: one per event, so retries and redeliveries let receivers deduplicate."""
    return f"msg_{event_public_id.hex}"


def mask_secret(secret: str) -> str:
    prefix = SECRET_PREFIX if secret.startswith(SECRET_PREFIX) else ""
    return f"{prefix}{'*' * 8}{secret[-4:] if len(secret) - len(prefix) > 8 else ''}"


def iso_z(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _canonical(value: Any) -> Any:
    # Keys sorted at every level, so the body does not depend on how the database hands the
    # JSON back (PostgreSQL's JSONB reorders keys): retries send the same bytes.
    if isinstance(value, dict):
        return {str(k): _canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def payload(*, event_type: str, created_at: datetime, data: dict[str, Any],
            webhook_public_id: uuid.UUID, event_public_id: uuid.UUID) -> dict[str, Any]:
    """The enterprise document's payload, plus the event's id."""
    return {"event": event_type, "timestamp": iso_z(created_at), "data": _canonical(data),
            "webhook_id": str(webhook_public_id), "event_id": str(event_public_id)}


def body_bytes(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body)
