"""Error answers become typed exceptions carrying the problem's status, code, detail, field
errors and request id; a refused rate limit says when to retry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import BoundDatabase
from tests.factories import make_ticket
from ticketry.api.app import create_app
from ticketry.config import Settings
from ticketry.domain.users.models import User
from ticketry.sdk import (
    ApiConnectionError,
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TicketSystemClient,
    TicketSystemError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
)

Connect = Callable[..., TicketSystemClient]


def test_no_credentials_is_an_authentication_error(connect: Connect) -> None:
    with pytest.raises(AuthenticationError) as caught:
        connect().tickets.list()
    error = caught.value
    assert isinstance(error, ApiError)
    assert isinstance(error, TicketSystemError)
    assert error.status_code == 401
    assert error.error_code
    assert "authentication" in error.detail
    assert error.request_id == error.headers["x-request-id"]
    assert str(error).startswith(f"401 {error.error_code}: ")


def test_forbidden_missing_and_conflicting_requests(connect: Connect, session: Session,
                                                    admin: User, engineer: User,
                                                    requester: User) -> None:
    ticket = make_ticket(session, requester)
    as_requester = connect(requester)
    with pytest.raises(PermissionDeniedError) as forbidden:
        as_requester.tickets.delete(ticket.public_id)
    assert forbidden.value.status_code == 403

    with pytest.raises(NotFoundError) as missing:
        as_requester.tickets.get("00000000-0000-4000-8000-000000000000")
    assert missing.value.status_code == 404
    assert missing.value.error_code

    as_admin = connect(admin)
    as_admin.approvals.request(ticket.public_id, "Purchase", approvers=[engineer.public_id])
    with pytest.raises(ConflictError) as conflict:
        as_admin.approvals.request(ticket.public_id, "Again", approvers=[engineer.public_id])
    assert conflict.value.status_code == 409


def test_validation_errors_name_their_fields(sdk: TicketSystemClient) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        sdk.tickets.create(title="   ", description="d", colour="blue")
    error = caught.value
    assert error.status_code == 422
    assert error.error_code == "VALIDATION_ERROR"
    assert {e["field"] for e in error.errors} == {"title", "colour"}
    assert sdk.tickets.list().total == 0


def test_a_file_that_is_not_what_its_name_says_is_refused(sdk: TicketSystemClient) -> None:
    ticket = sdk.tickets.create(title="Screenshot", description="Attached")
    with pytest.raises(UnprocessableEntityError) as mismatch:
        sdk.attachments.upload(ticket.id, b"this is text, not a PNG", filename="screen.png")
    assert mismatch.value.error_code == "FILE_CONTENT_MISMATCH"
    with pytest.raises(UnsupportedMediaTypeError) as refused:
        sdk.attachments.upload(ticket.id, b"MZ\x90\x00", filename="setup.exe")
    assert refused.value.status_code == 415
    assert sdk.attachments.list(ticket.id) == []


def test_too_many_logins_raise_rate_limit_error_with_retry_after(
        settings: Settings, db: BoundDatabase, admin: User) -> None:
    limited = settings.model_copy(update={"rate_limit_enabled": True, "redis_url": None,
                                          "rate_limit_authentication": "2/minute"})
    with TestClient(create_app(limited, db), base_url="http://127.0.0.1") as http, \
            TicketSystemClient(base_url="http://127.0.0.1", http_client=http) as sdk:
        for _ in range(2):
            with pytest.raises(AuthenticationError):
                sdk.auth.login(admin.username, "wrong password")
        with pytest.raises(RateLimitError) as caught:
            sdk.auth.login(admin.username, "wrong password")
    error = caught.value
    assert error.status_code == 429
    assert error.error_code is not None
    assert error.error_code.upper() == "RATE_LIMIT_EXCEEDED"
    assert error.retry_after is not None
    assert 0 < error.retry_after <= 60
    assert (error.limit, error.remaining) == (2, 0)
    assert error.reset is not None


def answering(response: httpx.Response) -> TicketSystemClient:
    return TicketSystemClient("http://ticketry.test",
                              transport=httpx.MockTransport(lambda request: response))


def test_retry_after_may_be_an_http_date_and_bodies_may_be_anything() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    with pytest.raises(ServerError) as unavailable:
        answering(httpx.Response(503, headers={"Retry-After": later},
                                 text="upstream is down")).tickets.list()
    assert unavailable.value.detail == "upstream is down"
    assert unavailable.value.retry_after is not None
    assert 100 < unavailable.value.retry_after <= 120

    with pytest.raises(BadRequestError) as malformed:
        answering(httpx.Response(400, json={"detail": "request body is not valid JSON",
                                            "error_code": "MALFORMED_JSON",
                                            "request_id": "abc"})).tickets.list()
    assert (malformed.value.error_code, malformed.value.request_id) == ("MALFORMED_JSON", "abc")

    # The envelope Ticketry's dialects answer with is understood too.
    with pytest.raises(UnprocessableEntityError) as envelope:
        answering(httpx.Response(422, json={
            "success": False, "request_id": "r-1",
            "error": {"code": "BUSINESS_RULE_VIOLATION", "message": "already approved",
                      "details": {"field": "action"}}})).approvals.act(45, "approve")
    assert (envelope.value.error_code, envelope.value.detail, envelope.value.errors,
            envelope.value.request_id) == ("BUSINESS_RULE_VIOLATION", "already approved",
                                           [{"field": "action"}], "r-1")

    with pytest.raises(ApiError) as teapot:
        answering(httpx.Response(418)).tickets.list()
    assert type(teapot.value) is ApiError
    assert teapot.value.detail == "I'm a teapot"


def test_an_unreachable_server_is_a_connection_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sdk = TicketSystemClient("http://ticketry.test", transport=httpx.MockTransport(refuse))
    with pytest.raises(ApiConnectionError, match="connection refused") as caught:
        sdk.tickets.list()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
