"""What every dialect sub-application starts from: its docs switch and the shared state its
routes reach through `request.app.state` (a mounted app has its own)."""

from __future__ import annotations

from fastapi import FastAPI

from ticketry.api.middleware import DatabaseSlots, WriteGate
from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.attachments.storage import LocalStorage


def dialect_app(*, title: str, version: str, description: str, settings: Settings,
                database: Database, storage: LocalStorage | None = None,
                write_gate: WriteGate | None = None,
                db_slots: DatabaseSlots, queue_key: str | None = None,
                docs: bool = True) -> FastAPI:
    docs = docs and bool(settings.docs_enabled)
    app = FastAPI(title=title, version=version, description=description,
                  docs_url="/docs" if docs else None, redoc_url=None,
                  openapi_url="/openapi.json" if docs else None)
    app.state.settings = settings
    app.state.database = database
    app.state.storage = storage
    app.state.write_gate = write_gate
    app.state.db_slots = db_slots
    app.state.queue_key = queue_key
    return app
