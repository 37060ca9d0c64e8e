"""The ASGI application: the canonical API, `/health`, docs, and (later) the document dialects."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ticketry import __version__
from ticketry.api.deps import SessionDep, SettingsDep
from ticketry.api.dialects import enterprise, healthcare, integration_tokens, support
from ticketry.api.dialects.enterprise import create_enterprise_app
from ticketry.api.dialects.healthcare import create_healthcare_app
from ticketry.api.dialects.integration_tokens import create_integration_app
from ticketry.api.dialects.support import create_support_app
from ticketry.api.middleware import (
    DatabaseSlots,
    ErrorBody,
    RequestContextMiddleware,
    WriteGate,
)
from ticketry.api.problems import install_problem_handlers
from ticketry.api.rate_limits import RateLimiter, RateLimitMiddleware
from ticketry.api.v1 import routers as v1_routers
from ticketry.config import Settings, get_settings
from ticketry.db import Database
from ticketry.domain.attachments.scanning import configured_scanner
from ticketry.domain.attachments.storage import LocalStorage
from ticketry.domain.health.service import database_reachable

API_PREFIX = "/api/v1"
# The devops-service document's API version, which its /health shows.
DOCUMENT_API_VERSION = "1.0.0"

DESCRIPTION = """
Ticketry's canonical API. Authenticate with `POST /api/v1/auth/login` (JSON) or the
**Authorize** button (OAuth2 password form at `/api/v1/auth/token`), then send
`Authorization: Bearer <access_token>`.

Errors are RFC 9457 problem details (`application/problem+json`) with `detail`, `error_code`
and `request_id`; every response carries `X-Request-ID`.
"""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = database or Database(settings.database_url, pool_size=settings.db_pool_size,
                                    max_overflow=settings.db_max_overflow)
    docs = bool(settings.docs_enabled)
    app = FastAPI(
        title="Ticketry",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        swagger_ui_parameters={"persistAuthorization": True},
    )
    app.state.settings = settings
    app.state.database = database
    app.state.storage = LocalStorage(settings.storage_path,
                                     scanner=configured_scanner(settings.clamav_socket))
    install_problem_handlers(app)
    app.state.write_gate = WriteGate(enabled=database.is_sqlite)
    app.state.db_slots = DatabaseSlots.for_pool(
        wanted=settings.db_concurrency, pool=settings.db_pool_size + settings.db_max_overflow,
        sqlite=database.is_sqlite)
    error_bodies: list[tuple[str, ErrorBody]] = []
    # Routes are tried in order, and each costs a few microseconds: the mounts (one prefix test
    # each) and /health go before the canonical API's many routes.
    if settings.healthcare_api_enabled:
        prefix = settings.healthcare_api_prefix.rstrip("/") or "/healthcare"
        app.mount(prefix, create_healthcare_app(settings, database, app.state.storage,
                                                app.state.write_gate, app.state.db_slots))
        error_bodies.append((prefix, healthcare.raw_error_body))
    if settings.support_api_enabled:
        prefix = settings.support_api_prefix.rstrip("/") or "/support"
        app.mount(prefix, create_support_app(settings, database, app.state.storage,
                                             app.state.write_gate, app.state.db_slots))
        error_bodies.append((prefix, support.raw_error_body))
    if settings.integration_api_enabled:
        prefix = settings.integration_api_prefix.rstrip("/") + "/api/tickets"
        app.mount(prefix, create_integration_app(settings, database, app.state.db_slots))
        error_bodies.append((prefix, integration_tokens.raw_error_body))
    if settings.enterprise_api_enabled:
        prefix = settings.enterprise_api_prefix.rstrip("/") or "/enterprise"
        app.mount(prefix, create_enterprise_app(settings, database, app.state.storage,
                                                app.state.write_gate, app.state.db_slots))
        error_bodies.append((prefix, enterprise.raw_error_body))

    @app.get("/health", tags=["health"], responses={503: {"description": "Database unreachable"}})
    def health(session: SessionDep, settings: SettingsDep, request: Request) -> Any:
        """Liveness and database reachability."""
        body = {"status": "healthy", "service": "ticket-service",
                "version": DOCUMENT_API_VERSION, "environment": settings.environment}
        if not database_reachable(session):
            body["status"] = "unhealthy"
            return JSONResponse(body, status_code=503)
        return body

    for prefix, _ in error_bodies:
        if prefix == API_PREFIX or prefix.startswith(API_PREFIX + "/"):
            raise ValueError(f"a document's API at {prefix} would shadow the canonical API")
    for router in v1_routers:
        router.serve_under(API_PREFIX)
        app.include_router(router, prefix=API_PREFIX)
    if settings.rate_limit_enabled:
        # Inside RequestContextMiddleware: refusals get request ids, bodies are size-checked.
        app.add_middleware(RateLimitMiddleware, limiter=RateLimiter(settings),
                           error_bodies=error_bodies)
    app.add_middleware(RequestContextMiddleware, max_body_size=settings.max_json_body_size,
                       write_gate=app.state.write_gate, error_bodies=error_bodies)

    return app
