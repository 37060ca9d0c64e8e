"""`ticket_system_sdk`: the Python SDK of the enterprise API document (`enterprise-api.md`),
served by Ticketry's SDK (`ticketry.sdk`) over the canonical API.

```python
from ticket_system_sdk import TicketSystemClient

client = TicketSystemClient(base_url="http://127.0.0.1:8000", api_key="tkr_...")
auth = client.auth.login("john.doe", "password123")
client.set_token(auth.access_token)
ticket = client.tickets.create({"title": "Server Issue", "description": "Server is responding slowly",
                                "priority": "high", "department_id": 1})
```

The clients here are `ticketry.sdk`'s, working in the `enterprise` queue unless `queue=` names
another (`queue=None`: the server's default queue for new tickets, every queue for listings),
so the document's vocabulary (statuses `open`/`in_progress`/..., priorities
`low`/`medium`/`high`/`critical`, ticket types, `department_id` numbers) is the queue's."""

from __future__ import annotations

from typing import Any

from ticketry import sdk
from ticketry.sdk import (
    ApiConnectionError,
    ApiError,
    Approval,
    ApprovalActionResult,
    Attachment,
    AuthenticationError,
    BadRequestError,
    Comment,
    ConflictError,
    Dashboard,
    DownloadedFile,
    LoginResult,
    NotFoundError,
    Page,
    PayloadTooLargeError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    ServerError,
    Team,
    Ticket,
    TicketSystemError,
    TokenPair,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
    User,
    Webhook,
)
from ticketry.sdk.transport import DEFAULT_BASE_URL

ENTERPRISE_QUEUE = "enterprise"


class TicketSystemClient(sdk.TicketSystemClient):
    __doc__ = sdk.TicketSystemClient.__doc__

    def __init__(self, base_url: str = DEFAULT_BASE_URL, api_key: str | None = None,
                 *, queue: str | None = ENTERPRISE_QUEUE, **options: Any) -> None:
        super().__init__(base_url, api_key, queue=queue, **options)


class AsyncTicketSystemClient(sdk.AsyncTicketSystemClient):
    __doc__ = sdk.AsyncTicketSystemClient.__doc__

    def __init__(self, base_url: str = DEFAULT_BASE_URL, api_key: str | None = None,
                 *, queue: str | None = ENTERPRISE_QUEUE, **options: Any) -> None:
        super().__init__(base_url, api_key, queue=queue, **options)


__all__ = [
    "ENTERPRISE_QUEUE",
    "ApiConnectionError",
    "ApiError",
    "Approval",
    "ApprovalActionResult",
    "AsyncTicketSystemClient",
    "Attachment",
    "AuthenticationError",
    "BadRequestError",
    "Comment",
    "ConflictError",
    "Dashboard",
    "DownloadedFile",
    "LoginResult",
    "NotFoundError",
    "Page",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitError",
    "ServerError",
    "Team",
    "Ticket",
    "TicketSystemClient",
    "TicketSystemError",
    "TokenPair",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "User",
    "Webhook",
]
