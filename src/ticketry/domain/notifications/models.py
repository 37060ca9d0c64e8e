from __future__ import annotations

from ticketry.db import Base  # noqa: F401
