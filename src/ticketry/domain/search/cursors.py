"""Opaque cursors: a position in a keyset-paginated listing, as URL-safe base64 of JSON.

They carry no secret and grant nothing (every query still applies the reader's permissions),
so they are not signed; anything that does not decode to the expected shape is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ticketry.domain.search.errors import InvalidCursor

MAX_CURSOR_LENGTH = 1000


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, *, kind: str) -> dict[str, Any]:
    """The position of a cursor of `kind` (a listing's or the export's)."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("cursor is too long", field="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursor("cursor is not one this API issued", field="cursor") from None
    if not isinstance(position, dict) or position.get("k") != kind:
        raise InvalidCursor("cursor is not one this API issued for this listing",
                            field="cursor")
    return position
